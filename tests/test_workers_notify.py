"""Notifications from several ``tickerwatch worker`` processes on one PostgreSQL outbox (issue 15):
real workers, real apprise ``json://`` deliveries to a receiver on 127.0.0.1.

Every worker drains the shared outbox; each NEW development reaches its target exactly once,
whichever worker committed the poll and whichever one sent it; a baseline sends nothing.
"""

from __future__ import annotations

import re
from collections import Counter

import psycopg
import pytest

from bench.common import stop
from tests.conftest import tickerwatch
from tests.test_notify import Receiver
from tests.workerkit import RecordingServer, start, wait

SOURCES = 4
WORKERS = 2
HEADLINE = re.compile(r"(/s\d+\.html entry \d+)(?!\d)")


def _sent_lines(receiver: Receiver) -> Counter:
    """How many message lines named each entry (one line per development in a message)."""
    counts: Counter = Counter()
    for body in list(receiver.bodies):
        for line in body["message"].splitlines():
            counts.update(HEADLINE.findall(line))
    return counts


def test_two_workers_notify_each_new_entry_once(tmp_path, pg_url):
    pytest.importorskip("apprise")
    server, receiver = RecordingServer(), Receiver()
    target = f"json://127.0.0.1:{receiver.port}/"
    config = tmp_path / "sources.toml"
    config.write_text(
        "".join(
            f'\n[[source]]\nname = "s{i}"\nurl = "{server.url(i)}"\nkind = "liveblog"\n'
            f'every = "10s"\nnotify = "{target}"\n'
            for i in range(SOURCES)
        )
    )
    init = tickerwatch("--db", pg_url, "init")
    assert init.returncode == 0, init.stderr
    logs = [open(tmp_path / f"worker{n}.log", "w") for n in range(WORKERS)]
    workers = [start(pg_url, config, log) for log in logs]
    try:
        # Entry 4 of every page appears 45 s in: by then each source has had a baseline and at
        # least two NEW entries after it.
        wanted = [f"/s{i}.html entry 4" for i in range(SOURCES)]
        wait(lambda: all(_sent_lines(receiver)[w] for w in wanted), 240, "entry 4 notified")
    finally:
        stop(workers, 30)  # SIGTERM all, then kill a straggler
        for log in logs:
            log.close()
        server.close()
        receiver.httpd.shutdown()
    assert all(w.returncode == 0 for w in workers), [w.returncode for w in workers]

    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            """
            SELECT e.title, d.state,
              NOT EXISTS (SELECT 1 FROM polls q WHERE q.source_id = ev.source_id
                          AND q.status = 'ok' AND q.id < ev.poll_id) AS baseline
            FROM events ev JOIN entries e ON e.id = ev.entry_id
            LEFT JOIN deliveries d ON d.poll_id = ev.poll_id
            WHERE ev.event = 'new'
            """
        ).fetchall()
        deliveries = conn.execute("SELECT count(*), count(DISTINCT target) FROM deliveries")
        records, targets = deliveries.fetchone()
    counts = _sent_lines(receiver)
    baseline = {title for title, _, is_baseline in rows if is_baseline}
    sent = {title for title, state, is_baseline in rows if state == "sent" and not is_baseline}
    recorded = {title for title, state, _ in rows if state is not None}
    assert baseline and not baseline & set(counts), "a baseline entry was notified"
    assert {title: n for title, n in counts.items() if n > 1} == {}, "an entry notified twice"
    assert len(sent) >= 2 * SOURCES
    assert {title: counts[title] for title in sent} == dict.fromkeys(sent, 1)
    assert set(counts) <= recorded, "a message without a delivery record"
    assert targets == 1 and records >= 2 * SOURCES
