"""Re-extraction: replay a source's archived pages through today's extractors and reconcile.

An extractor fixed today says what every page polled before the fix really held. The archive
(crawler/store/archive.py) keeps those pages; this module replays them oldest first and
compares what it finds with the stored entries:

- an entry no stored row has (the old extractor missed it) is added with the time of the
  first archived page that showed it as ``first_seen_at``;
- an entry whose newest version differs in title, text or time is corrected: a new revision
  marked ``reextracted`` (never an event, so never logged, tailed or notified);
- an entry seen in the archive earlier than stored gets the earlier ``first_seen_at``; one
  marked removed but on the newest page is live again.

Stored entries the replay does not find are left as they are (nothing is ever deleted). A
second run finds nothing to change: every comparison is with the state the first one wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.extractors import extract_liveblog
from crawler.items import EntryItem
from crawler.pipelines import clean_entry
from crawler.store.archive import pages_since
from crawler.store.corrections import (
    Correction,
    apply_corrections,
    first_polls,
    source_row,
    stored_versions,
)
from crawler.store.db import Store, utcnow
from crawler.text.cleaning import content_hash
from crawler.text.timeparse import iso_to_utc, parse_iso


class ReextractError(Exception):
    """A source that cannot be re-extracted (unknown, a feed, nothing archived)."""


@dataclass
class _Sighting:
    entry: EntryItem  # the newest version seen
    first_at: str
    first_poll: int | None
    last_at: str
    last_poll: int | None
    on_newest: bool = False  # on the newest page today's extractors read
    version_poll: int | None = None  # the poll that first showed ``entry`` as it is


@dataclass
class Plan:
    """What a re-extraction found and would change (``--dry-run`` prints it)."""

    pages: int = 0
    failed_pages: int = 0  # pages today's extractors find no entries on either
    found: int = 0
    corrections: list[Correction] = field(default_factory=list)
    not_found: int = 0  # stored entries no archived page shows (left alone)

    @property
    def added(self) -> int:
        return sum(c.action == "add" for c in self.corrections)

    @property
    def corrected(self) -> int:
        return sum(c.action == "correct" for c in self.corrections)


def reextract(
    store: Store,
    name: str,
    *,
    since: str | None = None,
    site: str | None = None,
    dry_run: bool = False,
) -> Plan:
    """Replay, compare and (unless ``dry_run``) write the corrections in one transaction."""
    source = source_row(store, name)
    if source is None:
        raise ReextractError(f"no source named {name!r} in the database")
    source_id, url, kind = source
    if kind != "liveblog":
        raise ReextractError(f"{name} is a {kind}: re-extraction reads liveblog pages")
    sightings, plan = _replay(store, source_id, url, since, site)
    if plan.pages == 0:
        raise ReextractError(f"no archived pages of {name}" + (f" since {since}" if since else ""))
    with store.transaction() as conn:
        stored = stored_versions(conn, source_id)
        plan.corrections = [c for c in map(_compare(stored), sightings.values()) if c]
        plan.not_found = len(set(stored) - set(sightings))
        if not dry_run:
            apply_corrections(conn, source_id, plan.corrections, utcnow())
    return plan


def _replay(store: Store, source_id: int, url: str, since: str | None, site: str | None):
    """Every archived page oldest first through today's extractors, diffed as the live poll
    diffs: per key, the first and last sighting and the version a clean run would hold (the
    first one, replaced only when the cleaned title or text changes: a publisher's edit)."""
    polls = first_polls(store.conn, source_id)
    sightings: dict[str, _Sighting] = {}
    raw: dict[str, str] = {}  # key -> fingerprint of the last fragment seen
    plan = Plan()
    newest: set[str] = set()
    for page in pages_since(store.conn, source_id, since):
        plan.pages += 1
        utf8 = (page.encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8")
        html = page.body if utf8 else page.body.decode(page.encoding or "utf-8", "replace")
        # Clocks without a date ("20:37 Uhr") are dated by the poll's day, not today's.
        extraction = extract_liveblog(
            html,
            page.url or url,
            site=site,
            now=parse_iso(page.fetched_at),
            encoding="utf-8" if utf8 else None,
        )
        if not extraction.entries:
            plan.failed_pages += 1
            continue
        poll = polls.get(page.id)
        newest = set()
        for entry in extraction.entries:
            newest.add(entry.key)
            clean_entry(entry, raw.get(entry.key))  # only fragments that changed are cleaned
            raw[entry.key] = entry.raw_hash
            seen = sightings.get(entry.key)
            if seen is None:
                sightings[entry.key] = _Sighting(
                    entry, page.fetched_at, poll, page.fetched_at, poll
                )
                continue
            seen.last_at, seen.last_poll = page.fetched_at, poll
            if entry.content_hash is not None and entry.content_hash != seen.entry.content_hash:
                seen.entry, seen.version_poll = entry, poll
    for seen in sightings.values():
        seen.entry.updated_at = iso_to_utc(seen.entry.updated_at)
        seen.entry.raw_hash = raw[seen.entry.key]
        seen.on_newest = seen.entry.key in newest
    plan.found = len(sightings)
    return sightings, plan


def _compare(stored):
    def compare(seen: _Sighting) -> Correction | None:
        entry = seen.entry
        published = iso_to_utc(entry.published_at)
        old = stored.get(entry.key)
        if old is None:
            return Correction("add", entry, published, seen.first_at, seen.last_at, seen.first_poll)
        fields = []
        if old.content_hash != entry.content_hash:
            # One content hash covers both (normalised as the diff does): which one changed?
            if content_hash(old.title, "") != content_hash(entry.title, ""):
                fields.append("title")
            if content_hash("", old.body) != content_hash("", entry.body) or not fields:
                fields.append("body")
        if published is not None and old.published_at != published:
            fields.append("published_at")
        first = min(old.first_seen_at, seen.first_at)
        if first != old.first_seen_at:
            fields.append("first_seen_at")
        if old.removed_at is not None and seen.on_newest:
            fields.append("removed_at")
        if not fields:
            return None
        return Correction(
            "correct",
            entry,
            published if "published_at" in fields else old.published_at,
            first,
            seen.last_at,
            seen.version_poll or seen.first_poll,
            stored=old,
            fields=tuple(fields),
        )

    return compare
