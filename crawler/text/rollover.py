"""Clock-only entries to instants: a liveblog shows "07:27 Uhr" and the date once (or not at
all), newest first; walking down the page decides the day of each entry (midnight, DST)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from crawler.text.timeparse import wall_candidates


def assign_dates(
    stamps: Sequence[tuple[date | None, time | None]],
    zone: tzinfo,
    *,
    reference: datetime | None = None,
    fallback_day: date | None = None,
    tolerance: timedelta = timedelta(hours=1),
) -> list[datetime | None]:
    """Resolve newest-first (date?, clock) pairs to instants, handling midnight and DST.

    Walking down the page, each entry must be no newer than the one above it (the first one no
    newer than ``reference``, e.g. the page's "Stand" time). An entry without its own date takes
    the running date; when its clock is later than the entry above it ("clock rises going
    down"), it belongs to the previous day. A clock that rises by at most ``tolerance`` is taken
    as slight editorial disorder on the same day, not a rollover. On the autumn fall-back night
    the fold of an ambiguous time is chosen so the order stays newest-first; with no bound to
    respect the first occurrence is used. Entries without a clock resolve to None.

    Results are UTC datetimes: two aware datetimes sharing one ZoneInfo compare by wall time
    (ignoring ``fold``), which would misorder the repeated hour.
    """
    out: list[datetime | None] = []
    prev = reference.astimezone(UTC) if reference else None
    running = fallback_day
    if running is None and reference is not None:
        running = reference.astimezone(zone).date()
    for day, clock in stamps:
        if clock is None:
            out.append(None)
            if day is not None:
                running = day
            continue
        if day is not None:
            running = day
            cands = wall_candidates(day, clock, zone)
            chosen = _pick(cands, prev, tolerance) or cands[0]
        elif running is None:
            out.append(None)
            continue
        else:
            cands = wall_candidates(running, clock, zone)
            chosen = _pick(cands, prev, tolerance)
            if chosen is None:
                running = running - timedelta(days=1)
                cands = wall_candidates(running, clock, zone)
                chosen = _pick(cands, prev, timedelta(0)) or cands[-1]
        out.append(chosen)
        prev = chosen
    return out


def _pick(
    cands: Iterable[datetime], bound: datetime | None, tolerance: timedelta
) -> datetime | None:
    """The latest candidate not after ``bound``; else the earliest within ``tolerance`` of it."""
    cands = sorted(cands)
    if bound is None:
        return cands[0]
    ok = [c for c in cands if c <= bound]
    if ok:
        return ok[-1]
    near = [c for c in cands if c - bound <= tolerance]
    return near[0] if near else None
