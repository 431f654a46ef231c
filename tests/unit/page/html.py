"""A small HTML reader for render tests: the text of elements by id or data-testid, and every tag."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SPACES = re.compile(r"[ \t\r\n\f]+")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Parses a rendered page once; `text(key)` is the whitespace-normalised text inside the element
    whose id or data-testid is `key`; `tags` lists (tag, attributes) of every start tag."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, list[str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in _VOID:
            return
        keys = [k for k in (attributes.get("id"), attributes.get("data-testid")) if k]
        self._open.append((tag, keys))
        for key in keys:
            self.texts.setdefault(key, [])

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        for _, keys in self._open:
            for key in keys:
                self.texts[key].append(data)

    def has(self, key: str) -> bool:
        return key in self.texts

    def text(self, key: str) -> str:
        if key not in self.texts:
            raise AssertionError(f"no element with id or data-testid {key!r}")
        # Only ASCII whitespace collapses: the no-break spaces Babel puts in "349 kr" are facts.
        return _SPACES.sub(" ", "".join(self.texts[key])).strip()

    def attrs(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]
