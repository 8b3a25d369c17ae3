"""`tickerwatch reextract`: a real page polled with the wrong extractor, replayed with the right
one, ends up as a clean run would have stored it; corrections are never events; twice is once."""

from __future__ import annotations

import sqlite3

import pytest

from bench.churn import grow, newest_key
from tests.conftest import REAL, needs_real, tickerwatch

# (page, the wrong extractor): the generic heuristic on repubblica reads other titles and times
# and misses the two entries only JSON-LD has; on corkbeo it misses two entries.
CASES = [
    ("repubblica.it/repubblica_2023-11-02_israele-hamas-diretta.html", "generic"),
    ("corkbeo.ie/corkbeo_2020-10-06_level-3-live-cork.html", "generic"),
]


def query(db, sql, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def entries(db) -> dict[str, tuple]:
    """Per key: what a reader sees, and on which poll (by order) the entry was first seen."""
    order = {
        at: n for n, (at,) in enumerate(query(db, "SELECT finished_at FROM polls ORDER BY id"))
    }
    rows = query(
        db,
        "SELECT key, title, body, url, published_at, removed_at IS NULL, first_seen_at FROM entries",
    )
    return {r[0]: (*r[1:6], order.get(r[6])) for r in rows}


def dump(db) -> list:
    return [
        query(db, f"SELECT * FROM {table} ORDER BY 1")
        for table in ("entries", "revisions", "events", "polls", "pages")
    ]


def poll_versions(server, db, versions, *extra):
    for body in versions:
        server.set("/live.html", body)
        result = tickerwatch("poll", server.url("/live.html"), "--name", "live", *extra, db=db)
        assert result.returncode == 0, result.stderr[-2000:]


@needs_real
@pytest.mark.parametrize("page,wrong", CASES, ids=["repubblica", "corkbeo"])
def test_reextract_turns_a_broken_run_into_the_clean_one(server, tmp_path, page, wrong):
    real = (REAL / page).read_bytes()
    key = newest_key(real, "https://example.org/live")
    grown = [grow(real, n, key) for n in range(3)]
    versions = [grown[0], grown[1], grown[1], grown[2]]  # one unchanged poll in between
    clean, broken = tmp_path / "clean.db", tmp_path / "broken.db"
    poll_versions(server, clean, versions)
    poll_versions(server, broken, versions, "--site", wrong)
    expected = entries(clean)
    assert entries(broken) != expected  # the wrong extractor really got it wrong

    before = dump(broken)
    dry = tickerwatch("reextract", "live", "--dry-run", db=broken)
    assert dry.returncode == 0, dry.stderr
    assert dump(broken) == before  # --dry-run changes nothing
    assert "would add" in dry.stdout and ("CORRECT " in dry.stdout or "ADD " in dry.stdout)

    run = tickerwatch("reextract", "live", db=broken)
    assert run.returncode == 0, run.stderr
    assert run.stdout.replace("would add", "added").replace("would correct", "corrected") == (
        dry.stdout.replace("would add", "added").replace("would correct", "corrected")
    )
    assert "3 archived pages replayed" in run.stdout
    assert entries(broken) == expected
    # Corrections are ours, not the publisher's: no events, every new revision marked.
    assert query(broken, "SELECT * FROM events ORDER BY 1") == before[2] and before[2]
    marked = query(broken, "SELECT count(*) FROM revisions WHERE reextracted = 1")[0][0]
    assert marked == len(query(broken, "SELECT id FROM revisions")) - len(before[1]) > 0

    # Idempotent: a second run finds nothing to change and writes nothing.
    after = dump(broken)
    again = tickerwatch("reextract", "live", db=broken)
    assert again.returncode == 0 and "added 0, corrected 0" in again.stdout
    assert dump(broken) == after
    # And a clean run has nothing to correct.
    assert "added 0, corrected 0" in tickerwatch("reextract", "live", db=clean).stdout


def test_reextract_refuses_what_it_cannot_read(server, db_path):
    url = server.set("/feed.xml", b"<rss><channel><item><title>a</title></item></channel></rss>")
    assert tickerwatch("poll", url, "--name", "feed", db=db_path).returncode in (0, 1)
    missing = tickerwatch("reextract", "nope", db=db_path)
    assert missing.returncode != 0 and "no source named 'nope'" in missing.stderr
    feed = tickerwatch("reextract", "feed", db=db_path)
    assert feed.returncode != 0 and "re-extraction reads liveblog pages" in feed.stderr


def test_reextract_in_process_on_both_backends(store):
    """The same reconciliation on SQLite and PostgreSQL: a poll that stored wrong titles and
    missed entries (as a broken extractor would), corrected from the archived pages."""
    from crawler.items import EntryItem, PollItem, RawPage
    from crawler.reextraction import reextract
    from crawler.store.recording import record_poll
    from tests.daemon_process import liveblog_page

    url = "http://127.0.0.1:9/newsticker/liveblog-test-montag-1.html"
    news = [(f"e{i}", f"Meldung {i}", f"Text der Meldung {i}.") for i in range(3)]
    for n in (2, 3):  # two polls; the broken extractor saw only e0, under a wrong title
        body = liveblog_page(news[:n]).encode()
        wrong = EntryItem(key="e0", title="Kaputt", body="?", raw_hash="r", content_hash="c")
        record_poll(
            store,
            PollItem(
                source_url=url,
                kind="liveblog",
                source_name="t",
                strategy="broken",
                entries=[wrong],
                raw=RawPage(body, f"h{n}", url, "utf-8", "text/html"),
            ),
        )
    conn = store.conn
    events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    dry = reextract(store, "t", dry_run=True)
    assert (dry.pages, dry.added, dry.corrected) == (2, 2, 1)
    assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
    plan = reextract(store, "t")
    assert sorted((c.action, c.entry.key) for c in plan.corrections) == [
        ("add", "e1"),
        ("add", "e2"),
        ("correct", "e0"),
    ]
    titles = dict(conn.execute("SELECT key, title FROM entries").fetchall())
    assert titles == {"e0": "Meldung 0", "e1": "Meldung 1", "e2": "Meldung 2"}
    seen = dict(conn.execute("SELECT key, first_seen_at FROM entries").fetchall())
    polls = [r[0] for r in conn.execute("SELECT finished_at FROM polls ORDER BY id")]
    assert (seen["e1"], seen["e2"]) == (polls[0], polls[1])  # when its page was first polled
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == events
    marked = conn.execute("SELECT count(*) FROM revisions WHERE reextracted = 1").fetchone()[0]
    assert marked == 3
    again = reextract(store, "t")
    assert (again.added, again.corrected) == (0, 0)
