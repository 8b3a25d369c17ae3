"""Adaptive polling, the pure part (scheduler/timing/adaptive.py) and its configuration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extractors.lifecycle import page_signals
from crawler.items import PageSignals
from scheduler.config.model import ConfigError
from scheduler.config.reading import load_config
from scheduler.timing.adaptive import (
    Activity,
    arrival_time,
    end_signal,
    freshness,
    pace,
    span,
)

NOW = 1_800_000_000.0
MIN, MAX = 30.0, 1800.0


def activity(*ago: float, watched: float = 86400.0) -> Activity:
    a = Activity(watched_since=NOW - watched)
    a.add(NOW - s for s in ago)
    return a


def test_entries_every_two_minutes_poll_every_minute():
    result = pace(activity(0, 120, 240, 360, 480), NOW, MIN, MAX)
    assert result.interval == 60.0
    assert result.reason == "hot: 5 new in 8 min"


def test_never_below_min_every_however_hot():
    result = pace(activity(0, 5, 10, 15, 20), NOW, MIN, MAX)
    assert result.interval == MIN and result.reason.startswith("hot: 5 new")


def test_the_median_gap_shrugs_off_one_long_pause_and_one_burst():
    steady = [i * 300.0 for i in range(9)]  # every 5 minutes …
    paused = [0, 300, 600, 900, 4500, 4800, 5100, 5400, 5700]  # … with an hour's pause
    burst = [0, 1, 2, 300, 600, 900, 1200, 1500, 1800]  # … and three at once
    intervals = {pace(activity(*a), NOW, MIN, MAX).interval for a in (steady, paused, burst)}
    assert intervals == {150.0}


def test_quiet_sources_slow_down_with_the_quiet_time_up_to_max_every():
    hot_then_quiet = [t + 7200 for t in (0, 60, 120, 180)]  # hot, then two hours of nothing
    result = pace(activity(*hot_then_quiet), NOW, MIN, MAX)
    assert (result.interval, result.reason) == (MAX, "quiet 2 h")
    ten_minutes = pace(activity(*(t + 600 for t in (0, 60, 120))), NOW, MIN, MAX)
    assert ten_minutes.interval == 150.0 and ten_minutes.reason == "quiet 10 min"


def test_a_blog_that_wakes_up_is_polled_at_min_every_at_once_then_backs_off():
    woke = activity(0, 7200, 7260, 7320)  # last night's rhythm, then one entry just now
    result = pace(woke, NOW, MIN, MAX)
    assert (result.interval, result.reason) == (MIN, "woke: a new entry 0 s ago")
    assert pace(woke, NOW + 600, MIN, MAX).interval == 150.0


def test_a_source_with_nothing_new_yet_backs_off_from_when_it_was_first_watched():
    assert pace(activity(watched=0), NOW, MIN, MAX).interval == MIN
    later = pace(activity(watched=1200), NOW, MIN, MAX)
    assert (later.interval, later.reason) == (300.0, "quiet: nothing new in 20 min watched")


def test_the_server_s_freshness_is_a_lower_bound_but_not_above_max_every():
    hot = activity(0, 60, 120, 180)
    hot.hint = 300.0
    result = pace(hot, NOW, MIN, MAX)
    assert result.interval == 300.0 and result.reason.endswith("server: fresh for 5 min")
    hot.hint = 86400.0
    assert pace(hot, NOW, MIN, MAX).interval == MAX


@pytest.mark.parametrize(
    "headers,seconds",
    [
        ({"Cache-Control": "public, max-age=300"}, 300.0),
        ({"Cache-Control": "max-age=300", "Age": "120"}, 180.0),
        ({"Cache-Control": "max-age=0"}, None),
        ({"Cache-Control": "no-cache, max-age=300"}, None),
        ({"Cache-Control": "max-age=soon"}, None),
        (
            {"Expires": "Thu, 01 Jan 2026 10:05:00 GMT", "Date": "Thu, 01 Jan 2026 10:00:00 GMT"},
            300.0,
        ),
        ({"Expires": "0"}, None),
        ({}, None),
    ],
)
def test_freshness_from_cache_headers(headers, seconds):
    assert freshness(headers, datetime(2026, 1, 1, 10, tzinfo=UTC)) == seconds


def test_arrival_is_the_publication_time_when_plausible():
    seen, previous = NOW, NOW - 600
    assert arrival_time("2027-01-15T08:00:00+00:00", seen, previous) == seen  # future
    assert arrival_time(None, seen, previous) == seen
    inside = datetime.fromtimestamp(NOW - 300, UTC).isoformat()
    assert arrival_time(inside, seen, previous) == NOW - 300
    before = datetime.fromtimestamp(NOW - 3600, UTC).isoformat()
    assert arrival_time(before, seen, previous) == seen  # backdated: it arrived now
    assert arrival_time(before, seen, None) == NOW - 3600  # the first poll: its real rhythm


def test_end_signals():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    live = Activity(watched_since=NOW)
    assert end_signal(PageSignals(live_posting=True), live, now) is None
    assert end_signal(PageSignals(live_posting=False), live, now) == (
        "its LiveBlogPosting is gone from the page"
    )
    never = Activity(watched_since=NOW)  # a page that never had one (tagesschau) is not ended
    assert end_signal(PageSignals(live_posting=False), never, now) is None
    past = PageSignals(live_posting=True, coverage_end="2025-12-31T23:00:00+00:00")
    assert "coverageEndTime 2025-12-31T23:00:00+00:00 has passed" == end_signal(past, never, now)
    future = PageSignals(live_posting=True, coverage_end="2026-01-02T00:00:00+00:00")
    assert end_signal(future, never, now) is None
    closed = page_signals(b"<p>Der Liveblog ist beendet.</p>")
    assert end_signal(closed, never, now) == 'closing notice "Der Liveblog ist beendet"'


def test_coverage_end_equal_to_its_start_is_not_an_end():
    """The Guardian writes the newest update's time into both while the blog is live."""
    body = b'{"coverageStartTime":"2023-05-15T11:50:54+0000","coverageEndTime":"2023-05-15T11:50:54+0000"}'
    assert page_signals(body).coverage_end is None
    planned = (
        b'"coverageStartTime": "2023-11-01T23:01:39Z", "coverageEndTime": "2023-11-03T22:59:59Z"'
    )
    assert page_signals(planned).coverage_end == "2023-11-03T22:59:59+00:00"


def test_span():
    assert [span(s) for s in (45, 600, 3 * 3600, 3 * 86400)] == ["45 s", "10 min", "3 h", "3 d"]


def _config(tmp_path, text: str):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return load_config(path)


def test_without_every_a_source_is_adaptive_and_every_means_fixed(tmp_path):
    config = _config(
        tmp_path,
        '[[source]]\nname = "a"\nurl = "https://example.org/a"\n'
        '[[source]]\nname = "b"\nurl = "https://example.org/b"\nevery = "2m"\n'
        '[[source]]\nname = "c"\nurl = "https://example.org/c"\nmin_every = "1m"\n'
        'max_every = "2h"\nended_grace = "3h"\n',
    )
    a, b, c = config.sources
    assert (a.adaptive, a.min_every, a.max_every) == (True, 30.0, 1800.0)
    assert (b.adaptive, b.every) == (False, 120.0)
    assert (c.min_every, c.max_every, c.ended_grace) == (60.0, 7200.0, 10800.0)
    fixed = _config(
        tmp_path,
        '[defaults]\nevery = "1m"\n[[source]]\nname = "a"\nurl = "https://example.org/a"\n'
        '[[source]]\nname = "b"\nurl = "https://example.org/b"\nmax_every = "1h"\n',
    )
    assert [s.adaptive for s in fixed.sources] == [False, True]


def test_every_with_bounds_and_inverted_bounds_are_refused_with_their_lines(tmp_path):
    with pytest.raises(ConfigError) as caught:
        _config(
            tmp_path,
            '[[source]]\nname = "a"\nurl = "https://example.org/a"\nevery = "1m"\n'
            'min_every = "30s"\n'
            '[[source]]\nname = "b"\nurl = "https://example.org/b"\nmin_every = "1h"\n'
            'max_every = "1m"\n[[source]]\nname = "c"\nurl = "https://example.org/c"\n'
            'min_every = "1s"\narchive = "no"\n',
        )
    reasons = [(p.line, p.reason) for p in caught.value.problems]
    assert (4, "every is a fixed interval: give either every or min_every/max_every") in reasons
    assert (6, "max_every is below min_every") in reasons
    assert any(line == 14 and "min_every: '1s' is below the minimum" in r for line, r in reasons)
    assert (15, "archive: true or false") in reasons
