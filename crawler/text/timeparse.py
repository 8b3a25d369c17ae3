"""Timestamp parsing for liveblogs: ISO 8601, epoch s/ms, German "Uhr" clocks, DST, rollover."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
logger = logging.getLogger(__name__)

# Epoch values above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is March 1973.
_EPOCH_MS_THRESHOLD = 100_000_000_000

_ISO_RE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?\s*$",
    re.IGNORECASE,
)
# tagesschau / ARD: "25.05.2024 • 20:37 Uhr" (also "·", "-", "|" or nothing between date and clock).
_DE_DATETIME_RE = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s*(?:[•·|,-]|&bull;)?\s*(\d{1,2})[:.](\d{2})(?:\s*Uhr)?"
)
_DE_DATE_RE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_CLOCK_RE = re.compile(r"(?<![\d.:])(\d{1,2})[:.](\d{2})(?![\d:])")


# --- times a page gets wrong ------------------------------------------------------------
# One impossible timestamp (offset +25:00, year 1 with a positive offset) empties that field;
# it must never fail the poll. The source it came from is logged once per process.
_SOURCE: ContextVar[str | None] = ContextVar("tickerwatch_time_source", default=None)
_WARNED: set[str] = set()
_WARNED_MAX = 20_000


@contextmanager
def times_of(source: str) -> Iterator[None]:
    """Name the source whose times are being read, for the one log line about a bad one."""
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def reject_time(value: object, why: str) -> None:
    """A timestamp that cannot be an instant: the field stays empty; logged once per source."""
    source = _SOURCE.get() or "?"
    if source in _WARNED:
        return
    if len(_WARNED) >= _WARNED_MAX:
        _WARNED.clear()
    _WARNED.add(source)
    shown = repr(value)[:80]  # a page controls the value: never a long or raw line
    logger.warning(
        "unreadable time %s on %s (%s): that field is left empty", shown, source[:300], why
    )


def as_utc(value: datetime | None, raw: object = None) -> datetime | None:
    """``value`` in UTC, or None (logged) when it lies outside what a datetime can hold."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        reject_time(raw if raw is not None else value.isoformat(), str(error))
        return None


def to_iso(value: datetime | None) -> str | None:
    """Render an aware datetime as the one form stored everywhere: UTC, whole seconds."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: localise it first")
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def iso_to_utc(value: str | None) -> str | None:
    """An ISO timestamp with an offset in the stored form; None for a naive one (a bare day or
    clock would be a guess) and for garbage."""
    if value and _STORED_FORM.fullmatch(value):
        return value  # already UTC, whole seconds: the diff compares hundreds per poll
    return to_iso(parse_iso(value)) if value else None


_STORED_FORM = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\+00:00"
)


def localize(naive: datetime, zone: tzinfo) -> datetime:
    """Attach ``zone`` to a wall-clock time, deterministically across DST switches.

    Ambiguous times (the repeated hour in autumn) take the first occurrence (``fold=0``, summer
    time). Nonexistent times (the skipped hour in spring) are moved forward by the gap, so
    02:30 on a spring-forward night becomes 03:30 summer time. Callers that know better (the
    rollover walk below) pick the fold themselves.
    """
    aware = naive.replace(tzinfo=zone, fold=0)
    # Round-tripping through UTC normalises a nonexistent wall time to a real one.
    return aware.astimezone(UTC).astimezone(zone)


def wall_candidates(day: date, clock: time, zone: tzinfo) -> list[datetime]:
    """Every instant the wall time ``day clock`` can mean in ``zone`` (two when ambiguous)."""
    naive = datetime.combine(day, clock.replace(tzinfo=None))
    out = []
    for fold in (0, 1):
        inst = as_utc(naive.replace(tzinfo=zone, fold=fold), f"{day} {clock}")
        if inst is not None and inst not in out:
            out.append(inst)
    return sorted(out)


def from_epoch(value: float | int | str) -> datetime | None:
    """Epoch seconds or milliseconds (decided by magnitude) as an aware UTC datetime."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    if abs(number) >= _EPOCH_MS_THRESHOLD:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_iso(
    value: str, zone: tzinfo | None = None, *, ignore_offset: bool = False
) -> datetime | None:
    """Parse ISO 8601 with or without offset; a naive value is localised in ``zone``.

    ``ignore_offset`` treats the given offset (typically a bogus ``Z``) as absent, for sites that
    print local wall time with a UTC suffix (repubblica.it). Without ``zone`` a naive value is
    rejected (returns None) rather than guessed.
    """
    if not value:
        return None
    m = _ISO_RE.match(value)
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, off = m.groups()
    try:
        naive = datetime(
            int(year),
            int(month),
            int(day),
            int(hh or 0),
            int(mm or 0),
            int(ss or 0),
            int((frac or "0")[:6].ljust(6, "0")),
        )
    except ValueError:
        return None
    if off and not ignore_offset:
        offset = _parse_offset(off)
        if offset is None:
            reject_time(value, f"offset {off} out of range")
            return None
        aware = naive.replace(tzinfo=offset)
        return aware if as_utc(aware, value) is not None else None
    if zone is None:
        return None
    try:
        return localize(naive, zone)
    except (OverflowError, ValueError) as error:  # year 1 or 9999 in a zone east/west of UTC
        reject_time(value, str(error))
        return None


def _parse_offset(off: str) -> tzinfo | None:
    """The offset as a tzinfo; None for one no clock has (a datetime allows under 24 h)."""
    if off.upper() == "Z":
        return UTC
    sign = -1 if off[0] == "-" else 1
    digits = off[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    try:
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    except ValueError:
        return None


def parse_any(
    value: str | None, zone: tzinfo | None = None, *, ignore_offset: bool = False
) -> datetime | None:
    """A timestamp attribute of unknown form: epoch s/ms when all digits, else ISO 8601."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return from_epoch(value)
    return parse_iso(value, zone, ignore_offset=ignore_offset)


def parse_german_datetime(text: str) -> tuple[date | None, time | None]:
    """Split an ARD time line into (date, clock): "25.05.2024 • 20:37 Uhr" or "20:37 Uhr".

    The date is day-first (a generic parser would read it month-first). Either part is None when
    absent or invalid; the clock alone needs a date from elsewhere (see :func:`assign_dates`).
    """
    if not text:
        return None, None
    text = text.replace("\xa0", " ")
    m = _DE_DATETIME_RE.search(text)
    if m:
        d, mo, y, hh, mm = (int(g) for g in m.groups())
        try:
            return _day(y, mo, d), time(hh, mm)
        except ValueError:
            return None, None
    day: date | None = None
    dm = _DE_DATE_RE.search(text)
    if dm:
        try:
            day = _day(int(dm.group(3)), int(dm.group(2)), int(dm.group(1)))
        except ValueError:
            day = None
        text = text[: dm.start()] + " " + text[dm.end() :]
    return day, parse_clock(text)


def _day(year: int, month: int, day: int) -> date:
    """A printed date; years 1 and 9999 are refused (ValueError): the day before or a zone's
    offset would leave the range of a datetime."""
    if not 1 < year < 9999:
        reject_time(f"{day:02d}.{month:02d}.{year:04d}", "year out of range")
        raise ValueError(year)
    return date(year, month, day)


def parse_clock(text: str) -> time | None:
    """The first "HH:MM" in ``text`` ("20:37 Uhr", "21:06 (IST)", "11:48"), or None."""
    if not text:
        return None
    m = _CLOCK_RE.search(text)
    if not m:
        return None
    hh, mm = int(m.group(1)), int(m.group(2))
    if hh > 23 or mm > 59:
        return None
    return time(hh, mm)


def parse_stand(text: str, zone: tzinfo = BERLIN) -> datetime | None:
    """The ARD "Stand: 25.05.2024 20:37 Uhr" line as an aware datetime.

    It is used as an upper bound for the entries below it, so an ambiguous autumn hour takes the
    *later* reading (winter time): a bound that is too late is harmless, one too early is not.
    """
    day, clock = parse_german_datetime(text)
    if day is None:
        return None
    if clock is None:
        clock = time(23, 59)
    cands = wall_candidates(day, clock, zone)
    return cands[-1].astimezone(zone) if cands else None
