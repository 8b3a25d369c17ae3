"""A bounded per-source memo of what the last poll built, for the incremental paths.

Liveblog entries (crawler/extractors/incremental.py) and feed items (crawler/feeds/fast.py) are
remembered by a fingerprint of their markup, so a poll rebuilds only what changed. A memo holds
results of a pure function of its key: losing it costs speed, never correctness.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class EntryMemo:
    """Per-source memo of finished entries, least recently polled source evicted first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._sources: OrderedDict[tuple[str, ...], dict[Any, Any]] = OrderedDict()
        self._size = 0

    def get(self, scope: tuple[str, ...]) -> dict[Any, Any]:
        return self._sources.get(scope) or {}

    def put(self, scope: tuple[str, ...], done: dict[Any, Any]) -> None:
        self._size -= len(self._sources.pop(scope, {}))
        self._sources[scope] = done
        self._size += len(done)
        while self._size > self.max_entries and len(self._sources) > 1:
            _, dropped = self._sources.popitem(last=False)
            self._size -= len(dropped)

    def clear(self) -> None:
        self._sources.clear()
        self._size = 0
