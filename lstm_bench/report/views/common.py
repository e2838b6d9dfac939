"""Shared pieces of the report's views: the labelled input, tables, figures and tolerant readers.

Results documents come from several producers and versions, so readers here never assume a key
exists: ``first`` takes the first present key, ``inner`` descends into a nested record or keeps
a flat one, ``text`` turns any value into a display string (escaped later by the template).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Figure", "Source", "Table", "first", "geomean", "inner", "labelled", "median", "text"]


@dataclass(frozen=True)
class Source:
    """One results document and the short label that names it in the report ('before', a host name, a file)."""

    label: str
    document: Mapping[str, Any]


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


def first(data: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    """The value of the first of ``keys`` present (and not None) in ``data``."""
    for key in keys:
        value = data.get(key)
        if value is not None:
            return value
    return default


def inner(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``data[key]`` when it is a mapping (a nested record), else ``data`` itself (a flat record)."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else data


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


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))
