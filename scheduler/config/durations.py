"""Durations as users write them: ``90``, ``60s``, ``5m``, ``2h``, ``1d``, ``1h30m``."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(text: str | int | float) -> float:
    """Seconds in ``text``; raises ValueError with the offending text when it is not a duration."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"negative duration: {text}")
        return float(text)
    if not isinstance(text, str):
        raise ValueError(f"not a duration: {text!r}")
    compact = text.strip().replace(" ", "")
    total, position = 0.0, 0
    if not compact:
        raise ValueError("empty duration")
    while position < len(compact):
        match = _PART.match(compact, position)
        if not match or match.end() == position:
            raise ValueError(f"not a duration: {text!r} (use e.g. 60s, 5m, 2h, 1d)")
        total += float(match.group(1)) * _UNITS[match.group(2) and match.group(2).lower()]
        position = match.end()
    return total
