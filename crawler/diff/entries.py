"""The diff: which extracted entries are new, changed, removed or restored against what is stored.

Pure logic, no I/O, so every rule here is tested without a database or a reactor.

Removal rule. Liveblogs show a window: the newest N entries, or a day's page. An entry that is
missing from a poll counts as *deleted* only when it sat inside the window the page still
shows — something older than it is still on the page — and only after it has been missing on
``REMOVAL_AFTER`` consecutive healthy polls (one bad render must not delete anything). "Older"
is judged by ``published_at`` when both sides have one, else by storage order (entries are
inserted oldest first, so a lower id is older). Entries older than everything the page shows
have scrolled out: they stay live. Feeds are rolling windows without a reliable order, so feed
items are never marked removed.

Stated deletions. An embedded platform that says an entry is deleted (``EntryItem.deleted``)
is believed at once: that entry is ``removed`` on this poll, whatever the window or the
suspicion rules say, and it does not count as an entry the page shows.

Partial answers. A platform's incremental form (``partial``) lists only what changed since
its cursor: an entry absent from it is unchanged, not missing. Such a poll adds, edits,
restores and removes what it states, moves no missing-counter and is never suspicious for
its size (an empty answer is the usual one).

Suspicion rule. A page that yields nothing, or fewer than half the entries of the last healthy
poll, looks like a layout change or a broken render: the poll is ``suspicious``, nothing is
removed and no missing-counter moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.items import Development, EntryItem, StoredEntry
from crawler.text.timeparse import iso_to_utc

REMOVAL_AFTER = 2


@dataclass
class DiffResult:
    status: str  # ok | suspicious
    developments: list[Development] = field(default_factory=list)
    seen_keys: list[str] = field(default_factory=list)  # present on the page (known before)
    missing_counts: dict[str, int] = field(default_factory=dict)  # key -> new missing_polls
    scrolled_out: list[str] = field(default_factory=list)
    warning: str | None = None

    def live_after(self, stored: dict[str, StoredEntry]) -> int:
        """The live entries once this result is applied: what a partial poll records as
        ``entries_found`` (the count the next full read is judged against), not its size."""
        live = sum(1 for s in stored.values() if s.removed_at is None)
        for development in self.developments:
            live += {"new": 1, "restored": 1, "removed": -1}.get(development.event, 0)
        return live


def diff_entries(
    stored: dict[str, StoredEntry],
    extracted: list[EntryItem],
    *,
    content_hashes: dict[str, str],
    last_healthy_count: int | None,
    allow_removals: bool = True,
    partial: bool = False,
) -> DiffResult:
    """Compare one poll's entries with the stored ones.

    ``content_hashes`` maps keys of entries whose content was (re)computed this poll to their
    normalised content hash; an extracted key absent from it had an unchanged raw fragment.
    """
    stated = [e.key for e in extracted if e.deleted]
    if stated:
        extracted = [e for e in extracted if not e.deleted]
    found = len(extracted)
    live_before = sum(1 for s in stored.values() if s.removed_at is None)
    status, warning = "ok", None
    if partial:
        pass  # changes only: its size says nothing about the source's health
    elif found == 0 and live_before:
        status, warning = "suspicious", f"no entries found (had {live_before} live)"
    elif last_healthy_count and found < last_healthy_count / 2:
        status = "suspicious"
        warning = f"only {found} entries found, last healthy poll had {last_healthy_count}"

    result = DiffResult(status=status, warning=warning)
    present = set(stated)
    for key in stated:
        old = stored.get(key)
        if old is not None and old.removed_at is None:
            result.developments.append(Development("removed", key, stored=old))
    for entry in extracted:
        present.add(entry.key)
        old = stored.get(entry.key)
        if old is None:
            result.developments.append(Development("new", entry.key, entry=entry))
            continue
        result.seen_keys.append(entry.key)
        if old.removed_at is not None:
            result.developments.append(Development("restored", entry.key, entry, old))
        new_hash = content_hashes.get(entry.key)
        if new_hash is not None and new_hash != old.content_hash:
            result.developments.append(Development("changed", entry.key, entry, old))

    if status != "ok" or not allow_removals or partial:
        return result

    oldest_time, oldest_id = _oldest_shown(stored, extracted)
    for key, old in stored.items():
        if key in present or old.removed_at is not None:
            continue
        if _inside_window(old, oldest_time, oldest_id):
            count = old.missing_polls + 1
            if count >= REMOVAL_AFTER:
                result.developments.append(Development("removed", key, stored=old))
            result.missing_counts[key] = count
        elif old.missing_polls:
            result.missing_counts[key] = 0
        else:
            result.scrolled_out.append(key)
    return result


def _oldest_shown(
    stored: dict[str, StoredEntry], extracted: list[EntryItem]
) -> tuple[str | None, int | None]:
    times = [t for e in extracted if (t := iso_to_utc(e.published_at))]
    ids = [stored[e.key].id for e in extracted if e.key in stored]
    return (min(times) if times else None, min(ids) if ids else None)


def _inside_window(old: StoredEntry, oldest_time: str | None, oldest_id: int | None) -> bool:
    if old.published_at and oldest_time:
        return old.published_at >= oldest_time
    return oldest_id is not None and old.id > oldest_id
