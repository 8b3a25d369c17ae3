"""Arena Live Blog (arena.im): the cached liveblog JSON of a publisher's event.

Format status: **documented (public client code only)**. No stored response was available;
the shape follows public clients of ``cached-api.arena.im/v1/liveblog/<publisher>/<event>``:
``{"eventInfo": {...}, "posts": [{"key"/"_id", "createdAt", "modifiedAt" (epoch ms),
"message": {"title", "text"}, "sender": {"name"}, "isPinned"}]}``. Fields we could not confirm
are read when present and ignored when absent; Arena states no deletions in this feed (a
deleted post disappears, so the usual two-poll rule applies).

Embed markup: ``<div class="arena-liveblog" data-publisher=… data-event=…>``.
"""

from __future__ import annotations

from typing import Any

import crawler.extractors.platforms.base as base
from crawler.extractors.page import Page
from crawler.extractors.platforms.base import EmbedRef, Platform
from crawler.items import EntryItem

API = "https://cached-api.arena.im/v1/liveblog/{publisher}/{event}"


class Arena(Platform):
    name = "arena"
    description = "Arena Live Blog embed (cached-api.arena.im)"
    claims = ".arena-liveblog[data-publisher][data-event]"
    marker = b"arena-liveblog"
    hosts = ("cached-api.arena.im",)
    formats = "documented (public client code only; no payload seen)"

    def detect(self, page: Page) -> EmbedRef | None:
        for node in base.with_class(page.doc, "arena-liveblog"):
            publisher, event = base.attr(node, "data-publisher"), base.attr(node, "data-event")
            if publisher and event:
                publisher = base.valid_id(publisher, "data-publisher")
                return EmbedRef(
                    self.name, base.valid_id(event, "data-event"), (("publisher", publisher),)
                )
        return None

    def endpoint(self, ref: EmbedRef, since: str | None = None) -> str:
        return API.format(publisher=ref.param("publisher"), event=ref.id)

    def parse(self, data: Any, page_url: str) -> list[EntryItem]:
        base.need(data, dict, "the response", self.name)
        posts = base.need(data.get("posts"), list, "'posts'", self.name)
        entries = []
        for post in base.each(posts, "a post", self.name):
            message = base.part(post, "message")
            sender = base.part(post, "sender")
            entries.append(
                base.make_entry(
                    str(post.get("key") or post.get("_id") or post.get("id") or ""),
                    page_url,
                    body_html=str(message.get("text") or ""),
                    title=str(message.get("title") or ""),
                    published=base.when(post.get("createdAt")),
                    updated=base.when(post.get("modifiedAt")),
                    pinned=bool(post.get("isPinned") or post.get("pinned")),
                    author=str(sender.get("name") or sender.get("displayName") or ""),
                )
            )
        return base.ordered([e for e in entries if e.key])
