"""Extractor health: does a poll's extraction still look like the source's last healthy one?

Pure rules, no I/O. A site redesign rarely makes a poll fail: the adapter just stops matching,
and when the page carries JSON-LD the structured data alone still fills the poll, so the loss
of the rich DOM bodies would go unnoticed. These rules turn such a poll into ``suspicious``
(nothing is removed) and decide when that is worth a warning: once per episode, not once per
poll. The episode is derived from the previous poll row's status, so it survives restarts.

The "found nothing" and "fewer than half" rules stay in :mod:`crawler.diff.entries`; this module adds
the structured-data-versus-markup comparison and the episode bookkeeping for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Strategy parts that are structured data, not a reading of the page markup.
STRUCTURED_KINDS = frozenset({"jsonld", "microdata"})
# The heuristic's DOM matches vary with the page; losing them is not a broken adapter.
UNSTABLE_DOM = frozenset({"generic"})
# "Sharply": the markup yields more than this many times the structured-data count, and more
# than this many times the last healthy poll's total.
DIVERGENCE = 2
# What the extractor "found" for the two concerns below (the log line reads "extractor found …").
MARKUP_LOST = "nothing in the page markup"
DOM_EXCESS = "far more entries in the markup than in structured data"


@dataclass(frozen=True)
class Concern:
    """Why a poll whose entries look fine is still suspicious.

    ``found`` completes "extractor found …" in the log line; ``detail`` is stored as the poll
    row's ``error``.
    """

    found: str
    detail: str


def dom_part(strategy: str | None) -> str | None:
    """The markup extractor in a strategy ("jsonld+reach" → "reach", "jsonld" → None)."""
    if not strategy:
        return None
    parts = [p for p in strategy.split("+") if p not in STRUCTURED_KINDS]
    return parts[-1] if parts else None


def adapter_of(strategy: str | None) -> str | None:
    """The extractor to name in a log line: the markup one if any, else the structured kind."""
    if not strategy:
        return None
    return dom_part(strategy) or strategy.split("+")[-1]


def extraction_concern(
    *,
    strategy: str | None,
    dom_count: int,
    structured_count: int,
    last_healthy_strategy: str | None,
    last_healthy_count: int | None,
) -> Concern | None:
    """A concern when markup and structured data disagree in a way the last healthy poll did not.

    1. The last healthy poll read entries from the markup with a site adapter; now that adapter
       gives none, yet the poll has entries (from structured data or the generic heuristic), so
       the diff's "found nothing" rule does not fire: the adapter stopped matching.
    2. The markup gives far more entries than structured data lists, and far more than the
       last healthy poll had (the selector now matches teasers, comments or navigation).

    The caller skips these rules when the poll forces an extractor by name (an operator who
    switched a broken site to ``jsonld`` has acknowledged the change). Without a healthy poll
    before there is nothing to compare with: never a concern. A site
    whose structured data is always shorter than its markup (a capped JSON-LD window) does not
    trip rule 2 either, because its total does not jump.
    """
    if last_healthy_strategy is None:
        return None
    before = dom_part(last_healthy_strategy)
    now = dom_part(strategy)
    if before is not None and before not in UNSTABLE_DOM and now != before:
        rest = (
            f"{structured_count} came from structured data"
            + (f" and {dom_count} from the generic heuristic" if now in UNSTABLE_DOM else "")
            if structured_count
            else f"{dom_count} came from the {now or 'structured data'} extractor"
        )
        return Concern(
            found=MARKUP_LOST,
            detail=(
                f"the {before} adapter found 0 entries in the page markup (it found entries on "
                f"the last healthy poll); {rest}"
            ),
        )
    if (
        structured_count > 0
        and dom_count > DIVERGENCE * structured_count
        and last_healthy_count
        and dom_count > DIVERGENCE * last_healthy_count
    ):
        return Concern(
            found=DOM_EXCESS,
            detail=(
                f"the page markup gave {dom_count} entries but structured data lists "
                f"{structured_count} (last healthy poll: {last_healthy_count})"
            ),
        )
    return None


def condition(entries_found: int, error: str | None) -> str:
    """The kind of a suspicious poll, as "extractor found …" words, from its poll row alone.

    Read back from the stored ``entries_found`` and ``error`` of the previous poll, so the
    episode bookkeeping needs no column of its own: "nothing" and "too few entries" are the
    diff's rules (crawler/diff/entries.py), the other two the concerns above.
    """
    text = error or ""
    if not entries_found:
        return "nothing"
    if " adapter found 0 entries in the page markup" in text:
        return MARKUP_LOST
    if text.startswith("the page markup gave "):
        return DOM_EXCESS
    return "too few entries"


def episode(
    previous_status: str | None,
    previous_condition: str | None,
    status: str,
    current_condition: str | None,
) -> str | None:
    """Where a poll stands in a run of suspicious polls: started, continues, recovered or None.

    ``previous_*`` describe the source's last ``ok``/``suspicious`` poll: errors and unchanged
    pages (``not_modified``) neither open nor close an episode. A different condition (too few
    entries, then nothing at all) starts a new episode: it is news to the operator.
    """
    if status == "suspicious":
        same = previous_status == "suspicious" and previous_condition == current_condition
        return "continues" if same else "started"
    if status == "ok" and previous_status == "suspicious":
        return "recovered"
    return None
