"""A liveblog series' members: which links of the hub become members, which are still polled.

tagesschau.de opens a new URL per day (``/newsticker/liveblog-ukraine-<weekday>-<n>.html``,
the number not derivable), so the URLs must be discovered. Each poll of the hub stores its
links (as a quiet feed source); links matching the series pattern become member liveblogs,
polled like any source. When a newer member appears, the older ones keep being polled for
the grace period — late corrections happen — and then stop.

The rules live in the database (members are source rows with ``series`` set), so the daemon
(scheduler/daemon/series.py) and every PostgreSQL worker (scheduler/workers/) apply them alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from crawler.net.policy import source_url_problem
from crawler.store.db import Store
from crawler.store.queries import hub_links, series_members
from crawler.store.sources import register_member
from crawler.text.urls import canonical_url
from scheduler.config.model import SourceConfig
from scheduler.timing.pacing import Pacer
from scheduler.timing.schedule import parse_time


def _same(url: str) -> str:
    """Two spellings of one page (tracking parameters, fragment, default port) compare equal."""
    return canonical_url(url, drop_fragment=True)


def hub_name(series: SourceConfig) -> str:
    return f"{series.name} (hub)"


def row_name(source: SourceConfig) -> str:
    """The name of a configured source's row: a series' row is its hub, ``<name> (hub)``."""
    return hub_name(source) if source.kind == "series" else source.name


def poll_options(source: SourceConfig) -> dict[str, Any]:
    """What the engine is asked for one configured source, the daemon's poll and a worker's
    alike: a series polls its hub (no article fetches) under the hub's name."""
    hub = source.kind == "series"
    return {
        "kind": "hub" if hub else source.kind,
        "site": source.site,
        "source_name": row_name(source),
        "timeout": source.timeout,
        "max_articles": 0 if hub else source.max_articles,
        "user_agent": source.user_agent,
        "auth": source.auth,
        "origin": source.origin,
        "selectors": dict(source.selectors) or None,
        "archive": source.archive,
    }


def member_name(series: SourceConfig, url: str) -> str:
    """``ukraine/liveblog-ukraine-montag-100``: the series plus the page's own slug."""
    slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return f"{series.name}/{slug.removesuffix('.html') or urlsplit(url).netloc}"


def discover(store: Store, series: SourceConfig, configured: Iterable[str] = ()) -> list[str]:
    """Register hub links that match the pattern and are new to the series; oldest first, so
    storage order (the sources' ids) is discovery order even within one hub poll.

    A link to a ``configured`` source (even one not polled yet), a non-http(s) link or one with
    credentials never becomes a member: a hub may only add to its own series.
    """
    pattern = re.compile(series.match or "")
    taken = {_same(url) for url in configured}
    links = [
        row
        for row in hub_links(store, series.url)
        if pattern.search(row["url"])
        and _same(row["url"]) not in taken
        and source_url_problem(row["url"]) is None
    ]
    # Within one poll a hub lists the newest first: register bottom-up.
    links.sort(key=lambda row: (row["first_seen_at"], -(row["position"] or 0)))
    return [
        row["url"]
        for row in links
        if register_member(store, row["url"], member_name(series, row["url"]), series.name)
    ]


def members(
    store: Store, series: SourceConfig, now: datetime, configured: Iterable[str] = ()
) -> tuple[list[SourceConfig], list[str]]:
    """(members to poll, names of members whose grace period is over).

    The newest member is always polled; an older one until ``grace`` after the next newer one
    was discovered. A ``configured`` source is never a member (a database from before that
    rule may list one), so it is polled once, under its own name.
    """
    taken = {_same(url) for url in configured}
    rows = [row for row in series_members(store, series.name) if _same(row["url"]) not in taken]
    active: list[SourceConfig] = []
    retired: list[str] = []
    for index, row in enumerate(rows):
        successor = rows[index + 1] if index + 1 < len(rows) else None
        superseded = parse_time(successor["created_at"]) if successor else None
        if superseded is not None and now > superseded + timedelta(seconds=series.grace):
            retired.append(row["name"])
            continue
        active.append(
            replace(
                series,
                name=row["name"],
                url=row["url"],
                kind="liveblog",
                match=None,
                origin=series.url,
                series=series.name,
                auth=None,  # the hub's credentials are for the hub, not for what it links to
            )
        )
    return active, retired


def follow(
    store: Store, series: SourceConfig, configured: Iterable[str], pacer: Pacer
) -> tuple[list[str], list[SourceConfig], list[str]]:
    """After a poll of the hub: its new member links registered, the adaptive members a newer
    one superseded ended; (URLs found now, members to poll, names of the retired ones)."""
    configured = list(configured)
    found = discover(store, series, configured)
    active, retired = members(store, series, datetime.now(UTC), configured)
    for older in active[:-1]:  # superseded by a newer member: the path of an ended blog
        if older.adaptive:
            pacer.supersede(older, active[-1].name)
    return found, active, retired
