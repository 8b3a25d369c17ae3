"""An Atom 1.0 feed per source, one ``<entry>`` per development (new, changed, removed, restored).

Built with feedgen, never by string templates. Ids are tag URIs made of what identifies a
development for good (source URL, entry key, event, revision), not of database row ids, so a
feed reader sees the same id after a restore from backup. Scraped text is escaped by feedgen;
an edit's diff is written as ``<del>``/``<ins>`` HTML from the same word diff as ``history``.
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from crawler.diff.words import Piece, revision_text, summary, word_diff
from crawler.store.db import Store
from crawler.store.queries import developments, source_row
from crawler.text.terminal import entry_text, safe_for_log

FEED_ENTRIES = 100  # newest developments per feed
HEADINGS = {"new": "New", "changed": "Edited", "removed": "Removed", "restored": "Restored"}


def _when(stored: str | None) -> datetime:
    moment = datetime.fromisoformat(stored) if stored else datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def tag_uri(source_url: str, *parts: str) -> str:
    """``tag:tickerwatch,2024:<source url>[/key/event/rN]`` (RFC 4151), stable for a development."""
    specific = "/".join(quote(p, safe=":/.-_~") for p in (source_url, *parts))
    return f"tag:tickerwatch,2024:{specific}"


def paragraphs(text: str | None) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in (text or "").split("\n") if p.strip())


def diff_html(pieces: list[Piece]) -> str:
    tags = {"removed": "del", "added": "ins"}
    out = []
    for piece in pieces:
        text = html.escape(piece.text).replace("\n", "<br/>")
        out.append(f"<{tags[piece.op]}>{text}</{tags[piece.op]}>" if piece.op in tags else text)
    return f"<p>{''.join(out)}</p>"


def content(development: dict) -> str:
    """The entry's text as HTML; an edit as a word diff of title and body, with its summary."""
    if development["event"] == "changed" and development["old_body"] is not None:
        old = revision_text(development["old_title"], development["old_body"])
        new = revision_text(development["title"], development["body"])
        parts = [f"<p><em>{html.escape(summary(old, new))}</em></p>"]
        if development["old_title"] != development["title"]:
            parts.append(diff_html(word_diff(development["old_title"], development["title"])))
        parts.append(diff_html(word_diff(development["old_body"], development["body"])))
        return "".join(parts)
    if development["event"] == "removed":
        return "<p><em>Removed from the page.</em></p>" + paragraphs(development["body"])
    return paragraphs(development["body"])


def atom_feed(source: dict, rows: list[dict]) -> bytes:
    """One source's developments (newest first) as an Atom 1.0 document."""
    feed = FeedGenerator()
    feed.id(tag_uri(source["url"]))
    feed.title(source["name"])
    feed.subtitle(f"Every new, edited and removed entry of {source['url']}, by Tickerwatch")
    feed.link(href=source["url"], rel="alternate")
    feed.author({"name": "Tickerwatch"})
    feed.generator("Tickerwatch")
    feed.updated(_when(rows[0]["created_at"] if rows else source["created_at"]))
    for row in reversed(rows):  # feedgen puts each added entry first: add oldest first
        entry = feed.add_entry()
        parts = [row["key"], row["event"], f"r{row['revision']}"]
        if row["event"] in ("removed", "restored"):  # may happen more than once per revision
            parts.append(row["created_at"])
        entry.id(tag_uri(source["url"], *parts))
        title = entry_text(row["title"], row["body"]) or row["key"]
        entry.title(f"{HEADINGS.get(row['event'], row['event'])}: {title}")
        entry.link(href=row["url"] or source["url"], rel="alternate")
        entry.updated(_when(row["created_at"]))
        if row["published_at"]:
            entry.published(_when(row["published_at"]))
        entry.content(content(row), type="html")
    return feed.atom_str(pretty=True)


def build_feed(store: Store, name: str) -> bytes | None:
    """The feed of the source called ``name``; None when there is no such source."""
    source = source_row(store, name)
    if source is None:
        return None
    return atom_feed(source, developments(store, source=name, limit=FEED_ENTRIES))


def write_atomically(path: Path, data: bytes) -> None:
    """Readers (a web server, a feed reader) see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def feed_file(directory: Path, name: str) -> Path:
    """``<dir>/<name>.atom``; a series member's ``/`` and anything unsafe become ``_``."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
    return directory / f"{safe or 'source'}.atom"


def rewrite_feed(store: Store, directory: Path, name: str) -> None:
    """The daemon's ``feeds_dir``: rewrite the source's Atom file after a poll with
    developments; a failure costs a log line only (a full disk must not stop the polls)."""
    path = feed_file(directory, name)
    try:
        data = build_feed(store, name)
        if data is not None:
            write_atomically(path, data)
    except Exception as error:  # see the docstring
        logging.getLogger("scheduler.daemon").warning(
            "feed %s not written: %s", path, safe_for_log(str(error))
        )
