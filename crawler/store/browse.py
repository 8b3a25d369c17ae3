"""Datasette metadata for the Tickerwatch database: descriptions, labels, search, canned queries.

The canned queries are SQL over the schema, so they live here with the rest of it (no SQL
outside ``crawler/store``). ``tickerwatch browse`` hands this dict to datasette; the same
dict, as JSON, works with ``datasette DB --metadata FILE``.
"""

from __future__ import annotations

from crawler.store.queries import _BASELINE

UTC = "UTC time, ISO 8601"

_MARK = f"""CASE
  WHEN ev.event = 'new' AND {_BASELINE} THEN 'on the page at the first poll'
  WHEN ev.event = 'new' THEN 'new'
  WHEN ev.event = 'changed' THEN '✎ edited (revision ' || ev.revision || ')'
  WHEN ev.event = 'removed' THEN '✗ removed'
  ELSE '↺ ' || ev.event END"""


# Times as a person reads them (UTC, to the minute); the stored ISO times are in the tables.
def _minute(column: str) -> str:
    return f"replace(substr({column}, 1, 16), 'T', ' ')"


def _developments(*, with_source: bool) -> str:
    source = "s.name AS source, " if with_source else ""
    return f"""SELECT {_minute("ev.created_at")} AS seen_utc, {source}{_MARK} AS development,
  coalesce(r.title, e.title) AS title, substr(coalesce(r.body, e.body), 1, 240) AS text,
  {_minute("e.published_at")} AS published_utc, e.key, e.url
FROM events ev JOIN sources s ON s.id = ev.source_id JOIN entries e ON e.id = ev.entry_id
LEFT JOIN revisions r ON r.entry_id = ev.entry_id AND r.revision = ev.revision"""


QUERIES = {
    "latest_developments": {
        "title": "Latest developments across sources",
        "description": "New, edited, removed and restored entries, newest first; the entries "
        "a page already had at its first poll (its baseline) are left out.",
        "sql": f"{_developments(with_source=True)}\nWHERE NOT {_BASELINE}\n"
        "ORDER BY ev.id DESC LIMIT 200",
    },
    "source_timeline": {
        "title": "One source's timeline",
        "description": "Everything that happened on one source (by name, as in the sources "
        "table), newest first, edits and removals marked.",
        "sql": f"{_developments(with_source=False)}\nWHERE s.name = :source\n"
        "ORDER BY ev.id DESC LIMIT 1000",
    },
    "entry_revisions": {
        "title": "One entry's revisions",
        "description": "Every version of one entry (source name and entry key), oldest first.",
        "sql": """SELECT r.revision, r.seen_at, r.title, r.body,
  CASE WHEN e.removed_at IS NOT NULL AND r.revision = e.revision
    THEN '✗ removed ' || e.removed_at ELSE '' END AS removed,
  r.poll_id, e.url
FROM revisions r JOIN entries e ON e.id = r.entry_id JOIN sources s ON s.id = e.source_id
WHERE s.name = :source AND e.key = :key
ORDER BY r.revision""",
    },
}

TABLES = {
    "sources": {
        "description": "One row per watched page or feed: a liveblog, a feed, a series hub.",
        "label_column": "name",
        "sort": "name",
        "units": {"poll_every": "s"},
        "columns": {
            "name": "How logs, the CLI and the sources file call it (unique).",
            "url": "The page or feed polled (unique).",
            "kind": "liveblog or feed.",
            "created_at": f"First poll ({UTC}).",
            "series": "The series whose hub linked this liveblog, if any.",
            "etag": "Validator for the next conditional GET.",
            "last_modified": "Validator for the next conditional GET.",
            "body_hash": "Hash of the last body (an equal body skips parsing).",
            "next_due_at": f"When the daemon polls it next ({UTC}).",
            "entries_seen_at": f"When its entries' last_seen_at was last refreshed ({UTC}).",
            "poll_every": "The interval the daemon currently uses, in seconds.",
        },
    },
    "entries": {
        "description": "One row per entry of a liveblog or item of a feed, in its latest version.",
        "label_column": "title",
        "fts_table": "entries_fts",
        "fts_pk": "id",
        "sort_desc": "published_at",
        "facets": ["source_id", "pinned"],
        "columns": {
            "source_id": "The source (shown by name).",
            "key": "The entry's identity on its page: its id, else a hash of time and title.",
            "url": "The entry's own link.",
            "title": "Title as published (latest revision).",
            "body": "Cleaned text (latest revision).",
            "published_at": f"Publication time given by the page ({UTC}).",
            "updated_at": f"Update time given by the page ({UTC}).",
            "first_seen_at": f"First poll that saw it ({UTC}).",
            "last_seen_at": f"A recent poll that saw it; lags up to 10 minutes ({UTC}).",
            "removed_at": f"When it disappeared from the page, if it did ({UTC}).",
            "scrolled_out_at": f"When it scrolled out of the page's window ({UTC}).",
            "revision": "Number of the latest revision (1 = never edited).",
            "position": "Place on the page at the last poll (0 = top).",
            "pinned": "1 when the page pins it (key event, top post).",
            "missing_polls": "Consecutive healthy polls that did not show it.",
        },
    },
    "revisions": {
        "description": "Every version of every entry, revision 1 included.",
        "sort_desc": "id",
        "columns": {
            "entry_id": "The entry (shown by title).",
            "revision": "1, 2, … in order of edits.",
            "seen_at": f"The poll that saw this version ({UTC}).",
        },
    },
    "polls": {
        "description": "One row per poll: its outcome and what it found.",
        "sort_desc": "id",
        "facets": ["status", "source_id"],
        "columns": {
            "status": "ok, not_modified, error or suspicious.",
            "error": "Why a poll failed or looked suspicious.",
            "strategy": "The extractor that read the page (e.g. jsonld+reach).",
            "entries_found": "Entries the page showed.",
            "new": "Developments of this poll, by kind.",
        },
    },
    "events": {
        "description": "One row per development (new, changed, removed, restored); the outbox "
        "for notifications and what tail follows.",
        "sort_desc": "id",
        "facets": ["event", "source_id"],
        "columns": {
            "revision": "The entry's revision after this development.",
            "created_at": f"When its poll committed ({UTC}).",
            "notified_at": f"When every notification target had it ({UTC}).",
        },
    },
    "deliveries": {"description": "One row per notification message and target."},
    "pages": {
        "description": "Archived raw pages (zstd-compressed).",
        "units": {"size": "bytes"},
        "columns": {"size": "Size of the page as fetched, in bytes."},
    },
}


def datasette_metadata(database: str) -> dict:
    """Metadata for a database that datasette serves under the name ``database`` (the file's
    stem: ``tickerwatch`` for ``data/tickerwatch.db``)."""
    return {
        "title": "Tickerwatch",
        "description": "Every entry and every revision of the liveblogs and feeds Tickerwatch "
        "watches. Times are UTC. Start with the canned queries below.",
        "source": "Tickerwatch",
        "databases": {
            database: {
                "description": "Sources, their entries, every revision, every poll and every "
                "development. The canned queries below are the usual ways in.",
                "tables": TABLES,
                "queries": QUERIES,
            }
        },
    }
