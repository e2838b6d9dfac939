"""A strict well-formedness check of lstm-bench's HTML, on the standard library's tokenizer.

Stricter than browsers, on purpose: every non-void element must be closed explicitly and in
order, no element may be closed twice, ids must be unique, and the document must start with
``<!DOCTYPE html>``. Also collects what the self-containedness and escaping tests look at:
every attribute, every <script> element and the text inside <style>.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@dataclass
class ParsedPage:
    """What the strict parse found."""

    errors: list[str] = field(default_factory=list)
    doctype: str | None = None
    attributes: list[tuple[str, str, str | None]] = field(default_factory=list)  # (tag, name, value)
    scripts: list[dict[str, str | None]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    tags: dict[str, int] = field(default_factory=dict)


class _StrictParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self.stack: list[tuple[str, int]] = []
        self.ids: set[str] = set()
        self.seen_element = False

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        line = self.getpos()[0]
        if not self.seen_element and self.page.doctype is None:
            self.page.errors.append("document does not start with <!DOCTYPE html>")
        self.seen_element = True
        self.page.tags[tag] = self.page.tags.get(tag, 0) + 1
        for name, value in attrs:
            self.page.attributes.append((tag, name, value))
            if name == "id":
                if value in self.ids:
                    self.page.errors.append(f"line {line}: duplicate id {value!r}")
                self.ids.add(value or "")
        if tag == "script":
            self.page.scripts.append(dict(attrs))
        if not closed and tag not in VOID:
            self.stack.append((tag, line))

    def handle_decl(self, decl: str) -> None:
        self.page.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in VOID:
            self.page.errors.append(f"line {line}: end tag for void element <{tag}>")
            return
        if not self.stack:
            self.page.errors.append(f"line {line}: </{tag}> closes nothing")
            return
        open_tag, open_line = self.stack.pop()
        if open_tag != tag:
            self.page.errors.append(f"line {line}: </{tag}> closes <{open_tag}> opened on line {open_line}")

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][0] == "style":
            self.page.styles.append(data)


def parse_strict(html: str) -> ParsedPage:
    """Parse ``html`` and return what was found, with every well-formedness error in ``errors``."""
    parser = _StrictParser()
    parser.feed(html)
    parser.close()
    page = parser.page
    if page.doctype is None or page.doctype.lower() != "doctype html":
        page.errors.append(f"doctype is {page.doctype!r}, expected 'DOCTYPE html'")
    for tag, line in parser.stack:
        page.errors.append(f"<{tag}> opened on line {line} is never closed")
    return page
