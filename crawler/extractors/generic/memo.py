"""What the last poll of a page found, so the next one rebuilds only what changed.

Two memos, both results of pure functions of what they are keyed by, so losing either costs
speed, never correctness: the *recipe* per URL (where the entries were: container path, tag,
class marks) spares the vote over every time signal of the page; the *drafts* per URL, keyed by
a fingerprint of each entry's markup, spare building an entry whose markup is unchanged (time
finding, title, body fragment). Dates are resolved afresh every poll (they depend on the
neighbours and the page's time). Flat layouts are voted every poll: which headings start an
entry depends on the vote itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from crawler.extractors.base import RawEntry
from crawler.extractors.generic.entries import Draft, FoundTime, build
from crawler.extractors.generic.layout import Layout, Recipe
from crawler.extractors.generic.scan import Scan
from crawler.memo import EntryMemo

# About 1.5 KB per remembered entry (its body fragment): 40,000 entries = 60 MB at most.
MEMO = EntryMemo(40_000)
_RECIPES: dict[str, tuple[Recipe, int]] = {}
_RECIPES_MAX = 20_000
# A followed recipe is dropped after this many polls, so a page whose layout grew a better
# candidate is voted on again now and then.
_FOLLOW_MAX = 50


@dataclass(frozen=True)
class Cached:
    """One entry as the last poll built it, before its date was resolved."""

    text: int
    timed: bool
    entry: RawEntry
    found: FoundTime

    def draft(self) -> Draft:
        """A fresh copy: dates, keys and the merge write to the entry of this poll."""
        entry = object.__new__(RawEntry)
        entry.__dict__.update(self.entry.__dict__)
        entry.filled = set()
        return Draft(entry, self.found)


def recipe_for(url: str) -> Recipe | None:
    hit = _RECIPES.get(url)
    if hit is None:
        return None
    recipe, uses = hit
    if uses >= _FOLLOW_MAX:
        del _RECIPES[url]
        return None
    _RECIPES[url] = (recipe, uses + 1)
    return recipe


def remember_recipe(url: str, recipe: Recipe | None) -> None:
    if recipe is None:
        _RECIPES.pop(url, None)
        return
    if url not in _RECIPES and len(_RECIPES) >= _RECIPES_MAX:
        _RECIPES.clear()
    if url not in _RECIPES or _RECIPES[url][0] != recipe:
        _RECIPES[url] = (recipe, 0)


def drafts(
    layout: Layout, scan: Scan, headlines: frozenset[str], scope: tuple, known: dict[int, Cached]
) -> list[Draft]:
    """Every entry of ``layout``: reused where its fingerprint is known, else built."""
    out: list[Draft] = []
    done: dict[int, Cached] = {}
    for run in layout.runs:
        mark = scan.fingerprint(run, layout.flat)
        hit = known.get(mark)
        if hit is None:
            fresh = build(run, layout.flat, headlines)
            found = replace(fresh.found, el=None)  # no node of this tree outlives the poll
            hit = Cached(scan.text(run), scan.timed(run), replace(fresh.entry), found)
        done[mark] = hit
        out.append(hit.draft())
    MEMO.put(scope, done)
    return out
