"""Printed times as liveblogs show them (crawler/text/clocks.py)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from crawler.text.clocks import is_date_line, read_printed


@pytest.mark.parametrize(
    ("text", "clock", "zone"),
    [
        ("05.20 Uhr: Titel", time(5, 20), None),
        ("+++ 14:26 Titel +++", time(14, 26), None),
        ("19:30 Uhr | Titel", time(19, 30), None),
        ("14:26 – Titel", time(14, 26), None),
        ("21:06 (IST)", time(21, 6), "Asia/Kolkata"),
        ("12.50 BST", time(12, 50), "Europe/London"),
        ("14h26", time(14, 26), None),
        ("2:26pm", time(14, 26), None),
        ("25.05.2024 • 20:37 Uhr", time(20, 37), None),
    ],
)
def test_clocks(text: str, clock: time, zone: str | None) -> None:
    printed = read_printed(text)
    assert printed.clock == clock
    assert (printed.zone.key if printed.zone else None) == zone


@pytest.mark.parametrize("text", ["65.06 sek.", "Koniec - 57:33", "3.5 million", "Bieg 15"])
def test_numbers_that_are_no_clocks(text: str) -> None:
    assert not read_printed(text).timed


@pytest.mark.parametrize(
    ("text", "minute"),
    [("95'", "95"), ("45+2'", "45+2"), ("90'+3", "90+3"), ("90+4’ But !", "90+4"), ("it's", None)],
)
def test_match_minutes(text: str, minute: str | None) -> None:
    printed = read_printed(text)
    assert printed.minute == minute and printed.clock is None


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("4m ago", timedelta(minutes=4)),
        ("vor 5 Minuten", timedelta(minutes=5)),
        ("il y a 2 h", timedelta(hours=2)),
        ("hace 3 horas", timedelta(hours=3)),
        ("12 minut temu", timedelta(minutes=12)),
        ("10 dakika önce", timedelta(minutes=10)),
    ],
)
def test_relative_times(text: str, ago: timedelta) -> None:
    assert read_printed(text).ago == ago


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Dienstag, 4. Februar 2025", date(2025, 2, 4)),
        ("4 February 2025", date(2025, 2, 4)),
        ("Monday, February 3", date(2025, 2, 3)),
        ("15 mai 2024", date(2024, 5, 15)),
        ("04.02.2025", date(2025, 2, 4)),
        ("Samstag 12:30", None),
        ("It was 4 February 2025 when the government fell", None),
    ],
)
def test_date_headings(text: str, day: date | None) -> None:
    assert is_date_line(text, year=2025) == day
