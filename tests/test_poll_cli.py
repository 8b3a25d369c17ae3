"""End to end: `tickerwatch poll` in a child process against 127.0.0.1, real Scrapy, real SQLite."""

from __future__ import annotations

import csv
import io
import json
import re

import lxml.html
import pytest

from tests.conftest import REAL, needs_real, real_manifest, tickerwatch
from tests.conftest import query as rows
from tests.pages import article_page, jsonld_liveblog, rss_feed


def count(db, sql, *params):
    return rows(db, sql, *params)[0][0]


@needs_real
def test_every_real_liveblog_yields_exactly_its_entries(server, db_path):
    manifest = real_manifest()
    expected = {
        "express": 9,
        "mirror": 428,
        "corkbeo": 26,
        "repubblica": 79,
        "ndtv": 40,
        "guardian": 10,
        "sportowefakty": 53,
    }
    liveblogs = manifest["liveblogs"] + manifest.get("liveblogs_next", [])
    urls = {}
    for page in liveblogs + manifest["non_liveblogs"]:
        path = "/" + page["file"]
        urls[page["file"]] = server.set(path, (REAL / page["file"]).read_bytes())
    result = tickerwatch("poll", *urls.values(), db=db_path)
    for page in liveblogs:
        url = urls[page["file"]]
        found = count(
            db_path,
            "SELECT count(*) FROM entries e JOIN sources s ON s.id = e.source_id WHERE s.url = ?",
            url,
        )
        site = next(k for k in expected if k in page["file"])
        assert found == expected[site], (page["file"], found, result.stderr[-2000:])
        status, strategy = rows(
            db_path,
            "SELECT p.status, p.strategy FROM polls p JOIN sources s ON s.id = p.source_id "
            "WHERE s.url = ?",
            url,
        )[0]
        assert status == "ok" and strategy
        assert (
            count(
                db_path,
                "SELECT count(DISTINCT key) FROM entries e JOIN sources s "
                "ON s.id = e.source_id WHERE s.url = ?",
                url,
            )
            == found
        )
    # The ARD match report is not a liveblog: an error row that says so, a non-zero exit.
    sportschau = urls[manifest["non_liveblogs"][0]["file"]]
    status, error = rows(
        db_path,
        "SELECT p.status, p.error FROM polls p JOIN sources s ON s.id = p.source_id WHERE s.url = ?",
        sportschau,
    )[0]
    assert status == "error" and "not a liveblog" in error
    assert "not a liveblog" in result.stderr
    assert result.returncode == 1
    # One NEW line per stored entry on stdout, nothing else there.
    new_lines = [line for line in result.stdout.splitlines() if line.startswith("NEW ")]
    assert len(new_lines) == sum(expected.values())
    # The Guardian's JSON-LD gives every update the page headline and one time: stored are
    # each entry's own (3 headlines, 10 times), and the lines of the 7 without one show text.
    guardian = next(urls[p["file"]] for p in liveblogs if "guardian" in p["file"])
    stored = rows(
        db_path,
        "SELECT e.title, e.published_at FROM entries e JOIN sources s ON s.id = e.source_id "
        "WHERE s.url = ?",
        guardian,
    )
    assert sum(1 for title, _ in stored if title) == 3
    assert len({when for _, when in stored}) == 10
    assert not any(title.startswith("Russia-Ukraine war live") for title, _ in stored)
    assert any(
        " 2023-05-15T11:50:54+00:00 Jennifer Rankin reports from Brussels The EU is ready" in line
        for line in new_lines
    )


def ndtv_page(*, drop_newest=0, edit_id=None, delete_id=None) -> bytes:
    path = REAL / "sports.ndtv.com" / "ndtv_2023-11-02_ind-vs-sl-live-score.html"
    doc = lxml.html.fromstring(path.read_bytes())
    entries = doc.cssselect("li.liv-blg_li")
    for entry in entries[:drop_newest]:
        entry.drop_tree()
    for entry in entries:
        if entry.get("id") == f"{delete_id}_parent":
            entry.drop_tree()
        if entry.get("id") == f"{edit_id}_parent":
            for meta in entry.cssselect("meta[itemprop=articleBody]"):
                meta.set("content", meta.get("content") + " Correction: the figure was 302.")
            for text in entry.cssselect("div.liv-blg_txt"):
                extra = lxml.html.fragment_fromstring("<p>Correction: the figure was 302.</p>")
                text.append(extra)
    return lxml.html.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>")


@needs_real
def test_evolving_liveblog_keeps_exact_history(server, db_path):
    url = server.set("/live.html", ndtv_page(drop_newest=3))
    steps = [
        ("cut", ndtv_page(drop_newest=3), False),
        ("whole", ndtv_page(), False),
        ("edit+delete", ndtv_page(edit_id=70, delete_id=60), False),
        ("unchanged", ndtv_page(edit_id=70, delete_id=60), True),
        ("unchanged again", ndtv_page(edit_id=70, delete_id=60), True),
    ]
    outputs = []
    for label, body, conditional in steps:
        server.set("/live.html", body, conditional=conditional)
        result = tickerwatch("poll", url, db=db_path)
        assert result.returncode == 0, (label, result.stderr[-2000:])
        outputs.append(result.stdout)
    statuses = [r[0] for r in rows(db_path, "SELECT status FROM polls ORDER BY id")]
    assert statuses == ["ok", "ok", "ok", "not_modified", "not_modified"]
    # The last poll was answered with a 304 to our If-None-Match.
    assert "If-None-Match" in server.requests[-1][2]
    assert rows(db_path, "SELECT http_status FROM polls ORDER BY id DESC LIMIT 1") == [(304,)]
    assert count(db_path, "SELECT count(*) FROM entries") == 40
    assert count(db_path, "SELECT count(DISTINCT key) FROM entries") == 40
    assert count(db_path, "SELECT count(*) FROM revisions") == 41
    changed = rows(db_path, "SELECT key, revision, body FROM entries WHERE revision > 1")
    assert len(changed) == 1 and changed[0][1] == 2 and "Correction" in changed[0][2]
    old = rows(
        db_path,
        "SELECT r.body FROM revisions r JOIN entries e ON e.id = r.entry_id "
        "WHERE e.key = ? AND r.revision = 1",
        changed[0][0],
    )[0][0]
    assert "Correction" not in old
    removed = rows(db_path, "SELECT key FROM entries WHERE removed_at IS NOT NULL")
    assert len(removed) == 1 and "60" in removed[0][0]
    events = rows(db_path, "SELECT event, count(*) FROM events GROUP BY event ORDER BY event")
    assert events == [("changed", 1), ("new", 40), ("removed", 1)]
    new_per_poll = [sum(line.startswith("NEW ") for line in out.splitlines()) for out in outputs]
    assert new_per_poll == [37, 3, 0, 0, 0]
    assert sum(line.startswith("CHANGED ") for line in outputs[2].splitlines()) == 1
    assert sum(line.startswith("REMOVED ") for line in outputs[3].splitlines()) == 1
    assert outputs[4] == ""


def test_feed_items_get_their_article_text_once(server, db_path):
    items = []
    for n in range(3):
        link = server.set(
            f"/article-{n}.html",
            article_page(
                f"Artikel {n}",
                [
                    f"Volltext des Artikels {n} mit Einzelheiten über die Lage in Kiew. " * 3,
                    "Zweiter Absatz mit „Anführungszeichen“ und Umlauten äöüß.",
                ],
            ),
        )
        items.append(
            {
                "guid": f"id-{n}",
                "title": f"Artikel {n}",
                "link": link,
                "summary": f"Kurzfassung {n}",
            }
        )
    feed = server.set("/feed.xml", rss_feed(items), content_type="application/rss+xml")
    first = tickerwatch("poll", feed, db=db_path)
    assert first.returncode == 0, first.stderr
    bodies = dict(rows(db_path, "SELECT key, body FROM entries"))
    assert set(bodies) == {"id-0", "id-1", "id-2"}
    for n in range(3):
        assert f"Volltext des Artikels {n}" in bodies[f"id-{n}"]
        assert "„Anführungszeichen“" in bodies[f"id-{n}"]
        assert "Cookies" not in bodies[f"id-{n}"]
        assert server.hits(f"/article-{n}.html") == 1
    link = server.set("/article-3.html", article_page("Artikel 3", ["Ganz neuer Volltext. " * 5]))
    items.insert(0, {"guid": "id-3", "title": "Artikel 3", "link": link, "summary": "kurz"})
    server.set("/feed.xml", rss_feed(items), content_type="application/rss+xml")
    second = tickerwatch("poll", feed, db=db_path)
    assert second.returncode == 0, second.stderr
    assert [line.split()[0] for line in second.stdout.splitlines()] == ["NEW"]
    assert server.hits("/article-3.html") == 1
    assert all(server.hits(f"/article-{n}.html") == 1 for n in range(3))
    assert rows(db_path, "SELECT kind FROM sources") == [("feed",)]


BAD_INPUTS = {
    "404": dict(body="gone", status=404),
    "500": dict(body="oops", status=500),
    "non-html": dict(body=b"\x89PNG\r\n\x1a\n" + bytes(range(256)), content_type="image/png"),
    "empty": dict(body=b""),
    "random bytes": dict(body=bytes((i * 97 + 13) % 256 for i in range(5000))),
    "no entries": dict(body="<html><body><h1>Wartung</h1><p>Bald zurück.</p></body></html>"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_reported_and_loses_nothing(server, db_path, case):
    posts = [
        {"id": n, "headline": f"Meldung {n}", "body": f"Text der Meldung {n}."}
        for n in range(5, 0, -1)
    ]
    url = server.set("/live.html", jsonld_liveblog(posts))
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    before = rows(db_path, "SELECT key, title, body, revision, removed_at FROM entries ORDER BY id")
    assert len(before) == 5
    server.set("/live.html", **BAD_INPUTS[case])
    result = tickerwatch("poll", url, db=db_path)
    status, error = rows(db_path, "SELECT status, error FROM polls ORDER BY id DESC LIMIT 1")[0]
    assert status in ("error", "suspicious") and error, (case, status, error)
    assert url in result.stderr and error.split(":")[0] in result.stderr
    if status == "error":
        assert result.returncode == 1
    after = rows(db_path, "SELECT key, title, body, revision, removed_at FROM entries ORDER BY id")
    assert after == before
    # And the next good poll carries on as if nothing happened.
    server.set("/live.html", jsonld_liveblog(posts))
    again = tickerwatch("poll", url, db=db_path)
    assert again.returncode == 0 and again.stdout == ""
    assert (
        rows(db_path, "SELECT key, title, body, revision, removed_at FROM entries ORDER BY id")
        == before
    )


def test_invalid_feed_is_an_error_and_keeps_entries(server, db_path):
    items = [{"guid": "a", "title": "Eins", "link": "", "summary": "Erste Meldung"}]
    url = server.set("/feed.xml", rss_feed(items), content_type="application/rss+xml")
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    server.set("/feed.xml", "<rss><channel><item><title>kaputt", content_type="application/rss+xml")
    result = tickerwatch("poll", url, db=db_path)
    assert result.returncode == 1
    status, error = rows(db_path, "SELECT status, error FROM polls ORDER BY id DESC LIMIT 1")[0]
    assert status == "error" and "feed" in error
    assert rows(db_path, "SELECT key, body FROM entries") == [("a", "Erste Meldung")]


def test_unreachable_url_gives_one_line_error(db_path):
    result = tickerwatch("poll", "http://127.0.0.1:9/nothing-listens-here", db=db_path)
    assert result.returncode == 1
    assert "127.0.0.1:9" in result.stderr and "ConnectionRefused" in result.stderr
    assert rows(db_path, "SELECT status FROM polls") == [("error",)]


def test_entries_command_formats(server, db_path):
    posts = [{"id": n, "headline": f"Meldung {n}", "body": f"Text über Kiew {n}."} for n in (2, 1)]
    url = server.set("/live.html", jsonld_liveblog(posts))
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    table = tickerwatch("entries", db=db_path)
    lines = table.stdout.splitlines()
    assert table.returncode == 0 and lines[0].split()[:2] == ["PUBLISHED", "SOURCE"]
    assert re.split(" {2,}", lines[1])[3] == "Meldung 2"
    data = json.loads(
        tickerwatch("entries", "--format", "json", "--search", "Kiew 1", db=db_path).stdout
    )
    assert [d["title"] for d in data] == ["Meldung 1"]
    csv_out = tickerwatch("entries", "--format", "csv", "--since", "100000d", db=db_path).stdout
    assert (
        csv_out.startswith("id,source,key") and len(list(csv.DictReader(io.StringIO(csv_out)))) == 2
    )


def test_kind_or_site_given_again_reads_an_unchanged_page_anew(server, db_path):
    """`poll --site`/`--kind` of a known source applies now, not once the page changes; a
    kind that does not fit fails that poll and leaves the stored kind as it was."""
    entries = [
        {"id": 2, "headline": "Zwei", "body": "B"},
        {"id": 1, "headline": "Eins", "body": "A"},
    ]
    url = server.set("/live/again.html", jsonld_liveblog(entries))

    def last_poll():
        return rows(db_path, "SELECT status, strategy FROM polls ORDER BY id DESC LIMIT 1")[0]

    assert tickerwatch("poll", url, db=db_path).returncode == 0
    again = tickerwatch("poll", url, db=db_path)
    assert again.returncode == 0 and again.stdout == ""
    assert last_poll()[0] == "not_modified"  # unchanged, read with the same settings
    assert again.stderr.strip().endswith("/live/again.html: page unchanged"), again.stderr
    forced = tickerwatch("poll", url, "--site", "jsonld", db=db_path)
    assert forced.returncode == 0
    assert last_poll() == ("ok", "jsonld")  # read again, the forced way
    assert "2 entries, none new, edited or removed" in forced.stderr, forced.stderr
    wrong = tickerwatch("poll", url, "--kind", "feed", db=db_path)
    assert wrong.returncode == 1 and last_poll()[0] == "error"
    assert rows(db_path, "SELECT kind FROM sources")[0][0] == "liveblog"
    assert count(db_path, "SELECT count(*) FROM entries WHERE removed_at IS NULL") == 2
