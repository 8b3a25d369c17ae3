"""Content faults end to end: encodings, control characters, noise, layout changes, huge pages,
and log injection, each through `tickerwatch poll` against the fault server."""

from __future__ import annotations

import json
import time

import pytest

from crawler.extractors import extract_liveblog
from tests.conftest import tickerwatch
from tests.faultkit import compare, fault_env, faults, last_poll, poll, record, rows
from tests.faultkit import snapshot as snap
from tests.faultserver import Reply
from tests.pages import jsonld_liveblog

pytestmark = pytest.mark.faults
__all__ = ["fault_env", "faults"]

GERMAN = "„Anführungszeichen“ – ä ö ü ß"


def live(posts: list[dict], *, raw_json: bool = True, head: str = "") -> str:
    """A LiveBlogPosting page; ``raw_json`` keeps non-ASCII in JSON-LD unescaped (encoding matters)."""
    page = jsonld_liveblog(posts)
    if raw_json:
        start = page.index('json">') + 6
        end = page.index("</script>", start)
        page = (
            page[:start] + json.dumps(json.loads(page[start:end]), ensure_ascii=False) + page[end:]
        )
    return page.replace("<head>", "<head>" + head, 1)


def posts(n: int = 6, tag: str = "Meldung", body: str = "Text") -> list[dict]:
    return [
        {"id": i, "headline": f"{tag} {i} {GERMAN}", "body": f"{body} {i}: {GERMAN}."}
        for i in range(n, 0, -1)
    ]


def events(db, url: str, event: str) -> int:
    return rows(
        db,
        "SELECT count(*) FROM events ev JOIN sources s ON s.id = ev.source_id "
        "WHERE s.url = ? AND ev.event = ?",
        url,
        event,
    )[0][0]


def test_encodings_store_german_text_and_a_new_header_is_no_edit(faults, db_path):
    text = live(posts())
    utf8, cp1252 = text.encode("utf-8"), text.encode("cp1252")
    meta_utf8 = live(posts(), head='<meta charset="utf-8">').encode()
    meta_latin1 = live(posts(), head='<meta charset="iso-8859-1">').encode()
    meta_1252 = live(posts(), head='<meta charset="windows-1252">').encode("cp1252")
    variants = {
        "utf-8 header": (utf8, "text/html; charset=utf-8"),
        "no charset, meta utf-8": (meta_utf8, "text/html"),
        "header utf-8 beats meta latin-1": (meta_latin1, "text/html; charset=UTF-8"),
        "BOM beats header latin-1": (b"\xef\xbb\xbf" + utf8, "text/html; charset=iso-8859-1"),
        "windows-1252 header": (cp1252, "text/html; charset=windows-1252"),
        "latin-1 label means windows-1252": (cp1252, "text/html; charset=iso-8859-1"),
        "no charset, meta windows-1252": (meta_1252, "text/html"),
    }
    urls = {}
    for i, (case, (body, ctype)) in enumerate(variants.items()):
        urls[case] = faults.route(f"/enc{i}", Reply(body, 200, {"Content-Type": ctype}))
    first = poll(db_path, *urls.values())
    assert first.returncode == 0, first.stderr[-2000:]
    for case, url in urls.items():
        stored = snap(db_path, url)
        assert len(stored) == 6, case
        for title, body, *_ in stored.values():
            assert GERMAN in title and GERMAN in body, (case, title, body)
    # The same text with another header (and one changed byte, so it is parsed): no edit.
    for i, (case, (body, ctype)) in enumerate(variants.items()):
        other = "text/html" if "charset" in ctype else "text/html; charset=utf-8"
        if "meta latin-1" in case:  # without the header, its meta would rightly win
            other = "text/html;charset=utf8"
        if case.startswith(("windows", "latin", "no charset, meta windows")):
            other = "text/html; charset=cp1252"
        faults.route(f"/enc{i}", Reply(body + b"<!-- v2 -->", 200, {"Content-Type": other}))
    second = poll(db_path, *urls.values())
    assert second.returncode == 0, second.stderr[-2000:]
    for case, url in urls.items():
        record(f"encoding: {case}")
        assert last_poll(db_path, url)[0] == "ok" and events(db_path, url, "changed") == 0, case
    assert "CHANGED" not in second.stdout


def test_noise_is_no_edit_a_real_edit_is_one_and_layout_changes_remove_nothing(faults, db_path):
    base = posts(10)
    ad = '<div class="ad-slot">Anzeige {n}</div><a href="https://x.example/?utm_source=r{n}">mehr</a>'

    def noisy(n: int, edit: bool = False) -> str:
        items = [dict(p) for p in base]
        for p in items:
            p["body"] = p["body"].replace(":", f":  vor {n} Minuten\u00a0 ")
        if edit:
            items[3]["body"] += " Korrektur: 302 statt 203."
        return live(items).replace("</p></article>", "</p>" + ad.format(n=n) + "</article>")

    paths = ("/noise", "/shrink", "/layout", "/newest", "/shuffle")
    url, shrink, relaunch, newest, shuffled = sources = [
        faults.route(path, noisy(1) if path == "/noise" else live(base)) for path in paths
    ]
    assert poll(db_path, *sources).returncode == 0
    before = {u: snap(db_path, u) for u in sources}
    layout = "<html><head><title>Neu</title></head><body><main>Relaunch!</main></body></html>"
    steps = [
        (noisy(2), live(base[:2]), layout, live(base[:6]), live(base[::-1])),
        (
            noisy(3),
            live(base),
            layout + " ",
            live(base[:6]) + "<!--2-->",
            live(base[5:] + base[:5]),
        ),
        (
            noisy(4, edit=True),
            live(base) + " ",
            live(base),
            live(base[:6]) + "<!--3-->",
            live(base),
        ),
    ]
    outputs = []
    for step in steps:
        for path, page in zip(paths, step, strict=True):
            faults.route(path, page)
        outputs.append(poll(db_path, *sources))
    # Noise (whitespace, NBSP, "vor N Minuten", rotating ads, tracking links) is no edit …
    assert events(db_path, url, "changed") == 1
    assert [o.stdout.count("CHANGED") for o in outputs] == [0, 0, 1]

    # … a far shorter page and a relaunch are suspicious once each, and recover by themselves.
    def statuses(source: str) -> list[str]:
        sql = "SELECT p.status FROM polls p JOIN sources s ON s.id = p.source_id WHERE s.url = ?"
        return [r[0] for r in rows(db_path, sql + " ORDER BY p.id", source)]

    assert statuses(shrink) == ["ok", "suspicious", "ok", "ok"]
    assert statuses(relaunch) == ["ok", "suspicious", "suspicious", "ok"]
    assert outputs[0].stderr.count("extractor found nothing for") == 1
    assert outputs[0].stderr.count("extractor found too few entries for") == 1
    assert "extractor found" not in outputs[1].stderr  # one warning per episode
    cases = (("noise", url), ("shrunk page", shrink), ("layout change", relaunch))
    for name, source in (*cases, ("newest-N", newest), ("reorder", shuffled)):
        after = snap(db_path, source)
        damage = (
            compare(before[source], after)
            if name != "noise"
            else {
                "lost": 0,
                "duplicated": 0,
                "false_removals": sum(bool(v[3]) for v in after.values()),
            }
        )
        record(f"liveblog: {name}", **damage)
        assert damage == {"lost": 0, "duplicated": 0, "false_removals": 0}, name
        assert len(after) == 10
        assert events(db_path, source, "removed") == 0, name
        assert events(db_path, source, "new") == 10, name


def test_controls_and_invalid_bytes_are_cleaned_and_logs_cannot_be_forged(faults, store_location):
    db_path = store_location  # a SQLite file, then a PostgreSQL database (conftest.py)
    forged = "Eilmeldung\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07\rNEW forged 2024 fake\n\u202eevil\x00\x07"
    hostile = [{"id": 2, "headline": forged, "body": "Body\x00 with\x01 controls\x1b[31m red"}]
    hostile.append({"id": 1, "headline": "Zweite", "body": "Invalid bytes follow: INVALID"})
    page = live(hostile).encode("utf-8").replace(b"INVALID", b"\xff\xfe\xc3(\x80")
    url = faults.route("/hostile", Reply(page, 200, {"Content-Type": "text/html; charset=utf-8"}))
    text = poll(db_path, url)
    assert text.returncode == 0, text.stderr[-2000:]
    lines = text.stdout.splitlines()
    # A first poll: one NEW line per entry, then the BASELINE line that names them a baseline.
    assert len(lines) == 3 and all(line.startswith("NEW ") for line in lines[:2]), lines
    assert lines[2].startswith("BASELINE ")
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout and "\u202e" not in text.stdout
    assert "\\u202e" in text.stdout  # escaped, visible, inert
    stored = dict(rows(db_path, "SELECT key, title FROM entries"))
    title = stored["post-2"]
    assert "\u202e" in title and "NEW forged" in title  # the database keeps the text …
    assert not any(c in title for c in "\x00\x07\x1b")  # … minus NUL and C0 controls
    bodies = [b for (b,) in rows(db_path, "SELECT body FROM entries")]
    assert any("Invalid bytes follow" in b for b in bodies)
    # JSON log lines: one object per development, nothing a terminal would act on.
    hostile[0]["body"] += " (ergänzt)"
    faults.route("/hostile", live(hostile).replace("INVALID", "ungültig"))
    as_json = tickerwatch("--log-format", "json", "poll", url, db=db_path)
    assert as_json.returncode == 0, as_json.stderr[-2000:]
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["event"] for r in records] == ["changed", "changed"]
    assert "\x1b" not in as_json.stdout and "\u202e" not in as_json.stdout
    record("output: terminal and log injection")
    record("content: NUL, C0 and invalid UTF-8")


def test_control_characters_in_response_headers_are_no_value(faults, store_location):
    """An ETag, Last-Modified or Content-Type holding NUL or ESC (RFC 9110 allows neither) is
    ignored: never stored, never sent back. PostgreSQL refused the NUL, and so every poll."""
    page = live(posts(2)).encode()
    headers = {"Content-Type": "text/html\x00", "ETag": '"v1\x00"', "Last-Modified": "Mon\x1b[2J"}
    url = faults.route("/validators", Reply(page, 200, headers))
    for _ in range(2):
        result = poll(store_location, url)
        assert result.returncode == 0, result.stderr[-2000:]
    assert rows(store_location, "SELECT etag, last_modified FROM sources") == [(None, None)]
    assert rows(store_location, "SELECT content_type FROM pages") == [(None,)]
    assert [last_poll(store_location, url)[0], len(snap(store_location, url))] == [
        "not_modified",
        2,
    ]
    assert "If-None-Match" not in faults.requests[-1].headers
    record("headers: control characters in validators")


def test_pathological_html_is_an_extraction_failure_and_removes_nothing(faults, db_path):
    base = live(posts(8))
    siblings = faults.route("/siblings", base)
    nested = faults.route("/nested", base)
    assert poll(db_path, siblings, nested).returncode == 0
    before = {u: snap(db_path, u) for u in (siblings, nested)}
    faults.route("/siblings", base.replace("</body>", "<p>x</p>" * 1_000_000 + "</body>"))
    deep = "<html><body>" + "<div>" * 100_000 + "x" + "</div>" * 100_000 + "</body></html>"
    faults.route("/nested", deep)
    started = time.monotonic()
    result = poll(db_path, siblings, nested)
    assert result.returncode == 1 and time.monotonic() - started < 30
    for name, url in (("million siblings", siblings), ("100,000 nested", nested)):
        status, error = last_poll(db_path, url)
        damage = compare(before[url], snap(db_path, url))
        record(f"pathological: {name}", **damage)
        assert status == "error" and error.startswith("extraction failed"), (name, error)
        assert damage == {"lost": 0, "duplicated": 0, "false_removals": 0}


def test_a_huge_text_node_is_extracted_in_bounded_time():
    """50 MB is moot (DOWNLOAD_MAXSIZE is 32 MB): 30 MB straight into extraction."""
    page = live(posts(3)).replace("</body>", "<p>" + "A" * (30 * 1024 * 1024) + "</p></body>")
    started = time.monotonic()
    result = extract_liveblog(page, "http://127.0.0.1/live")
    record("pathological: 30 MB text node")
    assert time.monotonic() - started < 10
    assert len(result.entries) == 3
