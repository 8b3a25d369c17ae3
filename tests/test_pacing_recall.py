"""Pacing without memory (scheduler/timing/pacing.py, ``recall``): each decision is read back
from the database, so a second Pacer (another worker) decides as the first would have. Real
polls recorded in a real store, on SQLite and on PostgreSQL."""

from __future__ import annotations

from crawler.items import EntryItem, PageSignals, PollItem
from crawler.store.pace import pace_state
from crawler.store.recording import record_poll
from scheduler.config.model import SourceConfig
from scheduler.timing.pacing import Pacer

URL = "http://127.0.0.1:1/live.html"
BLOG = SourceConfig("blog", URL, every=0, min_every=5.0, max_every=600.0)


def entry(n: int) -> EntryItem:
    # Published in 2024: before any previous poll, so a new entry arrives when it is seen.
    return EntryItem(
        key=f"k{n}",
        title=f"T{n}",
        body=f"b{n}",
        content_hash=f"h{n}",
        raw_hash=f"r{n}",
        published_at=f"2024-05-25T10:{n:02d}:00+00:00",
    )


def poll(store, n: int, posting: bool = True) -> PollItem:
    """A poll of a page with entries 0..n-1, committed as the store pipeline does."""
    item = PollItem(
        source_url=URL,
        kind="liveblog",
        source_name="blog",
        entries=[entry(i) for i in reversed(range(n))],
        strategy="test",
        body_hash=f"page{n}{posting}",
        signals=PageSignals(live_posting=posting),
    )
    item.recorded = record_poll(store, item)
    item.poll_id = item.recorded.poll_id
    return item


def test_a_second_pacer_decides_from_what_the_first_stored(store):
    first, second = Pacer(lambda: store, recall=True), Pacer(lambda: store, recall=True)
    baseline = first.after_poll(BLOG, poll(store, 3))
    assert baseline.interval == 600.0 and baseline.reason.startswith("quiet ")  # from 2024
    # Three entries arrive; the other worker sees them as new, against the first one's poll.
    hot = second.after_poll(BLOG, poll(store, 6))
    assert hot.interval == 5.0 and hot.reason.startswith("hot: 3 new"), hot
    # The first worker again, nothing new: it goes by the arrivals the second one saw (what it
    # remembers of its own poll would say quiet since 2024: max_every).
    still = first.after_poll(BLOG, poll(store, 6))
    assert still.interval == 5.0, still
    state = pace_state(store, URL)
    assert (state.poll_every, state.poll_reason) == (still.interval, still.reason)
    assert state.live_posting_at is not None  # seen on the baseline, kept for any worker

    # The LiveBlogPosting goes: a third Pacer, which never saw it, ends the blog.
    third = Pacer(lambda: store, recall=True)
    ended = third.after_poll(BLOG, poll(store, 7, posting=False))
    assert ended.reason.endswith("its LiveBlogPosting is gone from the page"), ended
    assert pace_state(store, URL).ended_reason == "its LiveBlogPosting is gone from the page"
