"""Times as people read them: a stored UTC time shown in a chosen zone, ``2024-05-25 20:37 CEST``.

Shared by the CLI's tables, ``history`` and the digest; no click here (the CLI turns a bad
zone into a usage error).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.text.terminal import safe_for_log


def zone(name: str) -> tzinfo:
    """``local`` is this machine's zone, anything else an IANA name; ValueError if unknown."""
    if name.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Berlin, or 'local')"
        ) from None


def show_time(stored: str | None, where: tzinfo, *, empty: str = "-") -> str:
    """A stored UTC ISO time as ``2024-05-25 20:37 CEST``; text that is not a time, as it is."""
    if not stored:
        return empty
    try:
        moment = datetime.fromisoformat(stored)
    except ValueError:
        return safe_for_log(stored)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    local = moment.astimezone(where)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()
