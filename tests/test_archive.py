"""The archive of raw pages: changed bodies kept (delta-compressed), read back byte for byte,
pruned without breaking the pages kept; end to end through `tickerwatch poll` and the daemon."""

from __future__ import annotations

import pytest

from bench.churn import grow, newest_key
from crawler.items import EntryItem, PollItem, RawPage
from crawler.store import archive
from crawler.store.archive import load_body, page_at, pages_since, prune
from crawler.store.recording import record_poll
from tests.conftest import REAL, needs_real, tickerwatch
from tests.conftest import query as rows
from tests.daemon_process import DaemonProcess, liveblog_page

CORKBEO = "corkbeo.ie/corkbeo_2020-10-06_level-3-live-cork.html"
URL = "http://127.0.0.1:9/live"


@needs_real
def test_changed_pages_are_archived_unchanged_polls_store_nothing(server, db_path, tmp_path):
    real = (REAL / CORKBEO).read_bytes()
    key = newest_key(real, "https://www.corkbeo.ie/live")
    versions = [grow(real, n, key) for n in range(3)]
    url = server.set("/live.html", versions[0])
    for body in (versions[0], versions[1], versions[1], versions[2]):
        server.set("/live.html", body)
        result = tickerwatch("poll", url, "--name", "cork", db=db_path)
        assert result.returncode == 0, result.stderr[-2000:]
    polls = rows(db_path, "SELECT status, page_id FROM polls ORDER BY id")
    pages = rows(db_path, "SELECT id, base_id, depth, size, length(data) FROM pages ORDER BY id")
    assert [p[0] for p in polls] == ["ok", "ok", "not_modified", "ok"]
    assert [p[1] for p in polls] == [pages[0][0], pages[1][0], None, pages[2][0]]
    # The first page stored whole, the next ones against their predecessor: a new entry on a
    # 243 KB page costs well under a kilobyte.
    assert [(p[1], p[2]) for p in pages] == [(None, 0), (pages[0][0], 1), (pages[1][0], 2)]
    assert pages[0][3] == len(versions[0]) and pages[0][4] < len(versions[0]) / 3
    assert all(stored < 2_000 for *_, stored in pages[1:])

    newest = tickerwatch("archive", "show", "cork", "-o", str(tmp_path / "now.html"), db=db_path)
    assert newest.returncode == 0, newest.stderr
    assert (tmp_path / "now.html").read_bytes() == versions[2]
    second = rows(db_path, "SELECT fetched_at FROM pages ORDER BY id")[1][0]
    then = tickerwatch("archive", "show", "cork", "--at", second, db=db_path)
    assert then.returncode == 0 and then.stdout.encode() == versions[1]
    before = tickerwatch("archive", "show", "cork", "--at", "2000-01-01T00:00", db=db_path)
    assert before.returncode != 0 and "no archived page" in before.stderr
    unknown = tickerwatch("archive", "show", "nope", db=db_path)
    assert unknown.returncode != 0 and "no source named 'nope'" in unknown.stderr
    stats = tickerwatch("archive", "stats", db=db_path)
    assert "cork: 3 pages" in stats.stdout and "4 polls" in stats.stdout


def _poll(body: bytes, key: str) -> PollItem:
    raw = RawPage(body, str(hash(body)), URL, "utf-8", "text/html")
    entry = EntryItem(key=key, title=key, body=key, raw_hash=key, content_hash=key)
    return PollItem(source_url=URL, kind="liveblog", strategy="test", entries=[entry], raw=raw)


def test_prune_deletes_old_pages_and_keeps_the_rest_readable(store, monkeypatch):
    time_machine = pytest.importorskip("time_machine")
    monkeypatch.setattr(archive, "KEYFRAME_EVERY", 3)  # chains of three: keyframes and deltas
    bodies = [
        b"<html><body>" + b"<p>entry %d</p>" % i * (i + 1) + b"</body></html>" for i in range(7)
    ]
    days = ["01", "03", "05", "07", "20", "21", "22"]
    for day, body in zip(days, bodies, strict=True):
        with time_machine.travel(f"2026-11-{day}T12:00:00+00:00", tick=False):
            source = record_poll(store, _poll(body, day)).source_id
    depths = [r[0] for r in store.conn.execute("SELECT depth FROM pages ORDER BY id")]
    assert depths == [0, 1, 2, 0, 1, 2, 0]
    assert [p.body for p in pages_since(store.conn, source)] == bodies
    # Pages of the 1st and 3rd go; the 5th's dictionary (the 3rd) goes with them, so it is
    # stored whole; every kept page still reads back exactly.
    result = prune(store, "2026-11-04T00:00:00+00:00")
    assert (result.deleted, result.rekeyed) == (2, 1)
    kept = store.conn.execute("SELECT id, base_id, fetched_at FROM pages ORDER BY id").fetchall()
    assert [k[1] for k in kept] == [None, None, kept[1][0], kept[2][0], None]
    assert [load_body(store.conn, k[0]) for k in kept] == bodies[2:]
    assert page_at(store.conn, source, "2026-11-20T13:00:00+00:00").body == bodies[4]
    assert page_at(store.conn, source, "2026-11-02T00:00:00+00:00") is None
    pointers = store.conn.execute("SELECT page_id FROM polls ORDER BY id").fetchall()
    assert [p[0] for p in pointers] == [None, None] + [k[0] for k in kept]
    assert store.conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 7


def test_an_unchanged_body_after_a_failed_extraction_points_at_the_same_page(store):
    """A page the extractor fails on is archived once, however often it is polled."""
    failed = PollItem(source_url=URL, kind="liveblog", status="error", error="extraction failed")
    for _ in range(3):
        failed.raw = RawPage(b"<html>broken</html>", "h1", URL)
        record_poll(store, failed)
    assert store.conn.execute("SELECT count(*) FROM pages").fetchone()[0] == 1
    pages = store.conn.execute("SELECT id FROM pages").fetchall()
    assert {r[0] for r in store.conn.execute("SELECT page_id FROM polls")} == {pages[0][0]}


def test_archive_false_keeps_nothing_for_that_source(server, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    page = liveblog_page([("e1", "Meldung 1", "Text 1.")])
    kept = server.set("/kept.html", page)
    skipped = server.set("/skipped.html", page)
    config = tmp_path / "sources.toml"
    config.write_text(
        '[defaults]\nevery = "1s"\n'
        f'[[source]]\nname = "kept"\nurl = "{kept}"\n'
        f'[[source]]\nname = "skipped"\nurl = "{skipped}"\narchive = false\n'
    )
    daemon = DaemonProcess(db_path, config)
    try:
        daemon.wait_for(r"^BASELINE (kept|skipped) ", timeout=60, count=2)
    finally:
        assert daemon.stop() == 0
    archived = rows(db_path, "SELECT s.name FROM pages p JOIN sources s ON s.id = p.source_id")
    assert archived == [("kept",)]
