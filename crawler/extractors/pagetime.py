"""The page's own time and zone, which date and localise the clocks a liveblog prints bare.

Reference time, first found wins: a dateline ("Stand: 04.02.2025 07:30 Uhr", "Updated: …"),
the JSON-LD ``dateModified``/``datePublished`` of the page's article, the ``article:modified_time``
/ ``og:updated_time`` / ``article:published_time`` meta tags, a date-only ``SportsEvent``
``startDate`` or a date in the title (then the end of that day), else the caller's ``now``.
Zone: the site's language or country (``lang="pl"``, ``.pl``), else the offset of the page's
own time, else UTC. A zone printed beside the clocks ("BST", "(IST)") beats both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from crawler.text.clocks import read_day
from crawler.text.timeparse import BERLIN, parse_iso, parse_stand

if TYPE_CHECKING:
    from crawler.extractors.page import Page

_DATELINE = (
    "//body//text()[string-length(normalize-space()) < 80][contains(., 'Stand')"
    " or contains(., 'Aktualisiert') or contains(., 'Updated') or contains(., 'updated')]"
)
_META = (
    "article:modified_time",
    "og:updated_time",
    "dateModified",
    "article:published_time",
    "datePublished",
)
_LD_TYPES = {"NewsArticle", "Article", "LiveBlogPosting", "WebPage", "ReportageNewsArticle"}
# Country code top-level domains and languages whose liveblogs print one zone.
_BY_TLD = {
    "de": "Europe/Berlin",
    "at": "Europe/Vienna",
    "ch": "Europe/Zurich",
    "pl": "Europe/Warsaw",
    "fr": "Europe/Paris",
    "be": "Europe/Brussels",
    "nl": "Europe/Amsterdam",
    "it": "Europe/Rome",
    "es": "Europe/Madrid",
    "pt": "Europe/Lisbon",
    "br": "America/Sao_Paulo",
    "uk": "Europe/London",
    "ie": "Europe/Dublin",
    "in": "Asia/Kolkata",
    "tr": "Europe/Istanbul",
}
_BY_LANG = {
    "de": "Europe/Berlin",
    "pl": "Europe/Warsaw",
    "fr": "Europe/Paris",
    "it": "Europe/Rome",
    "es": "Europe/Madrid",
    "pt-br": "America/Sao_Paulo",
    "pt": "Europe/Lisbon",
    "tr": "Europe/Istanbul",
    "nl": "Europe/Amsterdam",
    "en-gb": "Europe/London",
    "en-ie": "Europe/Dublin",
    "en-in": "Asia/Kolkata",
}


def page_zone(page: Page) -> tzinfo | None:
    """The zone the site prints its clocks in, as far as language and country tell."""
    if b" Uhr" in page.time_words:
        return BERLIN
    for host in page.hosts:
        tld = host.rsplit(".", 1)[-1]
        if tld in _BY_TLD:
            return ZoneInfo(_BY_TLD[tld])
    lang = (page.doc.get("lang") or "").lower().replace("_", "-")
    for code in (lang, lang.split("-")[0]):
        if code in _BY_LANG:
            return ZoneInfo(_BY_LANG[code])
    return None


def reference_time(page: Page) -> datetime | None:
    """The newest instant the page's entries can have (see the module docstring)."""
    if page.time_words - {b" Uhr"}:
        for text in page.select(_DATELINE):
            stand = parse_stand(str(text))
            if stand is not None:
                return stand
    for obj in page.ld_objects:
        if _types(obj) & _LD_TYPES:
            for name in ("dateModified", "datePublished"):
                when = parse_iso(str(obj.get(name) or ""))
                if when is not None:
                    return when
    zone = page.zone or UTC
    for name in _META:
        for value in page.select(
            f"/html/head/meta[@property='{name}' or @name='{name}' or @itemprop='{name}']/@content"
        ):
            when = parse_iso(str(value))
            if when is not None:
                # A publication time is the blog's start, not its newest entry: that day.
                return when if "odified" in name or "updated" in name else _end_of(when, zone)
    for obj in page.ld_objects:
        if "SportsEvent" in _types(obj):
            day, _ = read_day(str(obj.get("endDate") or obj.get("startDate") or ""))
            if day is not None:
                return _end_of(day, zone)
    for value in page.select("/html/head/title/text()"):
        day, _ = read_day(str(value))
        if day is not None:
            return _end_of(day, zone)
    return page.now


def _end_of(day: date | datetime, zone: tzinfo) -> datetime:
    if isinstance(day, datetime):
        day = day.astimezone(zone).date()
    return datetime.combine(day, time(23, 59, 59), zone)


def _types(obj: dict) -> set[str]:
    raw = obj.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return {str(n).rsplit("/", 1)[-1] for n in names if n}
