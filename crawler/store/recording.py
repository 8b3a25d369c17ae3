"""Writes one poll — entries, revisions, events and the poll row — in a single transaction."""

from __future__ import annotations

from crawler.diff.entries import REMOVAL_AFTER, DiffResult, diff_entries
from crawler.diff.health import adapter_of, condition, episode, extraction_concern
from crawler.diff.renames import follow_renames
from crawler.diff.words import revision_text, summary
from crawler.items import Development, PollItem, RecordedPoll
from crawler.store.archive import keep_page
from crawler.store.db import Store, utcnow
from crawler.store.queries import BODY_START
from crawler.store.rows import (
    insert_entry,
    insert_poll,
    insert_revision,
    live_count,
    mark_present,
    refresh_due,
)
from crawler.text.terminal import entry_text
from crawler.text.timeparse import iso_to_utc as to_utc


class TickTaken(Exception):
    """Another worker already committed a poll of this source for this tick (or a later one)."""


def record_poll(store: Store, item: PollItem) -> RecordedPoll:
    """Diff and store one poll atomically: a crash anywhere leaves the database as it was."""
    now = utcnow()
    with store.transaction() as conn:
        source_id, _created, name = store.ensure_source(
            conn,
            item.source_url,
            item.kind,
            item.source_name,
            read_as_kind=item.status in ("ok", "suspicious"),
        )
        if item.tick is not None:
            _take_tick(conn, source_id, item.tick)
        # A changed body is archived whatever its extraction made of it: a page the
        # extractor failed on is the one `tickerwatch reextract` can read again.
        page_id = keep_page(store, conn, source_id, item.raw, now) if item.raw else None
        if item.status == "error":
            poll_id = insert_poll(conn, source_id, item, item.status, now, page_id=page_id)
            return RecordedPoll(poll_id, source_id, name, item.status, warning=item.error)
        if item.status == "not_modified":
            return _record_unchanged(store, conn, source_id, name, item, now)
        if item.status == "suspicious":  # the spider saw a cut-off page: compare nothing
            poll_id = insert_poll(conn, source_id, item, item.status, now, error=item.error)
            return RecordedPoll(
                poll_id, source_id, name, item.status, warning=item.error, found="a cut-off page"
            )

        feed_keys = [e.key for e in item.entries] if item.kind == "feed" else []
        stored = store.stored_entries(conn, source_id, feed_keys or None)
        healthy_before = store.last_healthy_count(conn, source_id)
        previous, healthy_strategy = store.health_state(conn, source_id)
        concern = None
        if item.kind == "liveblog" and not item.site and not item.partial:
            concern = extraction_concern(
                strategy=item.strategy,
                dom_count=item.dom_count,
                structured_count=item.structured_count,
                last_healthy_strategy=healthy_strategy,
                last_healthy_count=healthy_before,
            )
        result = diff_entries(
            stored,
            item.entries,
            content_hashes={e.key: e.content_hash for e in item.entries if e.content_hash},
            last_healthy_count=healthy_before,
            allow_removals=item.kind == "liveblog" and concern is None,
            partial=item.partial,
        )
        if item.kind == "liveblog" and concern is None and not item.partial:
            follow_renames(result, stored, item.entries, lambda ids: store.bodies(conn, ids))
        status = result.status
        error = result.warning if status != "ok" else None
        if status == "ok" and concern is not None:
            status, error = "suspicious", concern.detail
        if not item.entries and not stored:
            status, error = "error", item.error or "no entries found"
        found = result.live_after(stored) if item.partial else None
        poll_id = insert_poll(
            conn,
            source_id,
            item,
            status,
            now,
            error=error,
            result=result,
            page_id=page_id,
            found=found,
        )
        developments = _apply(conn, source_id, poll_id, item, stored, result.developments, now)
        everything = refresh_due(conn, source_id, now)
        mark_present(conn, stored, item.entries, now, everything, one_statement=store.postgres)
        conn.executemany(
            "UPDATE entries SET missing_polls = ? WHERE id = ?",
            [(count, stored[key].id) for key, count in result.missing_counts.items()],
        )
        conn.executemany(
            "UPDATE entries SET scrolled_out_at = ? WHERE id = ? AND scrolled_out_at IS NULL",
            [(now, stored[key].id) for key in result.scrolled_out],
        )
        if status != "error":
            conn.execute(
                "UPDATE sources SET etag = ?, last_modified = ?, body_hash = ? WHERE id = ?",
                (item.etag, item.last_modified, item.body_hash, source_id),
            )
        if (item.page_read or item.embed is not None) and status != "error":
            store.set_embed(conn, source_id, item.embed)
    found = condition(live_count(item.entries), error) if status == "suspicious" else None
    before = (previous[0], condition(previous[1], previous[2])) if previous else (None, None)
    return RecordedPoll(
        poll_id,
        source_id,
        name,
        status,
        developments,
        baseline=healthy_before is None and status == "ok",
        warning=error,
        episode=episode(*before, status, found),
        adapter=adapter_of(item.strategy if status == "ok" else healthy_strategy or item.strategy),
        found=found,
    )


def _take_tick(conn, source_id: int, tick: int) -> None:
    """The compare-and-set that makes a poll's effect happen once per tick: first in the
    transaction, so the row lock also makes a second worker's poll of the source wait for this
    one's commit, then find the tick taken and roll back (raising TickTaken)."""
    cursor = conn.execute(
        "UPDATE sources SET last_tick = ? WHERE id = ? AND (last_tick IS NULL OR last_tick < ?)",
        (tick, source_id, tick),
    )
    if cursor.rowcount == 0:
        raise TickTaken(f"source {source_id}: tick {tick} already committed")


def _record_unchanged(store, conn, source_id, name, item, now) -> RecordedPoll:
    """An unchanged page is a healthy poll that shows the same entries as the last one: entries
    that were missing then are missing again, so pending removals advance. Not on an unchanged
    partial answer (a platform's incremental form): it says nothing of the entries it omits."""
    if refresh_due(conn, source_id, now):
        conn.execute(
            "UPDATE entries SET last_seen_at = ? WHERE source_id = ? AND removed_at IS NULL "
            "AND scrolled_out_at IS NULL AND missing_polls = 0",
            (now, source_id),
        )
    # Only the pending removals (a partial index): loading all entries cost a millisecond.
    stored = store.pending_removals(conn, source_id) if not item.partial else {}
    pending = list(stored.values())
    result = DiffResult(status="not_modified")
    for old in pending:
        count = old.missing_polls + 1
        result.missing_counts[old.key] = count
        if count >= REMOVAL_AFTER:
            result.developments.append(Development("removed", old.key, stored=old))
    poll_id = insert_poll(conn, source_id, item, "not_modified", now, result=result)
    if item.etag or item.last_modified:
        # Validators can appear on an unchanged body (the server just started sending them).
        conn.execute(
            "UPDATE sources SET etag = ?, last_modified = ? WHERE id = ?",
            (item.etag, item.last_modified, source_id),
        )
    developments = _apply(conn, source_id, poll_id, item, stored, result.developments, now)
    conn.executemany(
        "UPDATE entries SET missing_polls = ? WHERE id = ?",
        [(count, stored[key].id) for key, count in result.missing_counts.items()],
    )
    return RecordedPoll(poll_id, source_id, name, "not_modified", developments)


def _apply(conn, source_id, poll_id, item, stored, developments: list[Development], now):
    """Write the developments; new entries oldest first, so a lower id always means older."""
    ordered = sorted(
        developments, key=lambda d: (d.event != "new", -(d.entry.position if d.entry else 0))
    )
    for development in ordered:
        entry, old = development.entry, development.stored
        change = None
        if development.event == "new":
            entry_id, revision = insert_entry(conn, source_id, entry, now), 1
            insert_revision(conn, entry_id, 1, entry, now, poll_id)
        elif development.event == "changed":
            entry_id, revision = old.id, old.revision + 1
            before = conn.execute(
                "SELECT title, body FROM revisions WHERE entry_id = ? AND revision = ?",
                (entry_id, old.revision),
            ).fetchone()
            change = summary(
                revision_text(*(before or ("", ""))), revision_text(entry.title, entry.body)
            )
            if old.key != entry.key:  # re-keyed by the publisher (crawler/diff/renames.py)
                conn.execute(
                    "UPDATE entries SET key = ?, raw_hash = ?, position = ?, pinned = ?, "
                    "missing_polls = 0, scrolled_out_at = NULL, last_seen_at = ? WHERE id = ?",
                    (entry.key, entry.raw_hash, entry.position, int(entry.pinned), now, old.id),
                )
            conn.execute(
                "UPDATE entries SET title = ?, body = ?, content_hash = ?, revision = ?, url = ?, "
                "published_at = ?, updated_at = ?, author = ?, match_minute = ? WHERE id = ?",
                (
                    entry.title,
                    entry.body,
                    entry.content_hash,
                    revision,
                    entry.url,
                    to_utc(entry.published_at) or old.published_at,
                    to_utc(entry.updated_at),
                    entry.author,
                    entry.match_minute,
                    entry_id,
                ),
            )
            insert_revision(conn, entry_id, revision, entry, now, poll_id)
        elif development.event == "removed":
            entry_id, revision = old.id, old.revision
            conn.execute("UPDATE entries SET removed_at = ? WHERE id = ?", (now, entry_id))
        else:  # restored
            entry_id, revision = old.id, old.revision
            conn.execute("UPDATE entries SET removed_at = NULL WHERE id = ?", (entry_id,))
        conn.execute(
            "INSERT INTO events (poll_id, source_id, entry_id, event, revision, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (poll_id, source_id, entry_id, development.event, revision, now),
        )
        row = conn.execute(
            f"SELECT key, title, url, published_at, {BODY_START} FROM entries e WHERE id = ?",
            (entry_id,),
        ).fetchone()
        development.title, development.url = row[1] or "", row[2] or ""
        development.text, development.published_at = entry_text(row[1], row[4]), row[3]
        development.revision, development.entry_id = revision, entry_id
        development.change = change  # what the edit did, for the CHANGED line
    return ordered
