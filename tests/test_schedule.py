"""Scheduling math without a clock or a reactor: jitter, backoff, Retry-After, restart catch-up."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.timing.schedule import (
    BACKOFF_CAP,
    CATCH_UP_SPREAD,
    RETRY_AFTER_CAP,
    backoff,
    first_due,
    jittered,
    next_delay,
    parse_retry_after,
)

NOW = datetime(2024, 5, 25, 12, 0, tzinfo=UTC)


def test_jitter_stays_within_ten_percent_and_varies():
    rng = random.Random(1)
    values = [jittered(60, rng) for _ in range(500)]
    assert all(54 <= v <= 66 for v in values)
    assert max(values) - min(values) > 8  # sources really drift apart
    assert all(abs(jittered(86400, rng) - 86400) <= 60 for _ in range(50))  # capped at a minute


@pytest.mark.parametrize(
    ("streak", "expected"),
    [(0, 60), (1, 120), (2, 240), (5, 1920), (6, BACKOFF_CAP), (100, BACKOFF_CAP)],
)
def test_backoff_doubles_and_is_capped(streak, expected):
    assert backoff(60, streak) == expected


def test_backoff_never_shortens_a_long_interval():
    assert backoff(7200, 3) == 7200


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Sat, 25 May 2024 12:05:00 GMT", now=NOW) == 300
    assert parse_retry_after("Sat, 25 May 2024 11:00:00 GMT", now=NOW) == 0  # in the past
    assert parse_retry_after("99999999") == RETRY_AFTER_CAP
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_next_delay_honours_retry_after_over_the_interval():
    rng = random.Random(2)
    assert next_delay(60, 0, retry_after=600, rng=rng) == 600
    assert 54 <= next_delay(60, 0, retry_after=5, rng=rng) <= 66
    assert 108 <= next_delay(60, 1, rng=rng) <= 132  # one error: twice the interval


def test_first_due_after_restart_waits_for_the_rest_of_the_interval():
    due = first_due(NOW, 60, last_finished=NOW - timedelta(seconds=20))
    assert due == NOW + timedelta(seconds=40)


def test_first_due_spreads_overdue_sources_instead_of_polling_all_at_once():
    rng = random.Random(3)
    dues = {first_due(NOW, 60, last_finished=NOW - timedelta(hours=3), rng=rng) for _ in range(20)}
    assert len(dues) > 10
    assert all(NOW <= d <= NOW + timedelta(seconds=CATCH_UP_SPREAD) for d in dues)
    assert first_due(NOW, 60, last_finished=None, rng=rng) <= NOW + timedelta(seconds=10)


def test_first_due_uses_backoff_and_stored_plan():
    last = NOW - timedelta(seconds=30)
    assert first_due(NOW, 60, last_finished=last, error_streak=2) == last + timedelta(seconds=240)
    # A stored Retry-After plan is honoured even though the interval would be sooner.
    retry = NOW + timedelta(minutes=20)
    assert first_due(NOW, 60, last_finished=last, stored_due=retry, honour_stored=True) == retry
    # An ordinary stored plan only counts when it is sooner (the interval was shortened).
    assert first_due(NOW, 60, last_finished=last, stored_due=retry) == last + timedelta(seconds=60)
    # A plan older than the last poll is stale (killed between commit and re-arm): ignored.
    stale = last - timedelta(seconds=5)
    assert first_due(NOW, 60, last_finished=last, stored_due=stale) == last + timedelta(seconds=60)


def test_a_few_overdue_sources_start_at_once_many_are_spread():
    rng = random.Random(3)
    few = [first_due(NOW, 60, last_finished=None, rng=rng, sources=2) for _ in range(20)]
    assert max(few) <= NOW + timedelta(seconds=0.1)
    many = [first_due(NOW, 60, last_finished=None, rng=rng, sources=1000) for _ in range(50)]
    assert max(many) - min(many) > timedelta(seconds=5)
