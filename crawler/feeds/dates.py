"""Feed dates: feedparser's parsed tuples, tolerant foreign-language dates and JSON Feed RFC 3339."""

from __future__ import annotations

import calendar
import re
import time
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from crawler.text.timeparse import as_utc, reject_time

# Month names by accent-free prefix (4 letters first, then 3): en, de, fr, es, it, pt.
_MONTHS = {
    **dict.fromkeys(("jan", "gen", "ene", "janv"), 1),
    **dict.fromkeys(("feb", "fev", "fevr"), 2),
    **dict.fromkeys(("mar", "mrz", "mars"), 3),
    **dict.fromkeys(("apr", "abr", "avr"), 4),
    **dict.fromkeys(("may", "mai", "mag"), 5),
    **dict.fromkeys(("jun", "giu", "juin"), 6),
    **dict.fromkeys(("jul", "lug", "juil"), 7),
    **dict.fromkeys(("aug", "ago", "aou", "aout"), 8),
    **dict.fromkeys(("sep", "set", "sept"), 9),
    **dict.fromkeys(("oct", "okt", "out", "ott"), 10),
    **dict.fromkeys(("nov",), 11),
    **dict.fromkeys(("dec", "dez", "dic"), 12),
}
_LOOSE_DATE_RE = re.compile(
    r"(\d{1,2})\.?\s+([^\W\d_]{3,})\.?,?\s+(\d{4}),?\s+(?:um\s+|à\s+|alle\s+)?"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|UTC|GMT|UT|[+-]\d{2}:?\d{2})?(?![\w:])",
    re.IGNORECASE,
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}[T ]")


def entry_date(entry: Any, name: str) -> str | None:
    """ISO-8601 UTC from feedparser's parsed tuple, else a tolerant parse of the raw string."""
    # dict.get skips FeedParserDict's deprecated updated<->published aliasing.
    parsed: time.struct_time | None = dict.get(entry, f"{name}_parsed")
    if parsed:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
        except (OverflowError, ValueError, OSError):
            return None
    return parse_loose_date(dict.get(entry, name) or "")


def parse_loose_date(value: str) -> str | None:
    """Parse "Seg, 24 Set 2018 19:42:40 -0300"-style dates feedparser rejects; None over a guess.

    A date without any zone is taken as UTC, as feedparser does for its own formats.
    """
    m = _LOOSE_DATE_RE.search(value or "")
    if not m:
        return None
    day, month_name, year, hour, minute, second, zone = m.groups()
    name = unicodedata.normalize("NFKD", month_name).encode("ascii", "ignore").decode().lower()
    month = _MONTHS.get(name[:4]) or _MONTHS.get(name[:3])
    if not month:
        return None
    offset = timedelta(0)
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    try:
        hms = (int(hour), int(minute), int(second or 0))
        local = datetime(int(year), month, int(day), *hms, tzinfo=timezone(offset))
    except ValueError:
        return None
    utc = as_utc(local, value)
    return utc.isoformat() if utc else None


def rfc3339_to_utc(value: Any) -> str | None:
    """RFC 3339 from a JSON Feed to ISO-8601 UTC; naive values are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)  # some JSON feeds use RFC 822
        except (TypeError, ValueError):
            loose = parse_loose_date(value)
            if loose is None and _ISO_DAY.match(value.strip()):
                reject_time(value, "not an RFC 3339 time")  # e.g. an offset of +25:00
            return loose
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    utc = as_utc(parsed, value)  # year 1 with a positive offset: before the first instant
    return utc.isoformat() if utc else None
