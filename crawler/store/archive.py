"""The archive of raw pages: every body that differed from its source's previous one, compressed.

A liveblog poll that changed usually added one entry to a page of a few hundred kilobytes, so a
page is stored as zstd with the source's previous page as the dictionary: the bytes that both
share cost nothing, and a new entry on a 1 MB page costs a few hundred bytes instead of the
100–200 KB of the page compressed on its own (bench/README.md, "archive"). Every KEYFRAME_EVERY
pages one is stored whole, so reading any page decompresses at most that many small frames.
Unchanged polls store nothing: a poll whose body equals the last stored page points at it.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import zstandard

from crawler.items import RawPage
from crawler.store.db import Store

LEVEL = 5  # level 3 misses most matches in a 1.3 MB dictionary (Mirror: 43 KB instead of 0.5 KB)
KEYFRAME_EVERY = 64  # chain length: reading one page costs at most this many ~0.1 ms frames
# The last body per source, so the next one is compressed without reading the chain back.
CACHE_BYTES = 24 * 1024 * 1024  # the hot sources; a miss reads the chain back (≤ 64 frames)


@dataclass(frozen=True)
class ArchivedPage:
    id: int
    source_id: int
    fetched_at: str
    body_hash: str
    url: str | None
    encoding: str | None
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class PruneResult:
    deleted: int
    rekeyed: int  # pages whose dictionary was pruned, now stored whole
    bytes_freed: int


class _LastBodies:
    """A small LRU of (page id, body) per (database, source), bounded in bytes."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self.items: OrderedDict[tuple[str, int], tuple[int, bytes]] = OrderedDict()

    def get(self, key: tuple[str, int], page_id: int) -> bytes | None:
        hit = self.items.get(key)
        if hit is None or hit[0] != page_id:
            return None
        self.items.move_to_end(key)
        return hit[1]

    def put(self, key: tuple[str, int], page_id: int, body: bytes) -> None:
        old = self.items.pop(key, None)
        if old is not None:
            self.size -= len(old[1])
        if len(body) > self.limit:
            return
        self.items[key] = (page_id, body)
        self.size += len(body)
        while self.size > self.limit:
            _, (_, dropped) = self.items.popitem(last=False)
            self.size -= len(dropped)


_LAST = _LastBodies()


def _dictionary(base: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def compress(body: bytes, base: bytes | None = None) -> bytes:
    """``body`` as one zstd frame, with ``base`` (the previous page) as dictionary if given."""
    if base is None:
        return zstandard.ZstdCompressor(level=LEVEL).compress(body)
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=_dictionary(base)).compress(body)


def decompress(data: bytes, base: bytes | None = None) -> bytes:
    if base is None:
        return zstandard.ZstdDecompressor().decompress(data)
    return zstandard.ZstdDecompressor(dict_data=_dictionary(base)).decompress(data)


def keep_page(
    store: Store, conn: sqlite3.Connection, source_id: int, raw: RawPage, now: str
) -> int:
    """Store ``raw`` unless it is the source's last stored page; its page id either way.

    Runs inside the poll's transaction, so the poll row and its page commit together.
    """
    last = conn.execute(
        "SELECT id, body_hash, depth FROM pages WHERE source_id = ? ORDER BY id DESC LIMIT 1",
        (source_id,),
    ).fetchone()
    if last is not None and last[1] == raw.body_hash:
        return last[0]
    base_id, depth, base = None, 0, None
    if last is not None and last[2] + 1 < KEYFRAME_EVERY:
        key = (str(store.path), source_id)
        base = _LAST.get(key, last[0])
        if base is None:
            base = load_body(conn, last[0])
        base_id, depth = last[0], last[2] + 1
    data = compress(raw.body, base)
    cursor = conn.execute(
        "INSERT INTO pages (source_id, fetched_at, body_hash, url, encoding, content_type, size, "
        "base_id, depth, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            source_id,
            now,
            raw.body_hash,
            raw.url,
            raw.encoding,
            raw.content_type,
            len(raw.body),
            base_id,
            depth,
            data,
        ),
    )
    _LAST.put((str(store.path), source_id), cursor.lastrowid, raw.body)
    return cursor.lastrowid


_CHAIN = """
WITH RECURSIVE chain(id, base_id, data, n) AS (
    SELECT id, base_id, data, 0 FROM pages WHERE id = ?
    UNION ALL
    SELECT p.id, p.base_id, p.data, c.n + 1 FROM pages p JOIN chain c ON p.id = c.base_id
)
SELECT id, base_id, data FROM chain ORDER BY n DESC
"""


def load_body(conn: sqlite3.Connection, page_id: int) -> bytes:
    """The body of one page: its chain decompressed from the page stored whole onwards."""
    body: bytes | None = None
    for _id, base_id, data in conn.execute(_CHAIN, (page_id,)).fetchall():
        body = decompress(data, body if base_id is not None else None)
    if body is None:
        raise KeyError(f"no archived page {page_id}")
    return body


_PAGE = "SELECT id, source_id, fetched_at, body_hash, url, encoding, content_type, base_id, data "


def _source_pages(source_id: int, compare: str, when: str | None) -> tuple[str, list]:
    """The SELECT of a source's pages, fetched ``compare`` (``<=`` or ``>=``) ``when`` if given."""
    sql = _PAGE + "FROM pages WHERE source_id = ?"
    params: list = [source_id]
    if when is not None:
        sql += f" AND fetched_at {compare} ?"
        params.append(when)
    return sql, params


def page_at(
    conn: sqlite3.Connection, source_id: int, when: str | None = None
) -> ArchivedPage | None:
    """The page as it was at ``when`` (ISO UTC; the newest if None): the last one fetched by then."""
    sql, params = _source_pages(source_id, "<=", when)
    row = conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
    if row is None:
        return None
    return ArchivedPage(*row[:7], body=load_body(conn, row[0]))


def pages_since(
    conn: sqlite3.Connection, source_id: int, since: str | None = None
) -> Iterator[ArchivedPage]:
    """Every archived page of a source, oldest first; each chain link decompressed once."""
    sql, params = _source_pages(source_id, ">=", since)
    rows = conn.execute(sql + " ORDER BY id", params).fetchall()
    previous: tuple[int, bytes] | None = None
    for row in rows:
        base_id, data = row[7], row[8]
        if base_id is None:
            body = decompress(data)
        elif previous is not None and previous[0] == base_id:
            body = decompress(data, previous[1])
        else:
            body = load_body(conn, row[0])
        previous = (row[0], body)
        yield ArchivedPage(*row[:7], body=body)


def prune(store: Store, before: str) -> PruneResult:
    """Delete pages fetched before ``before``; a kept page whose dictionary goes is stored whole."""
    with store.transaction() as conn:
        doomed = "SELECT id FROM pages WHERE fetched_at < ?"
        orphans = conn.execute(
            f"SELECT id FROM pages WHERE fetched_at >= ? AND base_id IN ({doomed})",
            (before, before),
        ).fetchall()
        for (page_id,) in orphans:
            body = load_body(conn, page_id)
            conn.execute(
                "UPDATE pages SET data = ?, base_id = NULL, depth = 0 WHERE id = ?",
                (compress(body), page_id),
            )
        freed = conn.execute(
            "SELECT count(*), coalesce(sum(length(data)), 0) FROM pages WHERE fetched_at < ?",
            (before,),
        ).fetchone()
        conn.execute(f"UPDATE polls SET page_id = NULL WHERE page_id IN ({doomed})", (before,))
        conn.execute("DELETE FROM pages WHERE fetched_at < ?", (before,))
    return PruneResult(freed[0], len(orphans), freed[1])


def archive_stats(store: Store) -> list[dict]:
    """Per source: pages kept, their stored and original bytes, and polls since the first page."""
    sql = """
    SELECT s.name, count(p.id) AS pages, coalesce(sum(length(p.data)), 0) AS stored_bytes,
      coalesce(sum(p.size), 0) AS page_bytes, min(p.fetched_at) AS oldest,
      (SELECT count(*) FROM polls q WHERE q.source_id = s.id
         AND q.finished_at >= min(p.fetched_at)) AS polls
    FROM sources s JOIN pages p ON p.source_id = s.id GROUP BY s.id ORDER BY s.name
    """
    cursor = store.conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def source_id_named(store: Store, name: str) -> int | None:
    row = store.conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None
