"""Adaptive polling through the real daemon on 127.0.0.1: a hot liveblog is polled often, a
quiet one rarely, a closed one ends (one ENDED line), is read once more when its grace is over
and then not at all; ``status`` says why."""

from __future__ import annotations

import sqlite3
import threading
import time

from tests.conftest import needs_real, tickerwatch
from tests.daemon_process import DaemonProcess, liveblog_page
from tests.test_series import MONDAY, TUESDAY, hub_feed


def page(n: int, closed: bool = False) -> str:
    html = liveblog_page([(f"e{i}", f"Meldung {i}", f"Text {i}.") for i in range(n)])
    if closed:
        html = html.replace("</article>", "<p>Der Liveblog ist beendet.</p></article>")
    return html


def pace_of(db, name: str) -> tuple:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT poll_every, poll_reason, ended_at, ended_reason FROM sources WHERE name = ?",
            (name,),
        ).fetchone()
    return row or (None, None, None, None)


def wait_until(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_hot_quiet_and_ended_sources(server, db_path, tmp_path):
    hot = server.set("/hot.html", page(3))
    quiet = server.set("/quiet.html", page(3))
    closing = server.set("/closing.html", page(3))
    config = tmp_path / "sources.toml"
    config.write_text(
        '[defaults]\nmin_every = "1s"\nmax_every = "20s"\n'
        f'[[source]]\nname = "hot"\nurl = "{hot}"\n'
        f'[[source]]\nname = "quiet"\nurl = "{quiet}"\n'
        f'[[source]]\nname = "closing"\nurl = "{closing}"\nmax_every = "3s"\n'
        'ended_grace = "4s"\n'
    )
    stop = threading.Event()

    def publish() -> None:  # a new entry on the hot liveblog every 1.5 s
        n = 3
        while not stop.wait(1.5):
            n += 1
            server.set("/hot.html", page(n))

    daemon = DaemonProcess(db_path, config)
    writer = threading.Thread(target=publish, daemon=True)
    try:
        daemon.wait_for(r"^BASELINE closing ", timeout=60)
        writer.start()
        server.set("/closing.html", page(3, closed=True))
        daemon.wait_for(
            r"^ENDED closing closing notice \"Der Liveblog ist beendet\"; polled every 6 h "
            r"for 4 s, then not at all$",
            timeout=60,
        )
        daemon.wait_for(r"closing ended at \S+; grace period over, no longer polled", timeout=60)
        ended_hits = server.hits("/closing.html")
        wait_until(
            lambda: (pace_of(db_path, "hot")[1] or "").startswith("hot: "),
            what="the hot source's reason",
        )
        wait_until(lambda: server.hits("/hot.html") >= 10, what="ten polls of the hot source")
        status = tickerwatch("status", db=db_path)
    finally:
        stop.set()
        assert daemon.stop() == 0
    assert daemon.text().count("ENDED closing") == 1
    assert server.hits("/closing.html") == ended_hits  # not polled after its grace period
    every, reason, ended_at, ended_reason = pace_of(db_path, "closing")
    assert ended_at and ended_reason == 'closing notice "Der Liveblog ist beendet"'
    hot_every, hot_reason, *_ = pace_of(db_path, "hot")
    quiet_every, quiet_reason, *_ = pace_of(db_path, "quiet")
    # The quiet page (entries from 2024, nothing new since) is polled at max_every; the hot
    # one close to min_every, and many times as often.
    assert quiet_every == 20.0 and quiet_reason.startswith("quiet ")
    assert hot_every <= 3.0
    assert server.hits("/hot.html") >= 3 * server.hits("/quiet.html")
    assert status.returncode == 0, status.stderr
    lines = {line.split()[0]: line for line in status.stdout.splitlines()[1:] if line.strip()}
    assert "hot: " in lines["hot"] and "quiet " in lines["quiet"]
    assert "ended at" in lines["closing"]

    # After a restart the ended source stays ended: not polled, not announced again.
    hot_before = server.hits("/hot.html")
    daemon = DaemonProcess(db_path, config)
    try:
        wait_until(lambda: server.hits("/hot.html") >= hot_before + 3, what="hot polled again")
    finally:
        assert daemon.stop() == 0
    assert server.hits("/closing.html") == ended_hits
    assert "ENDED" not in daemon.text()


@needs_real
def test_a_superseded_series_member_ends(server, db_path, tmp_path):
    base = server.url("")
    server.set(MONDAY, liveblog_page([("mo0", "Montag 0", "Text.")]))
    hub = server.set(
        "/index~rss2.xml", hub_feed(base, (MONDAY, "Montag")), content_type="application/rss+xml"
    )
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[[source]]\nname = "ukraine"\nurl = "{hub}"\nkind = "series"\n'
        'match = "/newsticker/liveblog-ukraine-"\nmin_every = "1s"\nmax_every = "2s"\n'
        'grace = "4s"\n'
    )
    daemon = DaemonProcess(db_path, config)
    try:
        daemon.wait_for(r"^BASELINE ukraine/liveblog-ukraine-montag-100 ", timeout=60)
        server.set(TUESDAY, liveblog_page([("di0", "Dienstag 0", "Text.")]))
        server.set(
            "/index~rss2.xml",
            hub_feed(base, (TUESDAY, "Dienstag"), (MONDAY, "Montag")),
            content_type="application/rss+xml",
        )
        daemon.wait_for(
            r"^ENDED ukraine/liveblog-ukraine-montag-100 superseded by "
            r"ukraine/liveblog-ukraine-dienstag-101; polled every 6 h for 4 s, then not at all$",
            timeout=60,
        )
        daemon.wait_for(r"grace period over, no longer polling \S+montag-100", timeout=60)
    finally:
        assert daemon.stop() == 0
    *_, ended_at, reason = pace_of(db_path, "ukraine/liveblog-ukraine-montag-100")
    assert ended_at and reason == "superseded by ukraine/liveblog-ukraine-dienstag-101"
    assert pace_of(db_path, "ukraine/liveblog-ukraine-dienstag-101")[2] is None
