"""Where a table or key sits in a TOML file: tomllib keeps no positions, so errors need this."""

from __future__ import annotations

import re


class LineIndex:
    """Where a table or key sits in the file: tomllib keeps no positions, so we scan lines."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[str, int]] = []  # (table name, 1-based line)
        for number, line in enumerate(self.lines, start=1):
            match = self._HEADER.match(line)
            if match:
                self.headers.append((match.group(2).strip("\"'"), number))

    def table(self, name: str | None, index: int) -> int | None:
        hits = [line for table, line in self.headers if table == name]
        return hits[index] if index < len(hits) else None

    def key(self, table: str | None, index: int, key: str) -> int | None:
        start = 0 if table is None else self.table(table, index)
        if start is None:
            return None
        later = [line for _, line in self.headers if line > start]
        end = later[0] - 1 if later else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start + 1, end + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return start or None
