"""Shared pieces of the report's views: the labelled input, tables and figures.

A ``Source`` types its document once (``lstm_bench.documents.ResultsDocument``: a document that
does not match the schema is a one-line UsageError naming the source and field); views read the
typed sections only. ``text`` turns a user's value into a display string (escaped later by the template).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lstm_bench.documents import ResultsDocument, as_document

__all__ = ["Figure", "Source", "Table", "geomean", "labelled", "text"]


@dataclass(frozen=True)
class Source:
    """One results document and the short label that names it in the report ('before', a host name, a file).

    ``results`` is the document typed (``ResultsDocument``), read once when the source is made.
    """

    label: str
    document: ResultsDocument | Mapping[str, Any]
    results: ResultsDocument = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", as_document(self.document, self.label))


@dataclass(frozen=True)
class Table:
    """A generic table: header and rows of already-formatted cells."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()  # indices of right-aligned (number) columns


@dataclass(frozen=True)
class Figure:
    """An inline SVG plot with a caption."""

    caption: str
    svg: str


def text(value: Any) -> str:
    """A value from a document as a display string (dicts and lists as compact JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, sort_keys=False, default=str)
    return str(value)


def labelled(source: str, what: str, many: bool) -> str:
    """``what`` tagged with its source's label when the report shows several sources."""
    return f"{what} [{source}]" if many else what


def geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))
