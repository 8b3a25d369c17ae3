"""Synthetic liveblogs, feeds and article pages for the benchmark, deterministic per seed.

Liveblogs come in four markups: JSON-LD ``LiveBlogPosting`` plus Reach-style DOM entries
(like Mirror), JSON-LD plus plain ``<article>`` blocks (the generic heuristic's blocks merged
with the JSON-LD), Reach DOM only (no structured data) and plain ``<article>`` blocks only
(the generic heuristic alone: a page no adapter knows and without structured data). Each
page is padded with an inline script to a target size between 150 KB and 1.2 MB, as real
liveblogs carry hundreds of KB of scripts and state.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from typing import ClassVar

STYLES = ("jsonld+reach", "jsonld+article", "reach", "article")
# What reads each style: the per-poll table names the extraction path, not only the markup.
STYLE_PATHS = {
    "jsonld+reach": "site adapter + JSON-LD",
    "jsonld+article": "JSON-LD merged with generic blocks",
    "reach": "site adapter",
    "article": "generic heuristic",
}
_WORDS = (
    "minister said government forces city officials police report attack talks border "
    "president army ceasefire aid power water strike drone region vote parliament crisis "
    "hospital people killed injured evacuated statement agency spokesperson confirmed "
    "according sources earlier today tonight morning afternoon meeting summit leaders "
    "sanctions energy prices market shares fell rose percent million billion weather storm "
    "flood warning roads closed trains delayed airport flights cancelled emergency services "
    "rescue teams residents shelter supplies convoy negotiations agreement deal opposition"
).split()


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


class TextPool:
    """Pre-made paragraphs, so a thousand pages cost a few seconds to build, not minutes."""

    def __init__(self, seed: int, size: int = 1500) -> None:
        rng = random.Random(seed)
        self.paras = [
            " ".join(_sentence(rng, rng.randint(8, 22)) for _ in range(rng.randint(2, 4)))
            for _ in range(size)
        ]
        self.titles = [_sentence(rng, rng.randint(5, 10))[:-1] for _ in range(size)]


@dataclass
class Entry:
    id: int
    posted: float  # epoch seconds
    modified: float
    headline: str
    paras: list[str]
    author: str


@dataclass
class Served:
    """What the server keeps for a liveblog and a feed alike: ``version`` bumps on every change
    (ETag), ``changed_at`` is Last-Modified, ``body`` the rendered page."""

    prefix: ClassVar[str]  # the URL path the source is served under
    name: str
    version: int = field(default=1, kw_only=True)
    changed_at: float = field(default_factory=time.time, kw_only=True)
    next_id: int = field(default=100_000, kw_only=True)
    body: bytes = field(default=b"", kw_only=True)

    def url(self, base: str) -> str:
        return f"{base}/{self.prefix}/{self.name}"


@dataclass
class Liveblog(Served):
    """One liveblog: entries newest first."""

    prefix: ClassVar[str] = "lb"
    style: str
    conditional: bool
    target_bytes: int
    entries: list[Entry] = field(default_factory=list)

    def render(self, base: str) -> bytes:
        url = self.url(base)
        if not self.style.startswith("jsonld"):
            ld = ""
        else:
            updates = [
                {
                    "@type": "BlogPosting",
                    "url": f"{url}#{_dom_id(self.style, e.id)}",
                    "headline": e.headline,
                    "articleBody": " ".join(e.paras),
                    "datePublished": _iso(e.posted),
                    "dateModified": _iso(e.modified),
                    "author": {"@type": "Person", "name": e.author},
                }
                for e in self.entries
            ]
            data = {
                "@context": "https://schema.org",
                "@type": "LiveBlogPosting",
                "headline": f"Live: benchmark liveblog {self.name}",
                "url": url,
                "datePublished": _iso(self.entries[-1].posted) if self.entries else None,
                "dateModified": _iso(self.changed_at),
                "liveBlogUpdate": updates,
            }
            ld = f'<script type="application/ld+json">{json.dumps(data)}</script>'
        blocks = "\n".join(_entry_html(self.style, e) for e in self.entries)
        wrapper = "posts" if generic(self.style) else "live-event-entries"
        head = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Live: benchmark liveblog {self.name}</title>"
            f'<link rel="canonical" href="{url}">{ld}</head><body>'
            '<header><nav><a href="/">Home</a> <a href="/news">News</a> '
            '<a href="/sport">Sport</a></nav></header>'
            f"<main><h1>Live: benchmark liveblog {self.name}</h1>"
            f'<div class="{wrapper}">{blocks}</div></main>'
        )
        tail = "<footer>© Benchmark Media</footer></body></html>"
        pad = self.target_bytes - len(head) - len(tail) - 40
        script = ""
        if pad > 0:
            # Inline app state, as real pages ship it; nothing an extractor should read.
            chunk = '{"k":"' + "x" * 90 + '"},'
            script = f"<script>window.__STATE__=[{chunk * (pad // len(chunk))}0];</script>"
        return (head + script + tail).encode("utf-8")


def generic(style: str) -> bool:
    """Plain ``<article>`` blocks that no adapter claims: the generic heuristic reads them."""
    return style.endswith("article")


def _dom_id(style: str, entry_id: int) -> str:
    return f"post-{entry_id}" if generic(style) else str(entry_id)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def _entry_html(style: str, e: Entry) -> str:
    paras = "\n".join(f"<p>{escape(p)}</p>" for p in e.paras)
    share = '<div class="share-bar"><button>Share</button><a href="#">Twitter</a></div>'
    if generic(style):
        return (
            f'<article class="post" id="post-{e.id}"><time datetime="{_iso(e.posted)}">'
            f"{_iso(e.posted)[11:16]}</time><h3>{escape(e.headline)}</h3>{paras}{share}</article>"
        )
    return (
        f'<div class="live-event-entry" id="{e.id}" data-post-time="{int(e.posted * 1000)}" '
        f'data-last-modified-time="{int(e.modified * 1000)}">'
        f'<div class="entry-info"><mark>{escape(e.author)}</mark></div>'
        f'<div class="entry-content"><h3>{escape(e.headline)}</h3>{paras}</div>{share}</div>'
    )


@dataclass
class Feed(Served):
    """One RSS feed: items newest first."""

    prefix: ClassVar[str] = "feed"
    conditional: bool
    items: list[Entry] = field(default_factory=list)

    def render(self, base: str) -> bytes:
        parts = []
        for item in self.items:
            link = f"{base}/art/{self.name}/{item.id}"
            summary = escape(f"<p>{item.paras[0]}</p>")
            parts.append(
                f'<item><guid isPermaLink="false">{self.name}-{item.id}</guid>'
                f"<title>{escape(item.headline)}</title><link>{link}</link>"
                f"<description>{summary}</description>"
                f"<pubDate>{formatdate(item.posted, usegmt=True)}</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Benchmark feed {self.name}</title><link>{base}/</link>"
            f"<description>benchmark</description>{''.join(parts)}</channel></rss>"
        ).encode()


def article_html(pool: TextPool, feed: str, item_id: int) -> bytes:
    rng = random.Random(f"{feed}/{item_id}")
    title = rng.choice(pool.titles)
    paras = "".join(f"<p>{escape(rng.choice(pool.paras))}</p>" for _ in range(rng.randint(6, 12)))
    return (
        f'<!doctype html><html lang="en"><head><title>{escape(title)}</title></head><body>'
        '<div class="cookie-banner">We use cookies. <button>Accept</button></div>'
        '<nav><a href="/">Home</a></nav>'
        f"<article><h1>{escape(title)}</h1>{paras}</article>"
        "<footer>Imprint</footer></body></html>"
    ).encode()


class World:
    """Every source the server serves, with the changes applied so far."""

    def __init__(self, liveblogs: int, feeds: int, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.pool = TextPool(seed)
        self.liveblogs: dict[str, Liveblog] = {}
        self.feeds: dict[str, Feed] = {}
        now = time.time()
        for i in range(liveblogs):
            if i < len(STYLES) * 2:
                # Probes for the per-kind numbers: every style with and without 304, 300 entries.
                style, conditional = STYLES[i % len(STYLES)], i < len(STYLES)
                n, size = 300, 700_000
            else:
                style = self.rng.choice(STYLES)
                conditional = self.rng.random() < 0.5
                n = self.rng.randint(100, 400)
                size = self.rng.randint(150_000, 1_200_000)
            blog = Liveblog(f"b{i}", style, conditional, size)
            for k in range(n):
                posted = now - 60 * (n - k) - 3600
                blog.entries.insert(0, self._entry(blog, posted))
            self.liveblogs[blog.name] = blog
        for i in range(feeds):
            feed = Feed(f"f{i}", conditional=i % 2 == 0)
            for k in range(100 if i < 2 else self.rng.randint(50, 100)):
                feed.items.insert(0, self._entry(feed, now - 120 * (100 - k) - 3600, paras=1))
            self.feeds[feed.name] = feed

    def _entry(self, source, posted: float, paras: int | None = None) -> Entry:
        source.next_id += 1
        rng, pool = self.rng, self.pool
        # The source/id tag makes every headline unique: the benchmark matches commits by it.
        headline = f"{rng.choice(pool.titles)} [{source.name}-{source.next_id}]"
        count = paras or rng.randint(1, 4)
        return Entry(
            source.next_id,
            posted,
            posted,
            headline,
            [rng.choice(pool.paras) for _ in range(count)],
            rng.choice(("Jane Doe", "John Roe", "Alex Poe")),
        )

    def render_all(self, base: str) -> None:
        for source in [*self.liveblogs.values(), *self.feeds.values()]:
            source.body = source.render(base)

    def change(self, name: str, op: str, base: str) -> dict:
        """Apply ``add`` or ``edit`` to a source and re-render it; returns what appeared."""
        source = self.liveblogs.get(name) or self.feeds.get(name)
        if source is None:
            raise KeyError(name)
        now = time.time()
        items = source.entries if isinstance(source, Liveblog) else source.items
        record = {"source": name, "op": op}
        if op == "add":
            paras = None if isinstance(source, Liveblog) else 1
            entry = self._entry(source, now, paras=paras)
            items.insert(0, entry)
            if isinstance(source, Feed) and len(items) > 100:
                items.pop()  # a feed is a rolling window
            record["tag"] = f"[{name}-{entry.id}]"
        elif op == "edit":
            entry = items[self.rng.randrange(min(len(items), 20))]
            if isinstance(source, Liveblog):
                entry.paras = entry.paras + [self.rng.choice(self.pool.paras)]
            else:  # a feed shows the first paragraph only
                entry.paras = [entry.paras[0] + " " + self.rng.choice(self.pool.titles) + "."]
            entry.modified = now
            record["tag"] = f"[{name}-{entry.id}]"
        else:
            raise ValueError(op)
        source.version += 1
        source.changed_at = now
        source.body = source.render(base)
        record["at"] = time.time()  # the moment the new body is served
        return record


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)
