"""Per-parse measurements of candidate entries, shared by every candidate layout."""

from __future__ import annotations

from typing import Any

import xxhash
from lxml import etree

from crawler.extractors.base import text_of, xp
from crawler.extractors.generic.entries import find_time

MIN_TEXT = 40  # characters of non-link text that make a block an entry on its own


def median(values: list[int]) -> int:
    return sorted(values)[len(values) // 2] if values else 0


class Scan:
    """Per-parse measurements: non-link text length per node (navigation is mostly links) and
    whether a run carries a time; candidates share nodes, so each is measured once.

    ``known`` maps run fingerprints of the last poll to (text length, timed): on a followed
    recipe an unchanged run is not measured again (see ``fingerprint``).
    """

    def __init__(self, known: dict[int, Any] | None = None) -> None:
        self._chars: dict[Any, int] = {}
        self._timed: dict[Any, bool] = {}
        self._prints: dict[Any, int] = {}
        self.known = known or {}

    def fingerprint(self, run: list[Any], flat: bool) -> int:
        """A 64-bit hash of everything an entry is built from: its nodes' markup (and, for a
        flat run, the anchor before it, which may carry the key)."""
        mark = self._prints.get(run[0])
        if mark is None:
            digest = xxhash.xxh3_64(b"\x01" if flat else b"\x00")
            for node in run:
                digest.update(etree.tostring(node, with_tail=False))
            if flat and run[0].getprevious() is not None:
                digest.update(b"\x1e" + etree.tostring(run[0].getprevious(), with_tail=False))
            mark = self._prints[run[0]] = digest.intdigest()
        return mark

    def _remembered(self, run: list[Any]) -> Any:
        """The last poll's figures for this run (same fingerprint), None when not known."""
        return self.known.get(self.fingerprint(run, False)) if self.known else None

    def text(self, run: list[Any]) -> int:
        hit = self._remembered(run)
        if hit is not None:
            return hit.text
        total = 0
        for node in run:
            n = self._chars.get(node)
            if n is None:
                n = len(text_of(node)) - sum(len(text_of(a)) for a in xp(".//a")(node))
                self._chars[node] = n
            total += n
        return total

    def timed(self, run: list[Any]) -> bool:
        hit = self._remembered(run)
        if hit is not None:
            return hit.timed
        hit = self._timed.get(run[0])
        if hit is None:
            hit = self._timed[run[0]] = find_time(run).found
        return hit
