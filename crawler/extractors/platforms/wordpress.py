"""WordPress Liveblog (Automattic's plugin; WordPress VIP news sites): the plugin's REST API.

Format status: **documented + mock responses seen**. The plugin's own React mock data
(../shared/fixtures/platforms/wordpress-liveblog/, captured from a dev site) shows
``{"entries": [...], "page", "pages"}`` and the poll form with ``latest_timestamp``; each entry
has ``id`` (string), ``type`` (``new``/``update``/``delete``), ``render`` (HTML),
``timestamp``/``entry_time`` (epoch s), ``key_event`` and ``css_classes`` (``type-key``).
No captured response holds an ``update`` or ``delete`` entry; those follow the plugin source:
a ``delete`` entry carries the id of the entry it removes (removed at once). Such entries
come in the ``entries/<since>/<until>/`` form (what the plugin's own client polls); the paged
``get-entries`` form lists the current entries only. The daemon reads ``get-entries`` first,
then polls ``entries/<latest timestamp>/<far future>/`` (``latest_timestamp`` of the answer,
else the newest entry ``timestamp`` in it), which lists only what changed: new entries,
``update`` and ``delete`` entries.

Embed markup: ``#wpcom-liveblog-container`` *and* the ``liveblog_settings`` script object with
a numeric ``post_id`` (an empty container alone, as on nypost.com articles, is not a liveblog).
The API is the page's own site (``/wp-json/liveblog/v1/<post id>/…``): the one platform whose
host comes from the page URL the operator configured, never from ``liveblog_settings``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import crawler.extractors.platforms.base as base
from crawler.extractors.base import xp
from crawler.extractors.page import Page
from crawler.extractors.platforms.base import EmbedRef, Platform
from crawler.items import EntryItem

_SETTINGS_RE = re.compile(r"liveblog_settings\s*=\s*(\{.*?\})\s*;", re.DOTALL)
_POST_RE = re.compile(r'"post_id"\s*:\s*"?(\d{1,20})"?')
PREFIX = "/wp-json/liveblog/v1/"
FAR_FUTURE = 2**31 - 1


class WordPressLiveblog(Platform):
    name = "wordpress"
    description = "WordPress Liveblog plugin (Automattic) REST API on the page's own site"
    claims = "#wpcom-liveblog-container with a liveblog_settings script (post_id)"
    marker = b"wpcom-liveblog-container"
    formats = "documented (plugin source); mock REST responses seen"
    incremental = "entries/<since timestamp>/<end>/"

    def detect(self, page: Page) -> EmbedRef | None:
        if not page.has("liveblog_settings"):
            return None
        if not xp("//*[@id='wpcom-liveblog-container']")(page.doc):
            return None
        for script in xp("//script[contains(., 'liveblog_settings')]/text()")(page.doc):
            post_id = _post_id(str(script))
            if post_id:
                parts = urlsplit(page.url)
                origin = f"{parts.scheme}://{parts.netloc}"
                return EmbedRef(self.name, post_id, (("origin", origin),))
        return None

    def allows(self, url: str, page_url: str) -> bool:
        """Only the page's own origin (scheme, host and port), only the plugin's namespace."""
        a, b = urlsplit(url), urlsplit(page_url)
        same = (a.scheme, a.netloc) == (b.scheme, b.netloc) and a.scheme in ("http", "https")
        return same and a.path.startswith(PREFIX)

    def endpoint(self, ref: EmbedRef, since: str | None = None) -> str:
        full = f"{ref.param('origin')}{PREFIX}{ref.id}/get-entries/1/0-0"
        return self.with_cursor(full, since) if since else full

    def cursor(self, data: Any) -> str | None:
        if isinstance(data, dict) and base.digits(data.get("latest_timestamp")):
            return base.digits(data.get("latest_timestamp"))
        rows = data.get("entries") if isinstance(data, dict) else data
        stamps = [
            int(t)
            for row in (rows if isinstance(rows, list) else [])
            if isinstance(row, dict) and (t := base.digits(row.get("timestamp")))
        ]
        return str(max(stamps)) if stamps else None

    def with_cursor(self, endpoint: str, cursor: str) -> str:
        return f"{_base(endpoint)}entries/{int(cursor)}/{FAR_FUTURE}/"

    def full_endpoint(self, endpoint: str) -> str:
        return f"{_base(endpoint)}get-entries/1/0-0"

    def parse(self, data: Any, page_url: str) -> list[EntryItem]:
        rows = data if isinstance(data, list) else base.need(data, dict, "the response", self.name)
        if isinstance(rows, dict):
            rows = base.need(rows.get("entries"), list, "'entries'", self.name)
        entries = []
        for row in base.each(rows, "an entry", self.name):
            css = str(row.get("css_classes") or "").split()
            authors = base.part(row, "authors", list)
            author = authors[0].get("name", "") if authors and isinstance(authors[0], dict) else ""
            entries.append(
                base.make_entry(
                    str(row.get("id") or ""),
                    page_url,
                    body_html=str(row.get("render") or row.get("content") or ""),
                    published=base.when(row.get("entry_time") or row.get("timestamp")),
                    updated=base.when(row.get("timestamp"))
                    if row.get("type") == "update"
                    else None,
                    pinned=bool(row.get("key_event")) or "type-key" in css,
                    author=str(author),
                    deleted=row.get("type") == "delete",
                )
            )
        return base.ordered([e for e in entries if e.key])


_TAIL_RE = re.compile(r"(?:get-entries/\d+/[\d-]+|entries/\d+/\d+/)$")


def _base(endpoint: str) -> str:
    """The endpoint up to ``…/v1/<post>/`` (whichever form it is in)."""
    return _TAIL_RE.sub("", endpoint)


def _post_id(script: str) -> str:
    match = _SETTINGS_RE.search(script)
    if match:
        try:
            value = json.loads(match.group(1)).get("post_id")
        except (ValueError, AttributeError):
            value = None
        if value is not None and str(value).isdigit():
            return str(value)
    hit = _POST_RE.search(script)
    return hit.group(1) if hit else ""
