"""Extractor health: the rules on their own, then one warning per episode through `tickerwatch poll`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawler.diff.health import (
    DOM_EXCESS,
    MARKUP_LOST,
    adapter_of,
    condition,
    dom_part,
    episode,
    extraction_concern,
)
from tests.conftest import tickerwatch

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"


def concern(strategy, dom, ld, before="jsonld+reach", before_count=6):
    return extraction_concern(
        strategy=strategy,
        dom_count=dom,
        structured_count=ld,
        last_healthy_strategy=before,
        last_healthy_count=before_count,
    )


def test_strategy_parts() -> None:
    assert dom_part("jsonld+reach") == "reach" and adapter_of("jsonld+reach") == "reach"
    assert dom_part("microdata") is None and adapter_of("microdata") == "microdata"
    assert dom_part("tagesschau") == "tagesschau" and dom_part(None) is None
    assert adapter_of(None) is None


def test_healthy_polls_raise_no_concern() -> None:
    assert concern("jsonld+reach", 5, 6) is None
    assert concern("jsonld+reach", 30, 428, before_count=428) is None  # Mirror's window
    assert concern("tagesschau", 4, 0, before="tagesschau", before_count=4) is None
    # A capped JSON-LD window next to a full DOM, poll after poll: no jump, no concern.
    assert concern("jsonld+express", 50, 10, before="jsonld+express", before_count=50) is None
    # No history, nothing to compare with.
    assert concern("jsonld", 0, 6, before=None, before_count=None) is None


def test_a_site_adapter_that_stops_matching_is_a_concern() -> None:
    lost = concern("jsonld", 0, 6)
    assert lost is not None and lost.found == MARKUP_LOST
    assert "the reach adapter found 0 entries" in lost.detail and "6 came from structured" in (
        lost.detail
    )
    rescued = concern("jsonld+generic", 5, 6)
    assert rescued is not None and "5 from the generic heuristic" in rescued.detail
    no_ld = concern("generic", 4, 0, before="tagesschau", before_count=4)
    assert no_ld is not None and "4 came from the generic extractor" in no_ld.detail
    # The heuristic is no adapter: its matches come and go with the page.
    assert concern("jsonld", 0, 6, before="jsonld+generic") is None


def test_markup_far_beyond_structured_data_is_a_concern() -> None:
    excess = concern("jsonld+reach", 40, 6, before_count=6)
    assert excess is not None and excess.found == DOM_EXCESS
    assert "gave 40 entries but structured data lists 6" in excess.detail
    assert concern("jsonld+reach", 10, 6, before_count=6) is None  # within the factor


def test_condition_is_read_back_from_the_poll_row() -> None:
    assert condition(0, "no entries found (had 6 live)") == "nothing"
    assert condition(2, "only 2 entries found, last healthy poll had 10") == "too few entries"
    assert condition(6, concern("jsonld", 0, 6).detail) == MARKUP_LOST
    assert condition(40, concern("jsonld+reach", 40, 6).detail) == DOM_EXCESS


@pytest.mark.parametrize(
    ("previous", "now", "expected"),
    [
        ((None, None), ("ok", None), None),
        (("ok", None), ("ok", None), None),
        (("ok", None), ("suspicious", "nothing"), "started"),
        ((None, None), ("suspicious", "nothing"), "started"),
        (("suspicious", "nothing"), ("suspicious", "nothing"), "continues"),
        (("suspicious", "too few entries"), ("suspicious", "nothing"), "started"),
        (("suspicious", "nothing"), ("ok", None), "recovered"),
    ],
)
def test_episodes(previous, now, expected) -> None:
    assert episode(*previous, *now) == expected


# --- end to end ----------------------------------------------------------------------------


def statuses(db: Path) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT status, strategy FROM polls ORDER BY id").fetchall()
    finally:
        conn.close()


def test_one_warning_per_episode_and_one_recovery_line(server, db_path) -> None:
    good = (SITES / "reach.html").read_text(encoding="utf-8")
    # A redesign: the entry class is renamed, the JSON-LD stays. Every entry is still found.
    redesign = good.replace('class="live-event-entry"', 'class="live-post"')
    url = server.set("/storm.html", good)
    steps = [
        good,
        redesign,
        redesign + "<!-- 2 -->",  # different bytes, or the body hash skips the poll
        good,
        "<html><body><p>Wartungsarbeiten</p></body></html>",
        "<html><body><p>Wartungsarbeiten.</p></body></html>",
        good + "<!-- back -->",
    ]
    outputs = []
    for page in steps:
        server.set("/storm.html", page)
        result = tickerwatch("poll", url, "--name", "storm", db=db_path)
        outputs.append(result.stderr)
    got = [s for s, _ in statuses(db_path)]
    assert got == ["ok", "suspicious", "suspicious", "ok", "suspicious", "suspicious", "ok"]
    warning = "SUSPICIOUS extractor found nothing in the page markup for storm (adapter reach,"
    assert outputs[1].count(warning) == 1, outputs[1]
    assert "the reach adapter found 0 entries in the page markup" in outputs[1]
    assert "SUSPICIOUS" not in outputs[2] and "recovered" not in outputs[2]
    assert outputs[3].count("extractor recovered for storm (adapter reach): 6 entries") == 1
    assert outputs[4].count("SUSPICIOUS extractor found nothing for storm (adapter reach,") == 1
    assert "SUSPICIOUS" not in outputs[5]
    assert "extractor recovered for storm" in outputs[6]
    conn = sqlite3.connect(db_path)
    try:
        live = conn.execute("SELECT count(*) FROM entries WHERE removed_at IS NULL").fetchone()[0]
        events = conn.execute("SELECT event, count(*) FROM events GROUP BY event").fetchall()
    finally:
        conn.close()
    assert live == 6 and events == [("new", 6)]


def test_forcing_an_extractor_accepts_the_new_layout(server, db_path) -> None:
    """An operator who switches a broken site to ``--site jsonld`` is not warned on every poll."""
    good = (SITES / "reach.html").read_text(encoding="utf-8")
    url = server.set("/storm.html", good)
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    server.set("/storm.html", good.replace('class="live-event-entry"', 'class="live-post"'))
    forced = tickerwatch("poll", url, "--site", "jsonld", db=db_path)
    assert forced.returncode == 0 and "SUSPICIOUS" not in forced.stderr
    assert statuses(db_path) == [("ok", "jsonld+reach"), ("ok", "jsonld")]
