"""Tickaroo Live Blog (zeit.de, the RND and Funke papers …): the v6 ``ticker/show.json`` feed.

Format status: **documented**. The shape follows Tickaroo's customer docs ("Liveblogs" API v6,
"Liveblog Entries (Events)", "Content Blocks"): ``{"game": {...}, "events": [Tik::Model::Event]}``
with ``local_id``, ``local_status`` (0 published, 60 unpublished, 100 deleted), ``created_at`` /
``updated_at`` (epoch s), ``highlight`` (``sticky``/``stickyNoHighlight`` pin an entry),
``headline`` (milestones) and ``contents`` (Editor V2 blocks) or ``event_info`` (Editor V1).
The only real Tickaroo-shaped file we have is a v5 event that livebridge *sends* to Tickaroo
(../shared/fixtures/platforms/tickaroo/livebridge-tickaroo_event-v5.json); ``parse_event``
reads it, but no response fetched from Tickaroo was available. Per the docs the full feed
lists live events only; deleted/unpublished ones come with ``refresh=<version>``, which lists
only the events changed since that version of the liveblog. The daemon polls that form once
a full read gave it a version (``game.version``, or a top-level ``version``: the field as the
docs describe it, not seen in a real response); a response without a version keeps the
daemon on the full feed, where a deletion reaches us as a vanished event.

Embed markup: ``<tickaroo-liveblog liveblogId=… clientId=…>`` (the tik4 web component) or a
``<script src=…/tik4.js?liveblogId=…&clientId=…>``. A ``tik4.css`` link, a meta tag or the
script URL inside a JSON config (FAZ) is not an embed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import crawler.extractors.platforms.base as base
from crawler.extractors.base import xp
from crawler.extractors.page import Page
from crawler.extractors.platforms.base import EmbedRef, PayloadError, Platform
from crawler.items import EntryItem

API = "https://www.tickaroo.com/api/v6/ticker/show.json"
LIMIT = 100
DELETED = {60, 100}  # unpublished, deleted: both are gone for a reader
PINNED = {"sticky", "stickyNoHighlight"}


class Tickaroo(Platform):
    name = "tickaroo"
    description = "Tickaroo Live Blog embed (v6 ticker/show.json)"
    claims = "<tickaroo-liveblog liveblogId clientId>, or script[src*=tik4.js] with liveblogId"
    marker = b"tickaroo"
    hosts = ("www.tickaroo.com", "cdn.tickaroo.com")
    formats = "documented (v6 docs); a real v5 event body seen"
    incremental = "refresh=<game version>"

    def detect(self, page: Page) -> EmbedRef | None:
        for node in xp("//tickaroo-liveblog")(page.doc):
            blog = base.attr(node, "liveblogid", "data-liveblog-id")
            if blog:
                return self._ref(blog, base.attr(node, "clientid", "data-client-id"))
        for src in xp("//script/@src[contains(., 'tik4.js')]")(page.doc):
            query = parse_qs(urlsplit(str(src)).query)
            blog = (query.get("liveblogId") or [""])[0]
            if blog:
                return self._ref(blog, (query.get("clientId") or [""])[0])
        return None

    def _ref(self, blog: str, client: str) -> EmbedRef:
        params = (("client_id", base.valid_id(client, "clientId")),) if client else ()
        return EmbedRef(self.name, base.valid_id(blog, "liveblogId"), params)

    def endpoint(self, ref: EmbedRef, since: str | None = None) -> str:
        query = {"id": ref.id, "limit": LIMIT}
        if ref.param("client_id"):
            query["client_id"] = ref.param("client_id")
        full = f"{API}?{urlencode(query)}"
        return self.with_cursor(full, since) if since else full  # refresh: changed events only

    def cursor(self, data: Any) -> str | None:
        game = data.get("game") if isinstance(data, dict) else None
        version = game.get("version") if isinstance(game, dict) else None
        return base.digits(version if version is not None else (data or {}).get("version"))

    def with_cursor(self, endpoint: str, cursor: str) -> str:
        return _set_query(endpoint, refresh=cursor)

    def full_endpoint(self, endpoint: str) -> str:
        return _set_query(endpoint, refresh=None)

    def parse(self, data: Any, page_url: str) -> list[EntryItem]:
        base.need(data, dict, "the response", self.name)
        events = data.get("events")
        if events is None and isinstance(data.get("game"), dict):
            events = data["game"].get("events")
        if events is None and data.get("_type") == "Tik::Model::Event":
            events = [data]  # one bare event (what livebridge posts)
        base.need(events, list, "'events'", self.name)
        return base.ordered([parse_event(e, page_url) for e in events])


def _set_query(url: str, **values: str | None) -> str:
    """``url`` with query parameters replaced (None: removed), the others kept in order."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in values]
    query += [(k, v) for k, v in values.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_event(event: Any, page_url: str) -> EntryItem:
    """One ``Tik::Model::Event`` (Editor V2 ``contents`` or V1 ``event_info``)."""
    base.need(event, dict, "an event", "tickaroo")
    key = str(event.get("local_id") or event.get("_id") or "")
    if not key:
        raise PayloadError("tickaroo: event without local_id")
    parts = [_block(b) for b in event.get("contents") or [] if isinstance(b, dict)]
    info = base.part(event, "event_info")
    if not parts and info.get("title"):
        parts.append(base.text_html(str(info["title"])))
    for medium in event.get("media") or []:
        if isinstance(medium, dict) and medium.get("url"):
            parts.append(base.figure(str(medium["url"]), str(medium.get("title") or "")))
    editor = base.part(event, "editor")
    return base.make_entry(
        key,
        page_url,
        body_html="".join(parts),
        title=str(event.get("headline") or ""),
        published=base.when(event.get("created_at")),
        updated=base.when(event.get("updated_at")),
        pinned=event.get("highlight") in PINNED or bool(event.get("is_sticky")),
        author=str(editor.get("name") or ""),
        deleted=event.get("local_status") in DELETED,
    )


def _block(block: dict) -> str:
    kind = str(block.get("_type", "")).rsplit("::", 1)[-1]
    if kind == "RichTextContentBlock":
        return str(block.get("text") or "")
    if kind == "QuoteContentBlock":
        quote = base.text_html(str(block.get("text") or ""))
        who = base.text_html(str(block.get("author") or ""))
        return f"<blockquote>{quote}{who}</blockquote>"
    if kind == "EmojiContentBlock":
        return str(block.get("title") or "")
    if kind == "WebEmbedContentBlock" and block.get("url"):
        return base.text_html(str(block["url"]))
    if kind == "MultiMediaContentBlock":
        items = [i for i in block.get("items") or [] if isinstance(i, dict) and i.get("url")]
        return "".join(base.figure(str(i["url"]), str(i.get("title") or "")) for i in items)
    return ""
