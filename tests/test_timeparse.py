"""Unit tests for crawler.text.timeparse: ISO, epoch magnitude, ARD clocks, DST and midnight rollover."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crawler.text.rollover import assign_dates
from crawler.text.timeparse import (
    BERLIN,
    from_epoch,
    localize,
    parse_any,
    parse_clock,
    parse_german_datetime,
    parse_iso,
    parse_stand,
    to_iso,
)

LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-08-05T21:00:18.921+01:00", "2024-08-05T20:00:18+00:00"),  # Reach LD
        ("2023-11-02T15:48:45Z", "2023-11-02T15:48:45+00:00"),
        ("2023-11-02T21:06:52+05:30", "2023-11-02T15:36:52+00:00"),  # NDTV microdata
        ("2024-07-18T11:48:00+0100", "2024-07-18T10:48:00+00:00"),
        ("2024-07-18", "2024-07-18T00:00:00+00:00"),  # date only, naive: read in the zone (UTC)
    ],
)
def test_parse_iso_with_offset(value: str, expected: str) -> None:
    assert to_iso(parse_iso(value, UTC)) == expected


def test_parse_iso_naive_is_localised_or_rejected() -> None:
    # Express time@data-time is UK wall time without offset (BST in July).
    assert to_iso(parse_iso("2024-07-18T11:48", LONDON)) == "2024-07-18T10:48:00+00:00"
    assert parse_iso("2024-07-18T11:48") is None  # no zone given: do not guess
    assert parse_iso("not a date", UTC) is None
    assert parse_iso("2024-13-45T10:00Z") is None


def test_parse_iso_ignore_offset_for_mislabelled_z() -> None:
    # repubblica prints Rome wall time with a "Z"; CET in November.
    rome = ZoneInfo("Europe/Rome")
    got = parse_iso("2023-11-02T16:48Z", rome, ignore_offset=True)
    assert to_iso(got) == "2023-11-02T15:48:00+00:00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1722888018921, "2024-08-05T20:00:18+00:00"),  # Reach data-post-time, ms
        ("1721299680", "2024-07-18T10:48:00+00:00"),  # Express data-sort-time, s
        (0, None),
        ("abc", None),
    ],
)
def test_from_epoch_by_magnitude(value: object, expected: str | None) -> None:
    assert to_iso(from_epoch(value)) == expected


def test_parse_any_dispatches() -> None:
    assert to_iso(parse_any("1722888018921")) == "2024-08-05T20:00:18+00:00"
    assert to_iso(parse_any(" 2024-08-05T20:00:18Z ")) == "2024-08-05T20:00:18+00:00"
    assert parse_any("") is None and parse_any(None) is None


def test_to_iso_rejects_naive() -> None:
    with pytest.raises(ValueError):
        to_iso(datetime(2024, 1, 1))
    assert to_iso(None) is None
    assert to_iso(datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))) == (
        "2024-01-01T10:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25.05.2024 • 20:37 Uhr", (date(2024, 5, 25), time(20, 37))),
        ("25.05.2024 · 20:37 Uhr", (date(2024, 5, 25), time(20, 37))),
        ("  5.1.2024 • 08:05 Uhr", (date(2024, 1, 5), time(8, 5))),
        ("20:37 Uhr", (None, time(20, 37))),
        ("Stand: 25.05.2024 20:37 Uhr", (date(2024, 5, 25), time(20, 37))),
        ("31.02.2024 • 20:37 Uhr", (None, None)),  # invalid date
        ("keine Zeit", (None, None)),
    ],
)
def test_parse_german_datetime(text: str, expected: tuple) -> None:
    assert parse_german_datetime(text) == expected


def test_parse_clock() -> None:
    assert parse_clock("21:06 (IST)") == time(21, 6)
    assert parse_clock("25:00") is None
    assert parse_clock("Ergebnis 2:1") is None  # minutes need two digits
    assert parse_clock("") is None


def test_localize_dst_switches_are_deterministic() -> None:
    # Spring forward, 31 March 2024: 02:00-03:00 does not exist in Berlin -> moved forward.
    gap = localize(datetime(2024, 3, 31, 2, 30), BERLIN)
    assert to_iso(gap) == "2024-03-31T01:30:00+00:00"  # = 03:30 CEST
    assert gap.utcoffset() == timedelta(hours=2)
    # Fall back, 27 October 2024: 02:30 happens twice -> first occurrence (CEST).
    twice = localize(datetime(2024, 10, 27, 2, 30), BERLIN)
    assert to_iso(twice) == "2024-10-27T00:30:00+00:00"


def test_parse_stand_takes_the_later_reading_when_ambiguous() -> None:
    assert to_iso(parse_stand("Stand: 25.05.2024 20:37 Uhr")) == "2024-05-25T18:37:00+00:00"
    assert to_iso(parse_stand("Stand: 27.10.2024 02:30 Uhr")) == "2024-10-27T01:30:00+00:00"
    assert parse_stand("Stand: heute") is None


def _resolve(stamps: list[tuple], reference: datetime | None, **kw) -> list[str | None]:
    return [to_iso(d) for d in assign_dates(stamps, BERLIN, reference=reference, **kw)]


def test_midnight_rollover_subtracts_a_day_when_the_clock_rises() -> None:
    stand = parse_stand("26.05.2024 00:40 Uhr")
    stamps = [(None, time(0, 35)), (None, time(0, 5)), (None, time(23, 50)), (None, time(8, 0))]
    assert _resolve(stamps, stand) == [
        "2024-05-25T22:35:00+00:00",
        "2024-05-25T22:05:00+00:00",
        "2024-05-25T21:50:00+00:00",  # 23:50 on the 25th
        "2024-05-25T06:00:00+00:00",
    ]


def test_newest_entry_after_stand_time_belongs_to_the_previous_day() -> None:
    # "Stand" just after midnight but the top entry is 23:55 without a date.
    stand = parse_stand("26.05.2024 00:10 Uhr")
    assert _resolve([(None, time(23, 55))], stand) == ["2024-05-25T21:55:00+00:00"]


def test_explicit_dates_win_and_reset_the_running_date() -> None:
    stamps = [(date(2024, 5, 24), time(23, 58)), (None, time(22, 0))]
    assert _resolve(stamps, None) == ["2024-05-24T21:58:00+00:00", "2024-05-24T20:00:00+00:00"]


def test_small_disorder_is_not_a_rollover() -> None:
    stand = parse_stand("25.05.2024 12:00 Uhr")
    stamps = [(None, time(10, 5)), (None, time(10, 7))]
    got = _resolve(stamps, stand)
    assert got == ["2024-05-25T08:05:00+00:00", "2024-05-25T08:07:00+00:00"]


def test_spring_forward_night() -> None:
    # 31 March 2024: clocks jump 02:00 CET -> 03:00 CEST. Newest first.
    stand = parse_stand("31.03.2024 03:30 Uhr")
    stamps = [(None, time(3, 15)), (None, time(1, 50)), (None, time(1, 10)), (None, time(23, 40))]
    assert _resolve(stamps, stand) == [
        "2024-03-31T01:15:00+00:00",  # 03:15 CEST
        "2024-03-31T00:50:00+00:00",  # 01:50 CET, only 25 real minutes earlier
        "2024-03-31T00:10:00+00:00",
        "2024-03-30T22:40:00+00:00",  # rollover to Saturday, CET
    ]


def test_fall_back_night_keeps_newest_first_across_the_repeated_hour() -> None:
    # 27 October 2024: 03:00 CEST -> 02:00 CET, so 02:xx happens twice. Newest first.
    stand = parse_stand("27.10.2024 03:20 Uhr")
    stamps = [
        (None, time(3, 10)),
        (None, time(2, 40)),  # second pass (CET)
        (None, time(2, 10)),  # second pass (CET)
        (None, time(2, 50)),  # clock rises by 40 min: first pass (CEST), not a rollover
        (None, time(2, 20)),
        (date(2024, 10, 27), time(1, 55)),
    ]
    got = _resolve(stamps, stand)
    assert got == [
        "2024-10-27T02:10:00+00:00",
        "2024-10-27T01:40:00+00:00",
        "2024-10-27T01:10:00+00:00",
        "2024-10-27T00:50:00+00:00",
        "2024-10-27T00:20:00+00:00",
        "2024-10-26T23:55:00+00:00",
    ]
    assert got == sorted(got, reverse=True)


def test_no_date_anywhere_gives_none_and_missing_clock_stays_none() -> None:
    assert _resolve([(None, time(10, 0))], None) == [None]
    stand = parse_stand("25.05.2024 12:00 Uhr")
    assert _resolve([(None, None), (None, time(11, 0))], stand) == [
        None,
        "2024-05-25T09:00:00+00:00",
    ]
    assert _resolve([(None, time(10, 0))], None, fallback_day=date(2024, 5, 25)) == [
        "2024-05-25T08:00:00+00:00"
    ]
