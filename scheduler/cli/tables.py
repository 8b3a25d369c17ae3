"""Readable tables for the reading commands: a header, times in a chosen zone, widths that fit.

On a terminal the flexible columns shrink to its width (names shortened in the middle, so two
sources under one host stay apart); in a pipe nothing is cut, so ``grep`` and ``cut`` see it all.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import click

GAP = "  "


@dataclass(frozen=True)
class Column:
    header: str
    flex: int = 0  # share of the room left when the terminal is too narrow (0: never shrinks)
    middle: bool = False  # shortened in the middle (names, URLs) rather than at the end
    min_width: int = 12


def shorten(text: str, width: int, *, middle: bool = False) -> str:
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    if not middle:
        return text[: width - 1] + "…"
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + "…" + text[len(text) - tail :]


def output_width() -> int | None:
    """The terminal's width, or None in a pipe (never cut what a program reads).

    ``COLUMNS`` counts as a terminal too, as it does for ``shutil.get_terminal_size``.
    """
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return shutil.get_terminal_size().columns
    return None


def render(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None
) -> list[str]:
    """Lines of a left-aligned table; cells must already be safe for a terminal."""
    table = [[c.header for c in columns], *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    if width is not None:
        widths = _fit(columns, widths, width - len(GAP) * (len(columns) - 1))
    lines = []
    for row in table:
        cells = [
            shorten(cell, w, middle=c.middle).ljust(w)
            for cell, w, c in zip(row, widths, columns, strict=True)
        ]
        lines.append(GAP.join(cells).rstrip())
    return lines


def _fit(columns: Sequence[Column], natural: list[int], room: int) -> list[int]:
    """Fixed columns keep their width; flexible ones start at their minimum (or less, if their
    text is shorter) and share what is left by weight, none wider than its text."""
    widths = [
        w if not c.flex else min(w, c.min_width) for w, c in zip(natural, columns, strict=True)
    ]
    left = room - sum(widths)
    growing = [i for i, c in enumerate(columns) if c.flex and widths[i] < natural[i]]
    while left > 0 and growing:
        weight = sum(columns[i].flex for i in growing)
        given = 0
        for i in list(growing):
            add = min(
                max(1, left * columns[i].flex // weight), natural[i] - widths[i], left - given
            )
            widths[i] += add
            given += add
            if widths[i] >= natural[i]:
                growing.remove(i)
        left -= given
        if given == 0:
            break
    return widths


def echo_table(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    for line in render(columns, rows, output_width()):
        click.echo(line)
