"""Page faults a hostile review found (issue 12, items 8-11): impossible timestamps, answers that
are not pages, structured-data oddities and truncated documents, each through `tickerwatch
poll` against the fault server, each counted in the fault suite's tally."""

from __future__ import annotations

import json

import pytest

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
