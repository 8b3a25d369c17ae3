"""ScribbleLive (legacy; many sites moved away): the API v1 posts of an event.

Format status: **one real post seen**. ../shared/fixtures/platforms/scribblelive/
livebridge_sl-post.json is a real API v1 post (``Id``, ``Content`` HTML, ``Created`` and
``LastModified`` as ``/Date(<ms>+0000)/``, ``IsStuck``, ``IsDeleted``, ``Creator.Name``). The
list wrapper follows the v1 documentation: ``{"Posts": [...], "Edits": [...], "Deletes": [...]}``
(``Deletes`` as post objects or bare ids); it was not seen in a real response. ``IsDeleted``
and ``Deletes`` are removals at once; ``Edits`` replace the post with the same ``Id``.

Embed markup: ``<div class="scrbbl-embed" data-src="/event/<id>[/…]">``.
"""

from __future__ import annotations

import re
from typing import Any

import crawler.extractors.platforms.base as base
from crawler.extractors.page import Page
from crawler.extractors.platforms.base import EmbedRef, Platform
from crawler.items import EntryItem

API = "https://apiv1.scribblelive.com/event/{event}/all/"
_EVENT_RE = re.compile(r"/event/(\d+)(?:[/?#]|$)")
_MS_DATE_RE = re.compile(r"/Date\((-?\d+)")


class ScribbleLive(Platform):
    name = "scribblelive"
    description = "ScribbleLive embed (API v1 event posts)"
    claims = ".scrbbl-embed[data-src*='/event/<id>']"
    marker = b"scrbbl-embed"
    hosts = ("apiv1.scribblelive.com",)
    formats = "one real post seen; list wrapper documented"

    def detect(self, page: Page) -> EmbedRef | None:
        for node in base.with_class(page.doc, "scrbbl-embed"):
            match = _EVENT_RE.search(node.get("data-src") or "")
            if match:
                return EmbedRef(self.name, base.valid_id(match.group(1), "event id"))
        return None

    def endpoint(self, ref: EmbedRef, since: str | None = None) -> str:
        return API.format(event=ref.id)

    def parse(self, data: Any, page_url: str) -> list[EntryItem]:
        if isinstance(data, dict) and "Id" in data and "Posts" not in data:
            data = {"Posts": [data]}  # one bare post
        base.need(data, dict, "the response", self.name)
        posts = base.need(data.get("Posts"), list, "'Posts'", self.name)
        by_key = {}
        edits = [p for p in data.get("Edits") or [] if isinstance(p, dict)]
        for post in base.each(posts + edits, "a post", self.name):
            entry = self._entry(post, page_url)
            by_key[entry.key] = entry  # an edit replaces the post it edits
        for gone in data.get("Deletes") or []:
            key = str(gone.get("Id") if isinstance(gone, dict) else gone)
            by_key[key] = base.make_entry(key, page_url, body_html="", deleted=True)
        return base.ordered([e for e in by_key.values() if e.key and e.key != "None"])

    def _entry(self, post: dict, page_url: str) -> EntryItem:
        creator = base.part(post, "Creator")
        return base.make_entry(
            str(post.get("Id") or ""),
            page_url,
            body_html=str(post.get("Content") or ""),
            published=_ms_date(post.get("Created")),
            updated=_ms_date(post.get("LastModified")),
            pinned=bool(post.get("IsStuck")),
            author=str(creator.get("Name") or ""),
            deleted=bool(post.get("IsDeleted")),
        )


def _ms_date(value: Any):
    """``/Date(1461231626797+0000)/`` (WCF JSON) or any form ``when`` reads."""
    match = _MS_DATE_RE.search(str(value or ""))
    return base.when(int(match.group(1))) if match else base.when(value)
