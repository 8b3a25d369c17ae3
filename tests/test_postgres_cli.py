"""The CLI against PostgreSQL (``--db postgresql://…``), as against SQLite: real processes,
real Scrapy, a page on 127.0.0.1, a fresh database on the machine's PostgreSQL server."""

from __future__ import annotations

import json

from tests.conftest import tickerwatch
from tests.pages import jsonld_liveblog


def _page(*ids: int, edited: str = "") -> str:
    return jsonld_liveblog(
        [{"id": i, "headline": f"Update {i}", "body": f"Body {i} {edited}".strip()} for i in ids]
    )


def test_poll_entries_status_and_tail_against_postgres(server, pg_url):
    url = server.set("/live.html", _page(2, 1))
    first = tickerwatch("--db", pg_url, "poll", "--name", "live", url)
    assert first.returncode == 0, first.stderr[-2000:]
    server.set("/live.html", _page(3, 2, 1, edited="edited"))
    second = tickerwatch("--db", pg_url, "poll", url)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "NEW" in second.stdout and "Update 3" in second.stdout, second.stdout

    entries = tickerwatch("--db", pg_url, "entries", "--format", "json")
    assert entries.returncode == 0, entries.stderr[-2000:]
    rows = json.loads(entries.stdout)
    assert sorted(r["title"] for r in rows) == ["Update 1", "Update 2", "Update 3"]
    assert {r["revision"] for r in rows if r["title"] != "Update 3"} == {2}
    found = tickerwatch("entries", "--db", pg_url, "--search", "body 3", "--format", "json")
    assert [r["title"] for r in json.loads(found.stdout)] == ["Update 3"], found.stderr

    status = tickerwatch("--db", pg_url, "status", "--json")
    assert status.returncode == 0, status.stderr[-2000:]
    (source,) = [json.loads(line) for line in status.stdout.splitlines()]
    assert (source["name"], source["last_status"], source["live_entries"]) == ("live", "ok", 3)

    tail = tickerwatch("--db", pg_url, "tail", "--no-follow", "-n", "20", "--json")
    assert tail.returncode == 0, tail.stderr[-2000:]
    events = [json.loads(line) for line in tail.stdout.splitlines()]
    assert [e["event"] for e in events].count("changed") == 2, events


def test_an_unreachable_database_is_one_line_without_the_password(pg_url):
    missing = pg_url.rsplit("/", 1)[0].replace("postgres@", "postgres:s3cret@") + "/no_such_db"
    result = tickerwatch("--db", missing, "entries")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "no_such_db" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
