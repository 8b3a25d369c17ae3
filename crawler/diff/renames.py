"""An entry the publisher re-keyed is the same entry: one ``changed``, never removed + new.

sportschau's anchor ids are slugs of the headline, so retitling an entry changes its id; other
CMSs re-render ids. When, in one poll, a key vanishes and a new one appears at the same time
(or, for entries without one, the same place) with nearly the same text, the stored entry takes
the new key and the edit is recorded as a revision. Pure logic: the caller supplies the stored
texts of the few candidates, so no entry body is read unless a pair is plausible.
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import SequenceMatcher

from crawler.diff.entries import DiffResult
from crawler.items import Development, EntryItem, StoredEntry
from crawler.text.timeparse import iso_to_utc

# How alike two bodies must be (difflib ratio) for a new key to be a vanished one renamed.
SIMILAR = 0.8


def follow_renames(
    result: DiffResult,
    stored: dict[str, StoredEntry],
    extracted: list[EntryItem],
    texts: Callable[[list[int]], dict[int, str]],
) -> list[tuple[str, str]]:
    """Rewrite ``result`` in place: each (new, vanished) pair becomes one ``changed``.

    ``texts`` gives the stored body of entry ids. Returns the (old key, new key) pairs.
    """
    new = [d for d in result.developments if d.event == "new" and d.entry is not None]
    if not new or result.status != "ok":
        return []
    present = {e.key for e in extracted}
    vanished = [s for k, s in stored.items() if k not in present and s.removed_at is None]
    if not vanished:
        return []
    slack = len(new) + len(vanished)
    plausible: dict[int, list[StoredEntry]] = {}
    for d in new:
        entry = d.entry
        assert entry is not None
        when = iso_to_utc(entry.published_at)
        plausible[id(d)] = [
            s
            for s in vanished
            if (when == s.published_at)
            and (s.position is None or abs(s.position - entry.position) <= slack)
        ]
    wanted = sorted({s.id for group in plausible.values() for s in group})
    if not wanted:
        return []
    bodies = texts(wanted)
    pairs: list[tuple[str, str]] = []
    taken: set[int] = set()
    for d in new:
        entry = d.entry
        assert entry is not None
        best, score = None, SIMILAR
        for s in plausible[id(d)]:
            if s.id in taken:
                continue
            ratio = _similarity(entry.body or "", bodies.get(s.id) or "")
            if ratio >= score:
                best, score = s, ratio
        if best is None:
            continue
        taken.add(best.id)
        index = result.developments.index(d)
        result.developments[index] = Development("changed", entry.key, entry, best)
        pairs.append((best.key, entry.key))
    gone = {old for old, _ in pairs}
    result.developments = [
        d for d in result.developments if not (d.event == "removed" and d.key in gone)
    ]
    for old in gone:
        result.missing_counts.pop(old, None)
    result.scrolled_out = [k for k in result.scrolled_out if k not in gone]
    return pairs


def _similarity(a: str, b: str) -> float:
    """0..1 likeness of two cleaned bodies; two empty bodies are not evidence of anything."""
    a, b = " ".join(a.split()), " ".join(b.split())
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
        return 0.0
    return matcher.ratio()
