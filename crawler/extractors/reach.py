"""Reach plc "live-event" liveblogs (mirror.co.uk, corkbeo.ie and other Reach titles)."""

from __future__ import annotations

from crawler.extractors.adapter import DomAdapter, Selectors
from crawler.extractors.base import css

_KEY_EVENT_LABEL = "KEY EVENT"


class ReachAdapter(DomAdapter):
    """Reach's live-event CMS: one ``div.live-event-entry`` per post, epoch-ms timestamps.

    The numeric id equals the JSON-LD ``url`` fragment (``#751105``), so DOM and LD merge by key;
    the DOM shows only the newest window (Mirror: 30 of 428). The ``key-bubble`` list of key
    events is navigation: its entries are flagged by ``data-type`` on the entry itself.
    """

    name = "reach"
    description = (
        "Reach plc live-event pages (Mirror, CorkBeo, Daily Star, Manchester Evening News …)"
    )
    domains = (
        "mirror.co.uk",
        "irishmirror.ie",
        "corkbeo.ie",
        "dublinlive.ie",
        "belfastlive.co.uk",
        "dailystar.co.uk",
        "dailyrecord.co.uk",
        "manchestereveningnews.co.uk",
        "liverpoolecho.co.uk",
        "walesonline.co.uk",
        "birminghammail.co.uk",
        "chroniclelive.co.uk",
        "bristolpost.co.uk",
        "nottinghampost.com",
        "hulldailymail.co.uk",
        "kentlive.news",
        "cornwalllive.com",
    )
    claims = "div.live-event-entries > div.live-event-entry[id]"
    sel = Selectors(
        marker="live-event-entry",
        entry=css("div.live-event-entries > div.live-event-entry[id]", relative=False),
        # <div class="live-event-entry" id="751105" data-post-time="1722888018921" …> (epoch ms)
        time="string(@data-post-time)",
        updated="string(@data-last-modified-time)",
        # <div class="entry-content"><h3>headline</h3><p>…</p></div>
        title=css("div.entry-content > h3"),
        body=css("div.entry-content"),
        # data-type="key-event" (shown as <mark>KEY EVENT</mark> in place of the author)
        pinned="@data-type='key-event'",
        author=(
            "string(.//div[contains(concat(' ', normalize-space(@class), ' '), ' entry-info ')]"
            f"/mark[normalize-space() != '{_KEY_EVENT_LABEL}'])"
        ),
        timezone="Europe/London",
    )
