"""The reading commands in process through click's CliRunner, against a real SQLite file and a
real PostgreSQL database.

No engine and no reactor: these commands only read the database, so they need no child
process (tests/test_poll_cli.py runs ``poll`` and the README commands as a user would).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crawler.items import EntryItem, PollItem
from crawler.store.recording import record_poll
from scheduler.cli.app import main

URL = "http://127.0.0.1:1/live.html"


def _entry(key: str, title: str, body: str) -> EntryItem:
    return EntryItem(
        key=key,
        title=title,
        body=body,
        content_hash=f"{key}:{title}:{body}",
        raw_hash=f"{key}:{body}",
        published_at="2024-05-25T10:01:00+02:00",
    )


@pytest.fixture
def polled(store, store_location):
    """A database with one source, polled twice: two new entries, then one edited (on each
    backend: the reading commands take a PostgreSQL URL as ``--db`` as they take a file)."""
    item = dict(source_url=URL, kind="liveblog", source_name="live", strategy="test")
    record_poll(store, PollItem(**item, body_hash="1", entries=[_entry("a", "Eins", "erst")]))
    entries = [_entry("a", "Eins", "dann"), _entry("b", "Zwei", "neu")]
    record_poll(store, PollItem(**item, body_hash="2", entries=entries))
    return store_location


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_entries_json_is_format_json(polled):
    shared = invoke("--db", str(polled), "entries", "--format", "json")
    flag = invoke("--db", str(polled), "entries", "--json")
    assert shared.exit_code == flag.exit_code == 0
    rows = json.loads(flag.output)
    assert json.loads(shared.output) == rows
    assert {(r["key"], r["revision"]) for r in rows} == {("a", 2), ("b", 1)}


def test_entries_csv_and_table(polled):
    csv_out = invoke("--db", str(polled), "entries", "--format", "csv")
    assert csv_out.exit_code == 0 and csv_out.output.splitlines()[0].startswith("id,")
    table = invoke("entries", "--db", str(polled), "--source", "live")
    assert table.exit_code == 0 and "Zwei" in table.output and "Eins" in table.output


def test_unknown_source_is_a_usage_error_naming_the_known_ones(polled):
    result = CliRunner().invoke(main, ["--db", str(polled), "entries", "--source", "nope"])
    assert result.exit_code == 2 and "live" in result.output


def test_status_json_is_one_object_per_source(polled):
    result = invoke("--db", str(polled), "status", "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert result.exit_code == 0
    assert [(r["name"], r["last_status"], r["error_streak"]) for r in rows] == [("live", "ok", 0)]
    assert rows[0]["database"] == (polled if isinstance(polled, str) else str(polled.resolve()))


def test_history_json_shows_both_revisions(polled):
    result = invoke("--db", str(polled), "history", "live", "a", "--json")
    assert result.exit_code == 0
    assert "erst" in result.output and "dann" in result.output


def test_sites_json_lists_the_extractors():
    result = invoke("sites", "--json")
    names = [row["name"] for row in json.loads(result.output)]
    assert result.exit_code == 0 and "jsonld" in names and "generic" in names


def test_reading_commands_never_create_a_database(tmp_path):
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(main, ["--db", str(missing), "entries", "--json"])
    assert result.exit_code != 0 and not missing.exists()
