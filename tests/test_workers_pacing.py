"""Adaptive pacing and liveblog series under two ``tickerwatch worker`` processes on PostgreSQL
(issue 15): what the daemon does (tests/test_adaptive_daemon.py, tests/test_series.py), decided
from the database by whichever worker polled, with real processes and a server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from datetime import datetime

import psycopg
import pytest

from bench.common import stop
from tests.conftest import tickerwatch, wait_until
from tests.daemon_process import liveblog_page
from tests.pages import jsonld_liveblog
from tests.test_series import MONDAY, TUESDAY, entries, overview_page
from tests.workerkit import start as start_worker

TICK = 5
WORKERS = 2


@pytest.fixture
def workers(tmp_path, pg_url, monkeypatch):
    """Start WORKERS workers on a config (a function of the config's text); stopped after."""
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "1")
    assert tickerwatch("--db", pg_url, "init").returncode == 0
    started: list = []
    logs: list = []

    def start(text: str) -> list:
        config = tmp_path / "sources.toml"
        config.write_text(text)
        for n in range(WORKERS):
            logs.append(open(tmp_path / f"worker{n}.log", "w"))  # noqa: SIM115 (closed below)
            started.append(start_worker(pg_url, config, logs[-1], tick=TICK))
        return started

    yield start
    stop(started, 30)
    for log in logs:
        log.close()
    assert all(w.returncode == 0 for w in started), [w.returncode for w in started]


def _logs(tmp_path) -> str:
    return "".join(p.read_text() for p in sorted(tmp_path.glob("worker*.log")))


def _source(pg_url: str, name: str) -> dict:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT poll_every, poll_reason, ended_at, ended_reason FROM sources WHERE name = %s",
            (name,),
        ).fetchone()
    return dict(
        zip(("every", "reason", "ended_at", "ended_reason"), row or (None,) * 4, strict=True)
    )


def _status(pg_url: str) -> dict[str, dict]:
    shown = tickerwatch("--db", pg_url, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    rows = (json.loads(line) for line in shown.stdout.splitlines() if line.strip())
    return {row["name"]: row for row in rows}


def _polls_per_tick(pg_url: str) -> dict[str, Counter]:
    """Committed polls per source name and tick."""
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT s.name, p.started_at FROM polls p JOIN sources s ON s.id = p.source_id"
        ).fetchall()
    ticks: dict[str, Counter] = {}
    for name, started in rows:
        tick = int(datetime.fromisoformat(started).timestamp() // TICK)
        ticks.setdefault(name, Counter())[tick] += 1
    return ticks


def _gaps(server, path: str) -> list[float]:
    times = [t for p, t in list(server.arrived) if p == path]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_adaptive_sources_are_paced_by_whichever_worker_polls(server, pg_url, tmp_path, workers):
    def blog(n: int) -> str:
        return liveblog_page([(f"e{i}", f"Meldung {i}", f"Text {i}.") for i in range(n)])

    url = server.set("/blog.html", blog(3))
    closing = server.set("/closing.html", blog(3))
    posting = [{"id": 1, "headline": "Eins", "body": "Text eins."}]
    gone = server.set("/gone.html", jsonld_liveblog(posting))
    workers(
        '[defaults]\nmin_every = "5s"\nmax_every = "20s"\n'
        f'[[source]]\nname = "blog"\nurl = "{url}"\n'
        f'[[source]]\nname = "closing"\nurl = "{closing}"\nended_grace = "4s"\n'
        f'[[source]]\nname = "gone"\nurl = "{gone}"\n'
    )
    # Quiet: the page's entries date from 2024 and nothing arrives: polled at max_every.
    wait_until(lambda: _source(pg_url, "blog")["reason"] is not None, 120)
    quiet = _source(pg_url, "blog")
    assert quiet["every"] == 20.0 and quiet["reason"].startswith("quiet "), quiet

    # The end of a liveblog, as the daemon sees it: a closing notice; a LiveBlogPosting gone.
    server.set("/closing.html", blog(3).replace("</article>", "<p>Der Liveblog ist beendet.</p>"))
    server.set("/gone.html", blog(2))

    # Hot: an entry every 3 s. The next poll (at most max_every later) sees them arrive, and
    # from then on the blog is polled on every tick.
    halt = threading.Event()

    def publish() -> None:
        n = 3
        while not halt.wait(3):
            n += 1
            server.set("/blog.html", blog(n))

    writer = threading.Thread(target=publish, daemon=True)
    writer.start()
    try:
        wait_until(lambda: (_source(pg_url, "blog")["reason"] or "").startswith("hot: "), 90)
        hot = _source(pg_url, "blog")
        hot_status = _status(pg_url)["blog"]
        seen = server.hits("/blog.html")
        wait_until(lambda: server.hits("/blog.html") >= seen + 3, 60)
        hot_gaps = _gaps(server, "/blog.html")[-3:]
    finally:
        halt.set()
        writer.join()
    assert hot["every"] == 5.0, hot
    assert hot_status["poll_every"] == 5.0 and hot_status["poll_reason"].startswith("hot: ")
    assert max(hot_gaps) < 2 * TICK, hot_gaps  # every tick

    # The closed blog: one more poll when its grace is over, then none (checked at the end).
    wait_until(lambda: "not polled" in (_source(pg_url, "closing")["reason"] or ""), 60)
    ended_hits = server.hits("/closing.html")

    # Quiet again: the interval grows with the quiet time, and the polls spread out.
    wait_until(
        lambda: (
            (_source(pg_url, "blog")["reason"] or "").startswith("quiet ")
            and _source(pg_url, "blog")["every"] > 5.0
        ),
        120,
    )
    calmer = server.hits("/blog.html")  # the poll that stored it was the last one
    wait_until(lambda: server.hits("/blog.html") > calmer, 60)
    assert _gaps(server, "/blog.html")[-1] > 1.5 * TICK, _gaps(server, "/blog.html")
    quiet_status = _status(pg_url)["blog"]
    assert quiet_status["poll_reason"].startswith("quiet ") and quiet_status["poll_every"] > 5.0

    # The ended ones: one ENDED line each whichever worker saw it; "closing" not polled since.
    assert server.hits("/closing.html") == ended_hits
    log = _logs(tmp_path)
    assert log.count("ENDED closing ") == 1, log
    assert 'ENDED closing closing notice "Der Liveblog ist beendet"' in log
    assert _source(pg_url, "closing")["ended_reason"] == 'closing notice "Der Liveblog ist beendet"'
    gone_state = _source(pg_url, "gone")
    assert gone_state["ended_reason"] == "its LiveBlogPosting is gone from the page", gone_state
    assert log.count("ENDED gone ") == 1
    assert "ended at" in _status(pg_url)["closing"]["poll_reason"]
    for name, ticks in _polls_per_tick(pg_url).items():
        assert max(ticks.values()) == 1, (name, ticks)


def test_series_members_are_polled_by_the_workers(server, pg_url, tmp_path, workers):
    server.set(MONDAY, liveblog_page(entries("mo", 2)))
    hub = server.set("/ukraine/index.html", overview_page((MONDAY, "Liveblog: ++ Montag ++")))
    workers(
        f'[[source]]\nname = "ua"\nurl = "{hub}"\nkind = "series"\n'
        'match = "/newsticker/liveblog-ukraine-"\nevery = "5s"\ngrace = "15s"\n'
    )
    monday, tuesday = "ua/liveblog-ukraine-montag-100", "ua/liveblog-ukraine-dienstag-101"
    wait_until(lambda: server.hits(MONDAY) >= 3, 120)
    assert f"BASELINE {monday} 2 entries" in _logs(tmp_path)
    server.set(MONDAY, liveblog_page(entries("mo", 3)))
    wait_until(lambda: re.search(rf"^NEW {monday} \S+ mo Meldung 2 ", _logs(tmp_path), re.M), 60)

    # The next day's liveblog appears on the hub: registered by the worker that polled the
    # hub, polled by whichever worker owns its bucket; the old one until its grace is over.
    server.set(TUESDAY, liveblog_page(entries("di", 1)))
    server.set("/ukraine/index.html", overview_page((TUESDAY, "Dienstag"), (MONDAY, "Montag")))
    wait_until(lambda: f"BASELINE {tuesday} 1 entries" in _logs(tmp_path), 60)
    server.set(MONDAY, liveblog_page(entries("mo", 4)))  # a late correction, within the grace
    wait_until(lambda: re.search(rf"^NEW {monday} \S+ mo Meldung 3 ", _logs(tmp_path), re.M), 60)
    retired = f"series ua: grace period over, no longer polling {monday}"
    wait_until(lambda: retired in _logs(tmp_path), 60)
    monday_hits, tuesday_hits = server.hits(MONDAY), server.hits(TUESDAY)
    wait_until(lambda: server.hits(TUESDAY) >= tuesday_hits + 2, 60)  # two more ticks
    assert server.hits(MONDAY) <= monday_hits + 1  # the other worker's refresh, at most

    log = _logs(tmp_path)
    assert log.count("series ua: following") == 2, log
    assert "NEW ua (hub)" not in log  # hub items are links to follow, not news
    assert server.hits("/wirtschaft/haushalt-volumen-100.html") == 0  # only matching links
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT name, kind FROM sources WHERE series = 'ua' ORDER BY id"
        ).fetchall()
    assert rows == [(monday, "liveblog"), (tuesday, "liveblog")]
    # Each source once per tick, hub and members alike; none skipped while it was polled.
    ticks = _polls_per_tick(pg_url)
    assert set(ticks) == {"ua (hub)", monday, tuesday}
    for name, counts in ticks.items():
        assert max(counts.values()) == 1, (name, counts)
        first, last = min(counts), max(counts)
        assert len(counts) >= (last - first + 1) - 1, (name, sorted(counts))


def test_a_tick_goes_by_the_stored_pace():
    """Pure: an adaptive source is due by the interval its last poll stored; one the pacer
    stopped (ended, grace over) never; a series member is never stopped that way."""
    from crawler.store.ticks import TickState
    from scheduler.config.model import SourceConfig
    from scheduler.timing.ticks import due

    adaptive = SourceConfig("a", "http://127.0.0.1/a", every=0, min_every=5.0, max_every=60.0)
    fixed = SourceConfig("f", "http://127.0.0.1/f", every=10.0)

    def state(every, ended=None) -> TickState:
        return TickState(100, 0, 200, None, poll_every=every, ended_at=ended)

    paced = state(20.0)
    assert [t for t in range(101, 106) if due(adaptive, paced, t, TICK)] == [104, 105]
    assert due(adaptive, state(None), 101, TICK)  # not paced yet: min_every
    stopped = state(None, ended="2026-01-01T00:00:00+00:00")
    assert not any(due(adaptive, stopped, t, TICK) for t in (101, 1000, 10**6))
    member = SourceConfig("s/m", "http://127.0.0.1/m", every=0, min_every=5.0, series="s")
    assert due(member, stopped, 101, TICK)  # the series' grace retires members, not the pacer
    assert [t for t in range(101, 104) if due(fixed, paced, t, TICK)] == [102, 103]
