"""The benchmark's synthetic pages are real liveblogs and feeds to our extractors (bench/)."""

from __future__ import annotations

from bench.pages import STYLES, World
from bench.report import render
from crawler.extractors import extract_liveblog
from crawler.feeds.parse import parse_feed
from tests.conftest import REAL, needs_real

BASE = "http://127.0.0.1:9"


def test_every_style_yields_all_entries_and_changes_are_seen():
    world = World(liveblogs=len(STYLES), feeds=1, seed=3)
    world.render_all(BASE)
    strategies = set()
    for blog in world.liveblogs.values():
        extraction = extract_liveblog(blog.body.decode(), blog.url(BASE))
        assert len(extraction.entries) == 300
        strategies.add(extraction.strategy)
        record = world.change(blog.name, "add", BASE)
        titles = [e.title for e in extract_liveblog(blog.body.decode(), blog.url(BASE)).entries]
        assert len(titles) == 301 and any(record["tag"] in t for t in titles)
    # every extraction path the per-poll table compares: adapters, the heuristic, LD + heuristic
    assert strategies == {"jsonld+reach", "jsonld+generic", "reach", "generic"}
    feed = world.feeds["f0"]
    assert len(parse_feed(feed.body, feed.url(BASE)).entries) == 100


def test_report_renders_partial_results():
    text = render(
        {"machine": {"date": "d", "cores": 2, "cpu": "c", "python": "3"}, "mode": "quick"}
    )
    assert "Goals" in text


def test_report_compares_the_generic_paths_with_the_adapter():
    medians = {"reach": 10.0, "article": 14.0, "jsonld+reach": 12.0, "jsonld+article": 24.0}
    kinds = {
        f"liveblog_new_entry[{style}]": {"n": 4, "median": ms, "p95": ms, "min": ms}
        for style, ms in medians.items()
    }
    text = render(
        {
            "machine": {"date": "d", "cores": 2, "cpu": "c", "python": "3"},
            "mode": "quick",
            "perpoll": {"kinds": kinds},
        }
    )
    assert "| generic heuristic | `article` | n/a | 14.00 | 14.00 | n/a | 1.40× |" in text
    assert "| site adapter | `reach` | n/a | 10.00 | 10.00 | n/a | 1.00× |" in text
    assert (
        "| (issue 11) JSON-LD merged with generic blocks ≤ 1.5× site adapter + JSON-LD "
        "| 2.000× | **missed** by 1.3× |"
    ) in text
    assert "generic heuristic, 1 new entry among 300 ≤ 1.5× site adapter | 1.400× | met" in text


def test_extraction_report_matches_keys_in_the_form_structured_data_uses():
    from bench.extraction import same_id

    assert same_id("751105", "751105") and same_id("80", "80_parent")
    assert same_id("646219928f08e408b758af95", "block-646219928f08e408b758af95")
    assert not same_id("646219928f", "block-646219928f08e408b758af95")


@needs_real
def test_extraction_report_covers_every_real_page():
    """``python -m bench.extraction``: one row per page and feed of the manifest."""
    import json
    import subprocess
    import sys

    from bench.common import ROOT

    run = subprocess.run(
        [sys.executable, "-m", "bench.extraction", "--json", "--real", str(REAL)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    rows = {r["page"]: r for r in json.loads(run.stdout)}
    manifest = json.loads((REAL / "manifest.json").read_text())
    groups = ("liveblogs", "liveblogs_next", "non_liveblogs", "feeds")
    assert len(rows) == sum(len(manifest.get(g, [])) for g in groups)
    guardian = rows["theguardian.com"]
    assert guardian["exact"] and guardian["strategy"] == "jsonld+guardian"
    assert (guardian["found"], guardian["timed"], guardian["titled"], guardian["bodied"]) == (
        10,
        10,
        3,
        10,
    )
    assert guardian["first"]["title_ok"] == "✓" and guardian["first"]["title"] == ""
    assert rows["sportschau.de"]["strategy"] == "refused" and rows["sportschau.de"]["exact"]
    assert all(rows[f["file"].rsplit("/", 1)[-1]]["exact"] for f in manifest["feeds"])


def test_workers_benchmark_measures_a_worker_and_its_postgresql_load(tmp_path):
    """``python -m bench.workers`` at its smallest: one worker, eight sources, one tick measured.
    Its figures come from the workers' /proc, the wire proxy and the WAL read back."""
    import json
    import subprocess
    import sys

    from bench.common import ROOT
    from tests.pg import skip_or_fail, unavailable

    reason = unavailable()
    if reason:
        skip_or_fail(reason)
    out = tmp_path / "workers.json"
    command = [sys.executable, "-m", "bench.workers", "--workers", "1", "--sources", "8"]
    command += ["--ticks", "1", "--warmup", "0", "--json", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(out.read_text())
    assert result["polls"] > 0
    (worker,) = result["per_worker"]
    assert worker["label"] == "tw-w1" and worker["cpu_s"] > 0
    assert worker["polls"] > 0 and worker["statements"] > worker["polls"]
    assert result["wal"]["relations"]["polls"]["bytes"] > 0
    assert "tw-w1" in result["pg"]["backend_cpu"]
    assert "| 1 | 1 |" in run.stdout
