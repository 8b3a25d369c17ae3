"""Small pages of our own for tests: a schema.org LiveBlogPosting liveblog and an RSS feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape

BASE_TIME = datetime(2024, 5, 25, 8, 0, tzinfo=UTC)


def jsonld_liveblog(entries: list[dict], *, title: str = "Liveblog: Test") -> str:
    """entries: dicts with id, headline, body (newest first); times derive from the id."""
    updates = []
    blocks = []
    for entry in entries:
        when = (BASE_TIME + timedelta(minutes=int(entry["id"]))).isoformat()
        updates.append(
            {
                "@type": "BlogPosting",
                "url": f"https://example.org/live#post-{entry['id']}",
                "headline": entry["headline"],
                "articleBody": entry["body"],
                "datePublished": when,
            }
        )
        blocks.append(
            f'<article class="post" id="post-{entry["id"]}"><time datetime="{when}">'
            f"{when[11:16]}</time><h3>{escape(entry['headline'])}</h3>"
            f"<p>{escape(entry['body'])}</p></article>"
        )
    data = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": title,
        "url": "https://example.org/live",
        "liveBlogUpdate": updates,
    }
    return (
        f"<!doctype html><html><head><title>{escape(title)}</title>"
        f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
        f'<body><h1>{escape(title)}</h1><div class="posts">{"".join(blocks)}</div></body></html>'
    )


def rss_feed(items: list[dict], *, title: str = "Test feed") -> str:
    """items: dicts with guid, title, link, summary (newest first)."""
    parts = []
    for number, item in enumerate(items):
        when = (BASE_TIME - timedelta(minutes=number)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        parts.append(
            f'<item><guid isPermaLink="false">{escape(item["guid"])}</guid>'
            f"<title>{escape(item['title'])}</title><link>{escape(item['link'])}</link>"
            f"<description>{escape(item['summary'])}</description><pubDate>{when}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.org/</link>"
        f"<description>test</description>{''.join(parts)}</channel></rss>"
    )


def article_page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="de"><head><title>{escape(title)}</title></head><body>'
        '<div class="cookie-banner">Wir verwenden Cookies. <button>Akzeptieren</button></div>'
        f'<nav><a href="/">Startseite</a></nav><article><h1>{escape(title)}</h1>{body}'
        '<div class="share"><a href="#">Teilen</a></div></article><footer>Impressum</footer>'
        "</body></html>"
    )
