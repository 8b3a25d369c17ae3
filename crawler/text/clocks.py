"""Printed times as liveblogs show them: clocks, zones, match minutes, relative times, date lines.

The generic extractor reads times that a page prints instead of stamping them in an attribute:
"05.20 Uhr: Titel", "+++ 14:26 Titel +++", "21:06 (IST)", "12.50 BST", "14h26", "2:26pm",
"95'" / "45+2'" (a match minute: not a wall-clock time, never turned into one), "4m ago" /
"vor 5 Minuten" (against the page's own time), and date headings in several languages
("Dienstag, 4. Februar 2025", "4 February 2025", "04.02.2025"). Pure text, no tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

# A colon clock anywhere; a dot or "h" clock only with a unit after it ("Uhr", "h", a zone), so
# "65.06 sek." (a race time) or "3.5 million" is never a clock.
_COLON = r"(?P<h1>[01]?\d|2[0-3]):(?P<m1>[0-5]\d)(?![\d:])"
_DOT = r"(?P<h2>[01]?\d|2[0-3])\.(?P<m2>[0-5]\d)(?=\s*(?:Uhr|h\b|[A-Z]{2,4}\b|\(\w{2,4}\)))"
_FRENCH = r"(?P<h3>[01]?\d|2[0-3])\s?h\s?(?P<m3>[0-5]\d)(?!\d)"
_CLOCK_RE = re.compile(
    rf"(?<![\d.:,/])(?:{_COLON}|{_DOT}|{_FRENCH})"
    r"(?:\s*(?P<ampm>[aApP]\.?[mM]\.?)(?![a-zA-Z]))?(?:\s*Uhr\b)?"
)
_ZONE_RE = re.compile(r"^\s*(?:Uhr\s*)?\(?(?P<zone>[A-Z]{2,5})\)?(?![A-Za-z])")
# Zone abbreviations printed next to clocks. IST is India (NDTV) unless the page is Irish.
ZONES: dict[str, str] = {
    "UTC": "UTC",
    "GMT": "UTC",
    "Z": "UTC",
    "BST": "Europe/London",
    "IST": "Asia/Kolkata",
    "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin",
    "MEZ": "Europe/Berlin",
    "MESZ": "Europe/Berlin",
    "EET": "Europe/Athens",
    "EEST": "Europe/Athens",
    "ET": "America/New_York",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "CT": "America/Chicago",
    "CDT": "America/Chicago",
    "PT": "America/Los_Angeles",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "JST": "Asia/Tokyo",
    "TRT": "Europe/Istanbul",
    "BRT": "America/Sao_Paulo",
}
# A match minute: "95'", "45+2'", "90+4’" (typographic apostrophe or prime), "90'+3".
_MINUTE_RE = re.compile(
    r"(?<![\w.:+])(?P<m>\d{1,3})(?:\s*\+\s*(?P<x>\d{1,2}))?\s*['’′]"
    r"(?:\s*\+\s*(?P<y>\d{1,2})(?!\d))?(?!\w)"
)
_NUM = r"(?P<n>\d+|an?|one|einer?|einem)"
_RELATIVE = [
    (rf"\b{_NUM}\s*(?P<u>s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\s+ago\b", "en"),
    (
        rf"\bvor\s+{_NUM}\s*(?P<u>sek(?:\.|unden?)?|min(?:\.|uten?)?|std\.?|stunden?|tag(?:en)?|h)",
        "de",
    ),
    (rf"\bil y a\s+{_NUM}\s*(?P<u>s|sec|secondes?|min|minutes?|h|heures?|jours?)", "fr"),
    (rf"\bhace\s+{_NUM}\s*(?P<u>s|seg|segundos?|min|minutos?|h|horas?|d[ií]as?)", "es"),
    (rf"\bh[áa]\s+{_NUM}\s*(?P<u>s|seg|segundos?|min|minutos?|h|horas?|dias?)", "pt"),
    (rf"\b{_NUM}\s*(?P<u>secondi|min|minuti|minuto|ore|ora|giorni|giorno)\s+fa\b", "it"),
    (rf"\b{_NUM}\s*(?P<u>sek|min|minut[yę]?|godz|godzin[yę]?|dni|dzień)\.?\s+temu\b", "pl"),
    (rf"\b{_NUM}\s*(?P<u>sn|saniye|dk|dakika|sa|saat|gün)\s+önce\b", "tr"),
]
_RELATIVE_RE = [re.compile(p, re.IGNORECASE) for p, _ in _RELATIVE]
_JUST_NOW_RE = re.compile(r"\bjust now\b|\bgerade eben\b|\bà l'instant\b", re.IGNORECASE)

_MONTHS = {
    # en, de, fr, it, es, pt, pl (nominative and genitive), tr; three-letter forms are prefixes
    1: "jan january januar janvier gennaio enero janeiro styczeń stycznia ocak",
    2: "feb february februar février fevrier febbraio febrero fevereiro luty lutego şubat subat",
    3: "mar march märz maerz mars marzo março marco marzec marca mart",
    4: "apr april avril aprile abril kwiecień kwietnia nisan",
    5: "may mai maggio mayo maio maj maja mayıs mayis",
    6: "jun june juni juin giugno junio junho czerwiec czerwca haziran",
    7: "jul july juli juillet luglio julio julho lipiec lipca temmuz",
    8: "aug august août aout agosto sierpień sierpnia ağustos agustos",
    9: "sep sept september septembre settembre septiembre setembro wrzesień września eylül",
    10: "oct october oktober octobre ottobre octubre outubro okt październik października ekim",
    11: "nov november novembre noviembre novembro listopad listopada kasım kasim",
    12: "dec december dezember décembre decembre dicembre diciembre dezembro dez grudzień grudnia"
    " aralık aralik",
}
_MONTH_OF = {name: number for number, names in _MONTHS.items() for name in names.split()}
_MONTH_NAMES = "|".join(sorted(_MONTH_OF, key=len, reverse=True))
_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?!\d)")
_ISO_DAY_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DAY_MONTH_RE = re.compile(
    rf"(?<![\w.])(\d{{1,2}})\.?\s*(?:de\s+)?({_MONTH_NAMES})\.?(?:\s*(?:de\s+)?(\d{{4}}))?(?!\w)",
    re.IGNORECASE,
)
_MONTH_DAY_RE = re.compile(
    rf"(?<!\w)({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Printed:
    """What one short text says about when: any of day, clock (+ zone), minute, ago.

    ``span`` is where the clock or minute stands in the text, so a heading "05.20 Uhr: Titel"
    can give its title without the time.
    """

    day: date | None = None
    clock: time | None = None
    zone: tzinfo | None = None
    minute: str | None = None
    ago: timedelta | None = None
    span: tuple[int, int] | None = None

    @property
    def found(self) -> bool:
        return bool(self.day or self.timed)

    @property
    def timed(self) -> bool:
        """A clock, a match minute or a relative time: what dates one entry (a day alone
        is a date heading's)."""
        return bool(self.clock or self.minute or self.ago is not None)


def read_printed(text: str, *, year: int | None = None) -> Printed:
    """Everything ``text`` prints about a time; empty ``Printed`` when it prints nothing.

    ``year`` completes dates printed without one ("4. Februar").
    """
    if not text:
        return Printed()
    text = text.replace("\xa0", " ")
    day, day_span = read_day(text, year=year)
    rest = text
    if day_span:  # a date's digits must not read as a clock ("04.02.2025")
        rest = text[: day_span[0]] + " " * (day_span[1] - day_span[0]) + text[day_span[1] :]
    clock, zone, span = _read_clock(rest)
    if clock is not None:
        return Printed(day=day, clock=clock, zone=zone, span=span)
    m = _MINUTE_RE.search(rest)
    if m and int(m.group("m")) <= 130:
        extra = m.group("x") or m.group("y")
        minute = m.group("m") + (f"+{extra}" if extra else "")
        return Printed(day=day, minute=minute, span=m.span())
    ago = read_relative(rest)
    return Printed(day=day, ago=ago)


def _read_clock(text: str) -> tuple[time | None, tzinfo | None, tuple[int, int] | None]:
    m = _CLOCK_RE.search(text)
    if not m:
        return None, None, None
    hh = int(m.group("h1") or m.group("h2") or m.group("h3"))
    mm = int(m.group("m1") or m.group("m2") or m.group("m3"))
    ampm = (m.group("ampm") or "").lower().replace(".", "")
    if ampm:
        if hh > 12:
            return None, None, None
        hh = hh % 12 + (12 if ampm == "pm" else 0)
    zone = None
    end = m.end()
    z = _ZONE_RE.match(text[end:])
    if z and z.group("zone").upper() in ZONES:
        zone = ZoneInfo(ZONES[z.group("zone").upper()])
        end += z.end()
    return time(hh, mm), zone, (m.start(), end)


def read_relative(text: str) -> timedelta | None:
    """ "4m ago", "vor 5 Minuten", "il y a 2 h", "hace 3 horas", "5 minut temu" … as a duration."""
    if _JUST_NOW_RE.search(text):
        return timedelta(0)
    for pattern in _RELATIVE_RE:
        m = pattern.search(text)
        if m:
            n = m.group("n")
            count = int(n) if n.isdigit() else 1
            unit = m.group("u").lower()
            return count * _unit(unit)
    return None


_SECOND, _MINUTE, _HOUR, _DAY = (timedelta(seconds=n) for n in (1, 60, 3600, 86400))
# Unit words by prefix, first match wins ("saniye" is seconds, "saat" hours, "dakika" minutes).
_UNITS = (
    ("san", _SECOND),
    ("sn", _SECOND),
    ("sek", _SECOND),
    ("sec", _SECOND),
    ("seg", _SECOND),
    ("sa", _HOUR),
    ("std", _HOUR),
    ("stu", _HOUR),
    ("s", _SECOND),
    ("dk", _MINUTE),
    ("dak", _MINUTE),
    ("m", _MINUTE),
    ("h", _HOUR),
    ("godz", _HOUR),
    ("ore", _HOUR),
    ("ora", _HOUR),
)


def _unit(unit: str) -> timedelta:
    for prefix, delta in _UNITS:
        if unit.startswith(prefix):
            return delta
    return _DAY  # d, day, tag, jour, día, dia, giorni, dni, dzień, gün


def read_day(text: str, *, year: int | None = None) -> tuple[date | None, tuple[int, int] | None]:
    """A calendar date printed in ``text`` (day-first numerals, ISO, or a month name)."""
    for regex, order in ((_DMY_RE, "dmy"), (_ISO_DAY_RE, "ymd")):
        m = regex.search(text)
        if m:
            a, b, c = (int(g) for g in m.groups())
            d, mo, y = (a, b, c) if order == "dmy" else (c, b, a)
            y = y + 2000 if y < 100 else y
            return _date(y, mo, d), m.span()
    # The month's name before or after the day: (regex, group of the day, group of the month).
    for regex, day, month in ((_DAY_MONTH_RE, 1, 2), (_MONTH_DAY_RE, 2, 1)):
        m = regex.search(text)
        if m:
            y = int(m.group(3)) if m.group(3) else year
            mo = _month(m.group(month))
            if y and mo:
                return _date(y, mo, int(m.group(day))), m.span()
    return None, None


def _month(name: str) -> int | None:
    name = name.lower()
    return _MONTH_OF.get(name) or _MONTH_OF.get(name[:3])


def _date(y: int, mo: int, d: int) -> date | None:
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def is_date_line(text: str, *, year: int | None = None) -> date | None:
    """The date of a heading that is only a date ("Dienstag, 4. Februar 2025"), else None."""
    if not text or len(text) > 60:
        return None
    day, span = read_day(text, year=year)
    if day is None or span is None:
        return None
    rest = (text[: span[0]] + text[span[1] :]).strip(" ,.:-–|")
    # What is left may be a weekday name, nothing else of substance.
    if len(rest) > 14 or any(ch.isdigit() for ch in rest) or _CLOCK_RE.search(text):
        return None
    return day
