"""``tickerwatch digest``: each entry once per window, edits as diffs, removals marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import lxml.html
import time_machine
from click.testing import CliRunner

from scheduler.cli.app import main
from tests.conftest import tickerwatch
from tests.pages import jsonld_liveblog


def page(ids, bodies=None):
    bodies = bodies or {}
    return jsonld_liveblog(
        [
            {"id": n, "headline": f"Meldung {n}", "body": bodies.get(n, f"Text {n}.")}
            for n in sorted(ids, reverse=True)
        ]
    )


def test_digest_folds_each_entry_and_marks_edits_and_removals(server, db_path):
    twice = {2: "Text 2. Erste Ergänzung. Zweite Ergänzung [Update].", 4: "Text 4, korrigiert."}
    steps = [
        page([1, 2, 3]),  # the baseline
        page([1, 2, 3, 4], {2: "Text 2. Erste Ergänzung."}),  # folded into one diff below
        page([1, 2, 3, 4, 5], twice),  # 2 edited again, 4 edited after being new
        page([1, 2, 4, 5], twice),
        page([1, 2, 4, 5], twice),  # 3 missing twice: removed
    ]
    url = server.set("/live.html", steps[0])
    for body in steps:
        server.set("/live.html", body)
        result = tickerwatch("poll", url, db=db_path)
        assert result.returncode == 0, result.stderr
    name = url.split("//")[1]
    md = CliRunner().invoke(main, ["--db", str(db_path), "digest"])
    assert md.exit_code == 0, md.output
    text = md.output
    assert f"## {name}" in text
    assert "2 new, 1 edited, 1 removed, 3 already on the page at the first poll" in text
    items = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(items) == 4  # 5, 4 (new, then edited), 2 (edited twice), 3 (removed)
    assert sum("Meldung 4" in line for line in items) == 1
    assert any("Meldung 4](https://example.org/live#post-4) (edited 1×)" in i for i in items)
    assert "  Text 4, korrigiert." in text.splitlines()
    assert any(i.endswith("~~[Meldung 3](https://example.org/live#post-3)~~") for i in items)
    assert "  Text 2. **Erste Ergänzung. Zweite Ergänzung [Update].**" in text.splitlines()
    assert '  *+5 words: "… Erste Ergänzung. Zweite Ergänzung [Update]."*' in text.splitlines()

    html = CliRunner().invoke(main, ["--db", str(db_path), "digest", "--format", "html"]).output
    doc = lxml.html.fromstring(html)
    assert doc.cssselect("h2")[0].text_content() == name
    assert [i.text_content() for i in doc.cssselect("ins")] == [
        "Erste Ergänzung. Zweite Ergänzung [Update]."
    ]
    assert doc.cssselect("del a")[0].get("href") == "https://example.org/live#post-3"
    unknown = CliRunner().invoke(main, ["--db", str(db_path), "digest", "--source", "nope"])
    assert unknown.exit_code == 2 and name in unknown.output
    # An hour on, a one-minute window holds nothing (events of this very second would count).
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        empty = CliRunner().invoke(main, ["--db", str(db_path), "digest", "--since", "1m"])
    assert empty.exit_code == 0 and "no developments since" in empty.stderr
