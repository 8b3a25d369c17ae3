"""What an edit changed: the word diff, the CHANGED line's summary and ``tickerwatch history``."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crawler.diff.words import marked, summary, word_diff
from scheduler.cli.app import main
from tests.conftest import REAL, needs_real, tickerwatch
from tests.pages import jsonld_liveblog
from tests.test_poll_cli import ndtv_page

OLD = "Die Polizei meldet drei Verletzte. Weitere Angaben folgen."
NEW = "Die Polizei meldet vier Verletzte. Nach neuen Angaben wurde ein Mann festgenommen. Weitere Angaben folgen."


def test_word_diff_marks_words_like_git():
    assert marked(word_diff(OLD, NEW)) == (
        "Die Polizei meldet [-drei-]{+vier+} Verletzte. "
        "{+Nach neuen Angaben wurde ein Mann festgenommen.+} Weitere Angaben folgen."
    )
    assert marked(word_diff(OLD, OLD)) == OLD


def test_summary_counts_words_and_quotes_the_longest_run():
    assert summary(OLD, NEW) == '+8 -1 words: "… Nach neuen Angaben wurde ein Mann festgenommen. …"'
    assert summary(OLD, "Die Polizei meldet drei Verletzte.") == (
        '-3 words: removed: "… Weitere Angaben folgen."'
    )
    assert summary(OLD, OLD.replace(" ", "  ")) == "whitespace only"
    assert summary("", "neu") == '+1 word: "neu"'


def posts(edited: bool) -> list[dict]:
    second = "Text zwei." + (" Neue Angaben: drei Verletzte in Lwiw." if edited else "")
    return [
        {"id": 3, "headline": "Drei" + (" (aktualisiert)" if edited else ""), "body": "Text drei."},
        {"id": 2, "headline": "Zwei", "body": second},
        {"id": 1, "headline": "Eins", "body": "Text eins."},
    ]


def test_changed_line_history_and_tail_describe_the_same_edit(server, db_path):
    url = server.set("/live.html", jsonld_liveblog(posts(False)))
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    server.set("/live.html", jsonld_liveblog(posts(True)))
    second = tickerwatch("poll", url, db=db_path)
    changed = sorted(line for line in second.stdout.splitlines() if line.startswith("CHANGED"))
    assert len(changed) == 2, second.stdout + second.stderr
    assert changed[0].endswith('+6 words: "… Neue Angaben: drei Verletzte in Lwiw."')
    assert changed[1].endswith('+1 word: "… (aktualisiert) …"')
    name = url.split("//")[1]
    tail = CliRunner().invoke(main, ["--db", str(db_path), "tail", "--no-follow", "-n", "2"])
    assert sorted(tail.output.splitlines()) == changed

    shown = CliRunner().invoke(main, ["--db", str(db_path), "history", name, "post-2"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith(f"{name}  post-2  https://example.org/live#post-2")
    assert lines[2].startswith("r1  ") and lines[2].endswith("UTC  first seen")
    assert "  title: Zwei" in lines and "  Text zwei." in lines
    assert "  Text zwei. {+Neue Angaben: drei Verletzte in Lwiw.+}" in lines
    assert any(
        line.startswith("r2  ")
        and line.endswith('+6 words: "… Neue Angaben: drei Verletzte in Lwiw."')
        for line in lines
    )
    title_edit = CliRunner().invoke(main, ["--db", str(db_path), "history", name, "post-3"])
    assert "  title: Drei {+(aktualisiert)+}" in title_edit.output.splitlines()

    data = json.loads(
        CliRunner().invoke(main, ["--db", str(db_path), "history", name, "post-2", "--json"]).output
    )
    assert [r["revision"] for r in data["revisions"]] == [1, 2]
    assert ["added", "Neue Angaben: drei Verletzte in Lwiw."] in data["revisions"][1]["body_diff"]
    unknown = CliRunner().invoke(main, ["--db", str(db_path), "history", name, "post-9"])
    assert unknown.exit_code == 2 and "post-3, post-2, post-1" in unknown.output


@needs_real
def test_history_of_an_edited_real_liveblog(server, db_path):
    url = server.set("/live.html", ndtv_page())
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    server.set("/live.html", ndtv_page(edit_id=70))
    poll = tickerwatch("poll", url, db=db_path)
    assert poll.stdout.startswith("CHANGED ")
    assert poll.stdout.rstrip().endswith('+5 words: "… Correction: the figure was 302."')
    shown = CliRunner().invoke(main, ["--db", str(db_path), "history", url.split("//")[1], "70"])
    assert "  {+Correction: the figure was 302.+}" in shown.output.splitlines()


def test_a_terminal_gets_colours_instead_of_marks():
    from scheduler.cli.history import coloured

    shown = coloured(word_diff("drei Verletzte", "vier Verletzte"))
    assert "\x1b[31m" in shown and "\x1b[32m" in shown and "[-" not in shown
    assert "drei" in shown and "vier" in shown


@needs_real
def test_history_finds_an_entry_by_the_link_entries_shows(server, db_path):
    """Guardian keys are ``646219…`` while links end in ``#block-646219…``: both find it."""
    page = REAL / "theguardian.com" / "guardian_2023-05-15_russia-ukraine-war-live.html"
    url = server.set("/live.html", page.read_bytes())
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    name = url.split("//")[1]
    key = "646219928f08e408b758af95"
    link = (
        "https://www.theguardian.com/world/live/2023/may/15/russia-ukraine-war-latest-g7-"
        f"reportedly-set-to-tighten-russia-sanctions-france-to-send-kyiv-military-aid-live#block-{key}"
    )
    for given in (key, f"block-{key}", f"#block-{key}", link):
        shown = CliRunner().invoke(main, ["--db", str(db_path), "history", name, given])
        assert shown.exit_code == 0, (given, shown.output)
        assert shown.output.startswith(f"{name}  {key}  {link}\n")
    unknown = CliRunner().invoke(main, ["--db", str(db_path), "history", name, "#"])
    assert unknown.exit_code == 2 and "has no entry '#'" in unknown.output


def test_an_unknown_name_is_named_as_the_argument_it_is(server, db_path):
    url = server.set("/live.html", jsonld_liveblog(posts(False)))
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    for command in (["history", "nosuch", "post-1"], ["feed", "nosuch"]):
        result = CliRunner().invoke(main, ["--db", str(db_path), *command])
        assert result.exit_code == 2
        assert "Invalid value for NAME: no source named 'nosuch'" in result.output
        assert "--source" not in result.output
