"""The CLI against PostgreSQL (``--db postgresql://…``), as against SQLite: real processes,
real Scrapy, a page on 127.0.0.1, a fresh database on the machine's PostgreSQL server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine

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


def test_a_database_without_tickerwatch_tables_is_one_plain_line(pg_url):
    """As SQLite's ``no such table: sources``: the reason, not the statement with a caret."""
    result = invoke("--db", pg_url, "status")
    assert result.exit_code == 2
    assert result.output == f'error: {pg_url}: relation "sources" does not exist\n'


def test_an_unreachable_database_is_one_line_without_the_password(pg_url):
    missing = pg_url.rsplit("/", 1)[0].replace("postgres@", "postgres:s3cret@") + "/no_such_db"
    result = tickerwatch("--db", missing, "entries")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "no_such_db" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


# The reading commands of the README, each as a user types it after ``--db``. Their output
# on PostgreSQL must be what the same rows give on SQLite (issue 15: "exactly as").
READS = [
    ("status", "--json"),
    ("entries", "--json"),
    ("entries", "--format", "csv"),
    ("entries", "--search", "body 3", "--json"),
    ("tail", "--no-follow", "-n", "50"),
    ("tail", "--no-follow", "-n", "50", "--json"),
    ("tail", "--no-follow", "--baseline", "--json"),
    ("sources", "--json"),
    ("history", "live", "post-2"),
    ("history", "live", "post-2", "--json"),
    ("feed", "live"),
    ("digest", "--since", "30d"),
    ("digest", "--since", "30d", "--format", "html"),
    ("archive", "stats", "--json"),
    ("archive", "show", "live"),
]


# Then what changes the database, on PostgreSQL and on a writable copy of the snapshot.
WRITES = [
    ("reextract", "live", "--dry-run"),
    ("reextract", "live"),
    ("archive", "prune", "--days", "0"),
    ("forget", "live", "--yes"),
]


def test_every_reading_command_answers_as_on_sqlite(server, pg_url, tmp_path):
    """Polls through the real CLI into PostgreSQL (new, edited, removed entries and an archived
    page each), the database copied to SQLite with ``export-sqlite``; then every reading
    command gives the same output on both, and so do re-extraction, pruning and ``forget``."""
    url = server.set("/live.html", _page(2, 1))
    gone = _page(3, 1, edited="edited")  # post-2 gone twice: removed
    for page in (_page(2, 1), _page(3, 2, 1, edited="edited"), gone, gone):
        server.set("/live.html", page)
        polled = tickerwatch("--db", pg_url, "poll", "--name", "live", url)
        assert polled.returncode == 0, polled.stderr[-2000:]
    snapshot = tmp_path / "snapshot.db"
    exported = tickerwatch("--db", pg_url, "export-sqlite", str(snapshot))
    assert exported.returncode == 0, exported.stderr[-2000:]

    later = datetime.now(UTC) + timedelta(hours=1)  # one "now" for both: digest's window
    for command in READS:
        with time_machine.travel(later, tick=False):
            on_postgres = invoke("--db", pg_url, *command)
            on_sqlite = invoke("--db", str(snapshot), *command)
        assert on_postgres.exit_code == 0, (command, on_postgres.output)
        assert on_postgres.output == on_sqlite.output.replace(str(snapshot), pg_url), command
        assert on_postgres.output.strip(), command
    events = [json.loads(line) for line in invoke("--db", pg_url, *READS[5]).output.splitlines()]
    assert [(e["event"], e.get("key")) for e in events] == [
        ("baseline", None),
        ("new", "post-3"),
        ("changed", "post-1"),
        ("changed", "post-2"),
        ("removed", "post-2"),
    ]

    writable = tmp_path / "writable.db"
    writable.write_bytes(snapshot.read_bytes())
    for command in WRITES:  # the same changes, the same words, the same rows afterwards
        with time_machine.travel(later, tick=False):
            on_postgres = invoke("--db", pg_url, *command)
            on_sqlite = invoke("--db", str(writable), *command)
        assert on_postgres.exit_code == on_sqlite.exit_code == 0, (command, on_postgres.output)
        assert on_postgres.output == on_sqlite.output.replace(str(writable), pg_url), command
        for read in READS[1], READS[5], ("archive", "stats", "--json"):
            assert (
                invoke("--db", pg_url, *read).output == invoke("--db", str(writable), *read).output
            )
    assert invoke("--db", pg_url, "status", "--json").output == ""


def invoke(*args: str):
    """A reading command in process (no engine, no reactor: tests/test_cli.py)."""
    from click.testing import CliRunner

    from scheduler.cli.app import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)
