"""express.co.uk liveblogs (Reach plc's other layout: ``live-events__entry`` blocks)."""

from __future__ import annotations

from crawler.extractors.adapter import DomAdapter, Selectors
from crawler.extractors.base import css


class ExpressAdapter(DomAdapter):
    """Express entries: id ``live-<articleId>-<slug>`` (equal to the LD url fragment).

    ``data-sort-time`` is epoch *seconds* and is used for the time; the visible
    ``time@data-time`` is UK wall time without an offset and mixes in "21 mins ago", so it is
    left alone.
    """

    name = "express"
    description = "express.co.uk live-events pages (Reach plc, 2024 layout)"
    domains = ("express.co.uk",)
    claims = "div.live-events__entries > div.live-events__entry[id]"
    sel = Selectors(
        marker="live-events__entry",
        entry=css("div.live-events__entries > div.live-events__entry[id]", relative=False),
        # <div class="live-events__entry" id="live-1924698-qq0im" data-sort-time="1721299680" …>
        time="string(@data-sort-time)",
        updated="string(@data-update-time)",
        title=css("h3.live-events__entry-head"),
        # body = entry-text plus the photo blocks after it; the info line (time, author) is not
        body="*",
        exclude=css("div.live-events__entry-info"),
        author=css("a.live-events__entry-author"),
        timezone="Europe/London",
    )
