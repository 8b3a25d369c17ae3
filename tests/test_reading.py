"""Reading what was stored: tables, --tz, --source, empty results, tail's baseline, --db.

One database filled by real polls (a child process each, through Scrapy) of pages on 127.0.0.1;
the reading commands then run in-process through click's CliRunner.
"""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from click.testing import CliRunner

from scheduler.cli.app import main
from tests.conftest import tickerwatch
from tests.loopback import LoopbackServer
from tests.pages import jsonld_liveblog

# Two sources under one host whose names share their first 40 characters.
LONG = "/mirror.co.uk/news/uk-news/live-storm-ciaran-updates-"


def posts(*ids: int, extra: str = "") -> list[dict]:
    return [
        {"id": n, "headline": f"Meldung {n} über Kiew", "body": f"Text {n}{extra}."}
        for n in sorted(ids, reverse=True)
    ]


@pytest.fixture(scope="module")
def polled(tmp_path_factory):
    """Source A polled twice (3 entries, then 2 more), source B once (2 entries)."""
    db = tmp_path_factory.mktemp("reading") / "tw.db"
    with LoopbackServer() as server:
        a = server.set(LONG + "north.html", jsonld_liveblog(posts(1, 2, 3)))
        b = server.set(LONG + "south.html", jsonld_liveblog(posts(1, 2)))
        first = tickerwatch("poll", a, b, db=db)
        assert first.returncode == 0, first.stderr
        server.set(LONG + "north.html", jsonld_liveblog(posts(1, 2, 3, 4, 5)))
        second = tickerwatch("--log-format", "json", "poll", a, db=db)
        assert second.returncode == 0, second.stderr
    names = {"a": a.split("//")[1], "b": b.split("//")[1]}
    return {"db": db, "first": first, "second": second, **names}


def cli(db, *args, columns: int | None = None):
    env = {"COLUMNS": str(columns)} if columns else {"COLUMNS": ""}
    result = CliRunner().invoke(main, ["--db", str(db), *args], env=env)
    return result


def test_entries_table_has_a_header_and_times_with_their_zone(polled):
    out = cli(polled["db"], "entries").output.splitlines()
    assert out[0].split() == ["PUBLISHED", "SOURCE", "REV", "TITLE", "URL"]
    assert len(out) == 1 + 7
    assert out[1].startswith("2024-05-25 08:05 UTC  ")
    berlin = cli(polled["db"], "entries", "--tz", "Europe/Berlin").output.splitlines()
    assert berlin[1].startswith("2024-05-25 10:05 CEST  ")
    bad = cli(polled["db"], "entries", "--tz", "Mars/Olympus")
    assert bad.exit_code == 2 and "Europe/Berlin" in bad.output


def test_piped_tables_are_never_cut_and_narrow_ones_keep_names_apart(polled):
    piped = cli(polled["db"], "entries").output
    assert polled["a"] in piped and polled["b"] in piped
    narrow = cli(polled["db"], "entries", columns=80).output.splitlines()
    assert all(len(line) <= 80 for line in narrow)
    shown = {line.split("  ")[1].strip() for line in narrow[1:]}
    assert len(shown) == 2 and all("…" in name for name in shown)
    assert {name[-10:] for name in shown} == {"north.html", "south.html"}


def test_json_and_csv_keep_their_content(polled):
    data = json.loads(cli(polled["db"], "entries", "--format", "json").output)
    assert len(data) == 7 and data[0]["published_at"] == "2024-05-25T08:05:00+00:00"
    assert set(data[0]) >= {"id", "source", "key", "title", "body", "revision", "removed_at"}
    output = cli(polled["db"], "entries", "--format", "csv").output
    assert output.startswith("id,source,key,url,title")
    rows = list(csv.DictReader(io.StringIO(output)))
    # Paragraphs stay line breaks inside the quoted field: the CSV holds what JSON holds.
    assert [r["body"] for r in rows] == [d["body"] for d in data]


def test_unknown_source_is_an_error_that_lists_the_known_ones(polled):
    result = cli(polled["db"], "entries", "--source", "nope")
    assert result.exit_code == 2
    assert polled["a"] in result.output and polled["b"] in result.output
    assert cli(polled["db"], "tail", "--no-follow", "--source", "nope").exit_code == 2


def test_an_empty_result_says_why(polled):
    result = cli(polled["db"], "entries", "--since", "2h")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no entries since" in result.stderr and "newest is 2024-05-25 08:05 UTC" in result.stderr
    result = cli(polled["db"], "entries", "--search", "Donezk")
    assert "no entries match 'Donezk'" in result.stderr


def test_tail_counts_lines_and_summarises_each_baseline_like_poll(polled):
    first_poll = polled["first"].stdout.splitlines()
    baselines = [line for line in first_poll if line.startswith("BASELINE ")]
    assert len(baselines) == 2 and sum(line.startswith("NEW ") for line in first_poll) == 5
    lines = cli(polled["db"], "tail", "--no-follow", "-n", "10").output.splitlines()
    # The same BASELINE lines as the poll printed (and the daemon logs), then the two new ones.
    assert sorted(lines[:2]) == sorted(baselines)
    assert [line.split()[0] for line in lines[2:]] == ["NEW", "NEW"]
    assert cli(polled["db"], "tail", "--no-follow", "-n", "2").output.splitlines() == lines[2:]
    assert len(cli(polled["db"], "tail", "--no-follow", "-n", "3").output.splitlines()) == 3
    everything = cli(polled["db"], "tail", "--no-follow", "-n", "100", "--baseline").output
    assert sum(line.startswith("NEW ") for line in everything.splitlines()) == 7


def test_json_lines_keep_non_ascii_as_utf8(polled):
    lines = [json.loads(line) for line in polled["second"].stdout.splitlines()]
    assert [d["title"] for d in lines] == ["Meldung 4 über Kiew", "Meldung 5 über Kiew"]
    assert "über" in polled["second"].stdout and "\\u00fc" not in polled["second"].stdout
    tail = cli(polled["db"], "tail", "--no-follow", "-n", "1", "--json").output
    assert "über" in tail


def test_no_referer_warning_and_a_new_database_is_named(polled):
    assert "Referer" not in polled["first"].stderr + polled["second"].stderr
    assert polled["first"].stderr.startswith(f"creating database {polled['db']}\n")
    assert "creating database" not in polled["second"].stderr


def test_db_after_the_command_and_the_path_status_shows(polled, tmp_path):
    after = CliRunner().invoke(main, ["status", "--db", str(polled["db"])])
    assert after.exit_code == 0 and after.output.splitlines()[0] == f"database: {polled['db']}"
    assert after.output.splitlines()[1].split()[:2] == ["SOURCE", "LAST"]
    os.chdir(polled["db"].parent)
    relative = CliRunner().invoke(main, ["--db", "tw.db", "status"])
    assert relative.output.splitlines()[0] == f"database: {polled['db']}"


@pytest.mark.parametrize("command", [["entries"], ["status"], ["tail", "--no-follow"]])
def test_readers_never_create_a_database(tmp_path, command):
    missing = tmp_path / "nowhere" / "tw.db"
    result = CliRunner().invoke(main, ["--db", str(missing), *command])
    assert result.exit_code == 1 and "nowhere does not exist" in result.output
    absent = tmp_path / "tw.db"
    result = CliRunner().invoke(main, [*command, "--db", str(absent)])
    assert result.exit_code == 1 and f"no database at {absent}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_json_lines_escape_what_could_forge_a_line_or_drive_a_terminal():
    from crawler.text.terminal import json_line

    line = json_line({"title": "Kiew \u202eevil\u2028next \x85 \x1b[2J ü"})
    assert "\\u202e" in line and "\\u2028" in line and "\\u0085" in line and "\\u001b" in line
    assert "ü" in line and json.loads(line)["title"].endswith("ü")


def test_local_zone_is_accepted(polled):
    result = cli(polled["db"], "entries", "--tz", "local", "--limit", "1")
    assert result.exit_code == 0 and result.output.splitlines()[1].startswith("2024-05-25 ")
