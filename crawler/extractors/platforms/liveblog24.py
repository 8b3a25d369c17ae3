"""24liveblog (24liveplus): the ``retrieve_server`` news feed of an event.

Format status: **documented (public client code only)**. No stored response was available;
the shape follows public clients of ``data.24liveplus.com/v1/retrieve_server/x/event/<eid>/news/``:
``{"err_code": 100, "data": {"news": [{"nid", "created" (epoch s), "contents" (HTML)}]}}``.
Fields we could not confirm (``updated``, ``is_top``/``top``, ``author``/``user``, ``deleted``)
are read when present and ignored when absent. ``last_nid`` pages backwards from an entry.

Embed markup: ``<div id="LB24_LIVE_CONTENT" data-eid="<event id>">`` (a ``.lb24-liveblog``
CSS rule alone is not an embed).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import crawler.extractors.platforms.base as base
from crawler.extractors.base import xp
from crawler.extractors.page import Page
from crawler.extractors.platforms.base import EmbedRef, PayloadError, Platform
from crawler.items import EntryItem

API = "https://data.24liveplus.com/v1/retrieve_server/x/event/{eid}/news/"


class Liveblog24(Platform):
    name = "24liveblog"
    description = "24liveblog embed (data.24liveplus.com news feed)"
    claims = "#LB24_LIVE_CONTENT[data-eid]"
    marker = b"LB24_LIVE_CONTENT"
    hosts = ("data.24liveplus.com",)
    formats = "documented (public client code only; no payload seen)"
    incremental = "last_nid=<entry id> (pages to older entries)"

    def detect(self, page: Page) -> EmbedRef | None:
        for node in xp("//*[@id='LB24_LIVE_CONTENT']")(page.doc):
            eid = base.attr(node, "data-eid")
            if eid:
                return EmbedRef(self.name, base.valid_id(eid, "data-eid"))
        return None

    def endpoint(self, ref: EmbedRef, since: str | None = None) -> str:
        query = {"inverted_order": 1, "last_nid": since or "", "limit": 100}
        return API.format(eid=ref.id) + "?" + urlencode(query)

    def parse(self, data: Any, page_url: str) -> list[EntryItem]:
        base.need(data, dict, "the response", self.name)
        if data.get("err_code") not in (None, 100):
            raise PayloadError(f"{self.name}: err_code {data.get('err_code')!r}")
        body = base.need(data.get("data"), dict, "'data'", self.name)
        news = base.need(body.get("news"), list, "'data.news'", self.name)
        entries = []
        for item in base.each(news, "a news item", self.name):
            user = base.part(item, "user")
            entries.append(
                base.make_entry(
                    str(item.get("nid") or ""),
                    page_url,
                    body_html=str(item.get("contents") or ""),
                    title=str(item.get("title") or ""),
                    published=base.when(item.get("created")),
                    updated=base.when(item.get("updated")),
                    pinned=bool(item.get("is_top") or item.get("top")),
                    author=str(user.get("name") or item.get("author") or ""),
                    deleted=bool(item.get("deleted")),
                )
            )
        return base.ordered([e for e in entries if e.key])
