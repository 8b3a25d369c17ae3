"""Page faults a hostile review found (issue 12, items 8-11): impossible timestamps, answers that
are not pages, structured-data oddities and truncated documents, each through `tickerwatch
poll` against the fault server, each counted in the fault suite's tally."""

from __future__ import annotations

import json

import pytest

from tests.daemon_process import liveblog_page
from tests.faultkit import compare, fault_env, faults, last_poll, poll, record, rows
from tests.faultkit import snapshot as snap
from tests.faultserver import Reply
from tests.pages import jsonld_liveblog

pytestmark = pytest.mark.faults
__all__ = ["fault_env", "faults"]

HTML = {"Content-Type": "text/html; charset=utf-8"}
# Offsets no clock has, and instants before the first one a datetime can hold.
BAD_TIMES = ["2024-05-25T08:03:00+25:00", "0001-01-01T00:30:00+05:00"]


def posts(n: int = 5, tag: str = "Meldung") -> list[dict]:
    return [
        {"id": i, "headline": f"{tag} {i}", "body": f"Text der {tag} {i}."} for i in range(n, 0, -1)
    ]


def published(db, url: str) -> dict[str, str | None]:
    return dict(
        rows(
            db,
            "SELECT e.title, e.published_at FROM entries e JOIN sources s ON s.id = e.source_id "
            "WHERE s.url = ?",
            url,
        )
    )


def with_bad_times(page: str) -> str:
    """Entries 3 and 4 get impossible times, in JSON-LD and in the rendered <time> elements."""
    for minute, bad in zip(("03", "04"), BAD_TIMES, strict=True):
        page = page.replace(f"2024-05-25T08:{minute}:00+00:00", bad)
        page = page.replace(f">08:{minute}</time>", "></time>")  # no visible clock to fall back on
    assert all(bad in page for bad in BAD_TIMES)
    return page


def test_an_impossible_time_empties_that_field_not_the_liveblog_poll(faults, db_path):
    url = faults.route("/live/bad-times", with_bad_times(jsonld_liveblog(posts())), headers=HTML)
    result = poll(db_path, url)
    assert result.returncode == 0, result.stderr[-3000:]
    assert last_poll(db_path, url)[0] == "ok"
    times = published(db_path, url)
    assert len(times) == 5 and times["Meldung 3"] is None and times["Meldung 4"] is None
    assert times["Meldung 5"] == "2024-05-25T08:05:00+00:00"
    warnings = [line for line in result.stderr.splitlines() if "unreadable time" in line]
    assert len(warnings) == 1 and url in warnings[0], result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    record("time: impossible offset / year 1 in a liveblog")


def test_an_impossible_time_empties_that_field_not_the_json_feed_poll(faults, db_path):
    items = [
        {"id": f"i{n}", "title": f"Eintrag {n}", "content_text": f"Text {n}", "date_published": t}
        for n, t in enumerate([*BAD_TIMES, "2024-05-25T08:00:00+02:00"])
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}
    url = faults.route(
        "/feed.json", json.dumps(feed), headers={"Content-Type": "application/feed+json"}
    )
    result = poll(db_path, url)
    assert result.returncode == 0, result.stderr[-3000:]
    assert published(db_path, url) == {
        "Eintrag 0": None,
        "Eintrag 1": None,
        "Eintrag 2": "2024-05-25T06:00:00+00:00",
    }
    warnings = [line for line in result.stderr.splitlines() if "unreadable time" in line]
    assert len(warnings) == 1 and url in warnings[0], result.stderr[-3000:]
    record("time: impossible offset / year 1 in a JSON Feed")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


@pytest.mark.parametrize("path", ["/news/live.html", "/news/live"])
def test_an_image_answer_is_an_error_not_a_suspicious_poll(faults, db_path, path):
    # Scrapy makes an HtmlResponse of any answer to a URL ending in .html: the declared type wins.
    url = faults.route(path, jsonld_liveblog(posts()), headers=HTML)
    assert poll(db_path, url).returncode == 0
    before = snap(db_path, url)
    faults.route(path, Reply(PNG, 200, {"Content-Type": "image/png"}))
    result = poll(db_path, url)
    assert result.returncode == 1, result.stderr[-2000:]
    assert last_poll(db_path, url) == ("error", "not an HTML page (image/png)")
    assert "not an HTML page (image/png)" in result.stderr and url in result.stderr
    damage = compare(before, snap(db_path, url))
    record(f"content: image/png answer at {path}", **damage)
    assert damage == {"lost": 0, "duplicated": 0, "false_removals": 0}


def titles(db, url: str) -> list[str]:
    found = rows(
        db,
        "SELECT e.title FROM entries e JOIN sources s ON s.id = e.source_id WHERE s.url = ? "
        "ORDER BY e.key",
        url,
    )
    return [title for (title,) in found]


def test_a_bare_liveblogupdate_reference_is_no_entry(faults, db_path):
    page = jsonld_liveblog(posts())
    assert '"liveBlogUpdate": [' in page
    page = page.replace('"liveBlogUpdate": [', '"liveBlogUpdate": [{"@id": "#lb"}, ', 1)
    url = faults.route("/live/ref", page, headers=HTML)
    result = poll(db_path, url)
    assert result.returncode == 0, result.stderr[-2000:]
    found = titles(db_path, url)
    phantoms = [t for t in found if not t]
    record("structured: bare liveBlogUpdate reference", duplicated=len(phantoms))
    assert sorted(found) == [f"Meldung {i}" for i in range(1, 6)]
    assert result.stdout.count("NEW ") == 5


def test_a_json_ld_block_too_large_to_read_says_so(faults, db_path):
    update = {"@type": "BlogPosting", "headline": "H", "articleBody": "x" * 3000}
    updates = [dict(update, url=f"https://example.org/live#p{i}") for i in range(10_000)]
    data = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "liveBlogUpdate": updates}
    block = json.dumps(data)
    assert len(block) > 30_000_000
    page = (
        "<!doctype html><html><head><title>Liveblog</title>\n"
        f'<script type="application/ld+json">{block}</script></head>'
        "<body><p>Nichts hier.</p></body></html>"
    )
    url = faults.route("/live/huge-ld", page, headers=HTML)
    result = poll(db_path, url)
    status, error = last_poll(db_path, url)
    record("structured: 30 MB JSON-LD block")
    assert "JSON-LD block too large to read (31." in (error or ""), (status, error)
    assert "too large" in result.stderr and "no LiveBlogPosting" not in (error or "")


def test_a_megabyte_entry_key_is_bounded_in_the_database_and_every_line(faults, db_path):
    huge = "k" * 1_000_000
    page = jsonld_liveblog(posts()).replace("post-3", huge)
    assert page.count(huge) == 2  # the JSON-LD url fragment and the DOM id
    url = faults.route("/live/huge-key", page, headers=HTML)
    results = [poll(db_path, url), poll(db_path, url)]
    assert [r.returncode for r in results] == [0, 0], results[0].stderr[-2000:]
    longest = rows(db_path, "SELECT max(length(key)), max(length(url)), count(*) FROM entries")[0]
    record("content: 1 MB entry key", duplicated=longest[2] - 5)
    assert longest[0] <= 500 and longest[1] <= 4_000 and longest[2] == 5
    for result in results:
        lines = (result.stdout + result.stderr).splitlines()
        assert max(map(len, lines), default=0) <= 2_100
    assert results[1].stdout == ""  # the bounded key is stable: nothing new on the second poll


def test_a_raw_nul_in_a_title_is_dropped_not_replaced(faults, db_path):
    page = jsonld_liveblog(posts(3)).replace("Meldung 2", "Mel\x00dung 2")
    assert page.count("Mel\x00dung 2") == 4  # headline and body, in JSON-LD and the DOM
    url = faults.route("/live/nul", page.encode("utf-8"), headers=HTML)
    assert poll(db_path, url).returncode == 0
    found = titles(db_path, url)
    record("content: raw NUL in a title", lost=sum("\ufffd" in t for t in found))
    assert found == ["Meldung 1", "Meldung 2", "Meldung 3"], found


# tagesschau markup (tests/daemon_process.py): entry bodies come from the page, newest first.
TICKER = [(f"e{i}", f"Meldung {i}", f"Ein langer Text der Meldung {i}, " * 8) for i in range(1, 6)]


@pytest.mark.parametrize("where", ["Meldung 1, ", "Meldung 3, "], ids=["last entry", "middle"])
def test_a_cut_off_page_is_suspicious_and_revises_nothing(faults, db_path, where):
    page = liveblog_page(TICKER)
    url = faults.route("/newsticker/liveblog-cut-100.html", page, headers=HTML)
    assert poll(db_path, url).returncode == 0
    before = snap(db_path, url)
    assert len(before) == 5
    body = page.encode("utf-8")
    at = body.index(f"Text der {where}".encode()) + 30  # inside that entry's body text
    faults.route("/newsticker/liveblog-cut-100.html", body[:at], headers=HTML)
    result = poll(db_path, url)
    status, error = last_poll(db_path, url)
    after = snap(db_path, url)
    damage = compare(before, after)
    revised = sum(1 for k, v in after.items() if k in before and v[2] != before[k][2])
    record(f"content: page cut off in {where!r}", **dict(damage, lost=damage["lost"] + revised))
    assert status == "suspicious" and "incomplete document" in (error or ""), (status, error)
    assert after == before and not rows(db_path, "SELECT * FROM events WHERE event != 'new'")
    assert result.returncode == 0 and "incomplete document" in result.stderr
    # The cut page's hash is not kept (served again, it is judged again, not "unchanged");
    # the whole page again is the page as stored: nothing to report.
    assert poll(db_path, url).returncode == 0 and last_poll(db_path, url)[0] == "suspicious"
    faults.route("/newsticker/liveblog-cut-100.html", page, headers=HTML)
    again = poll(db_path, url)
    assert again.returncode == 0 and "NEW" not in again.stdout and "CHANGED" not in again.stdout
    assert last_poll(db_path, url)[0] != "suspicious" and snap(db_path, url) == before
