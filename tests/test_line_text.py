"""Every development line and notification names its entry: the title, else the body's start.

Most Guardian posts have no headline of their own; a line reading ``NEW src - - url`` says
nothing. ``-`` stands only for an entry with neither title nor body text.
"""

from __future__ import annotations

from pathlib import Path

from crawler.items import Development, EntryItem, PollItem
from crawler.reporting import development_line
from crawler.store.db import Store
from crawler.store.queries import events_after, pending_events
from crawler.store.recording import record_poll
from crawler.text.terminal import LINE_TEXT, entry_text
from scheduler.notify import message_for
from tests.conftest import tickerwatch

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
URL = "http://127.0.0.1:1/live.html"
LONG = (
    "The barrier was closed an hour before high tide, the Environment Agency said, and "
    "residents of the lower town were asked to move their cars."
)


def test_entry_text_is_the_title_else_the_start_of_the_body() -> None:
    assert entry_text("Flood barrier closed", LONG) == "Flood barrier closed"
    assert entry_text("", "  Short\n\nbody  ") == "Short body"
    start = entry_text("", LONG)
    assert start.endswith("…") and len(start) <= LINE_TEXT
    assert start == "The barrier was closed an hour before high tide, the Environment Agency said…"
    assert LONG.startswith(start[:-1])
    assert entry_text("", "x" * 200) == "x" * (LINE_TEXT - 1) + "…"  # no word to cut at
    assert entry_text(None, None) == "" and entry_text(" ", "") == ""


def _poll(store: Store, *entries: EntryItem):
    item = PollItem(
        source_url=URL, kind="liveblog", source_name="live", entries=list(entries), body_hash="x"
    )
    return record_poll(store, item)


def _entry(key: str, title: str, body: str) -> EntryItem:
    return EntryItem(
        key=key, title=title, body=body, content_hash=key, raw_hash=key, url=f"{URL}#{key}"
    )


def test_lines_tail_and_notifications_carry_text(store) -> None:
    _poll(store, _entry("a", "Old post", "old"))  # the baseline
    recorded = _poll(
        store,
        _entry("c", "", LONG),
        _entry("b", "", ""),  # an image-only post: nothing to show but "-"
        _entry("a", "Old post", "old"),
    )
    lines = {d.key: development_line("live", d) for d in recorded.developments}
    assert lines["c"] == f"NEW live - {entry_text('', LONG)} {URL}#c"
    assert lines["b"] == f"NEW live - - {URL}#b"
    # ``tail`` and the notifier read the developments back from the store: the same text.
    for rows in (events_after(store, 1), pending_events(store)):
        by_key = {r["key"]: r for r in rows}
        assert by_key["c"]["text"] == entry_text("", LONG) and by_key["b"]["text"] == ""
        assert "body_start" not in by_key["c"]
        assert development_line("live", Development.from_row(by_key["c"])) == lines["c"]
    rows = [r for r in pending_events(store) if r["key"] == "c"]
    title, body = message_for("live", [Development.from_row(r) for r in rows])
    assert title == f"NEW live: {entry_text('', LONG)}"
    assert body == lines["c"]


def test_poll_lines_of_an_untitled_guardian_post_show_its_body(server, tmp_path) -> None:
    """Through the real CLI: a new Guardian post without a headline."""
    page = (SITES / "guardian.html").read_text(encoding="utf-8")
    url = server.set("/guardian-live.html", page)
    db = tmp_path / "tw.db"
    assert tickerwatch("poll", url, "--name", "gu", db=db).returncode == 0  # the baseline
    newest = page.index('<article id="block-65ec1e0a8f08aa0000000005"')
    added = (
        '<article id="block-65ec21f08f08aa0000000006" class="block dcr-1r02hz5"><header>'
        '<div><a href="#block-65ec21f08f08aa0000000006"><time datetime="2024-03-09T18:05:00.000Z">'
        "now</time></a></div></header><p><em>From our reporter in Swansea</em></p><p>The pier "
        "is closed and waves are breaking over the promenade wall.</p><footer></footer></article>"
    )
    server.set("/guardian-live.html", page[:newest] + added + page[newest:])
    result = tickerwatch("poll", url, "--name", "gu", db=db)
    assert result.returncode == 0, result.stderr
    new = [line for line in result.stdout.splitlines() if line.startswith("NEW ")]
    assert new == [
        "NEW gu 2024-03-09T18:05:00+00:00 From our reporter in Swansea The pier is closed and "
        "waves are breaking over… https://www.theguardian.com/uk-news/live/2024/"
        "mar/09/storm-gwen-live-updates#block-65ec21f08f08aa0000000006"
    ]
