"""CLI commands that watch a database another process writes: ``tail`` and ``status``."""

from __future__ import annotations

import time

import click

from crawler.diff.words import revision_text, summary
from crawler.items import Development
from crawler.reporting import baseline_line, development_line
from crawler.store.db import Store
from crawler.store.postgres import shown
from crawler.store.queries import events_after, last_event_id, revision_pair, source_status
from crawler.text.terminal import json_line, safe_for_log
from scheduler.cli.options import json_option, resolve_tz, source_option, tz_option
from scheduler.cli.reading import check_source, open_readonly
from scheduler.cli.views import status_table

TAIL_EVERY = 0.5  # seconds between looks at the database
PAGE = 500  # events read per query


class _Lines:
    """Turns event rows into the lines ``tail`` shows: a baseline poll becomes one line."""

    def __init__(self, store: Store, baseline: bool) -> None:
        self.store = store
        self.baseline = baseline  # show each entry of a first poll instead of the summary
        self.summarised: set[int] = set()

    def line(self, row: dict) -> dict | None:
        if row["event"] == "changed":  # the same summary of the edit as the daemon's line
            pair = revision_pair(self.store, row["entry_id"], row["revision"])
            if len(pair) == 2:
                texts = [revision_text(r["title"], r["body"]) for r in pair]
                row["change"] = summary(*texts)
        if not row["baseline"] or self.baseline:
            return row
        if row["poll_id"] in self.summarised:
            return None
        self.summarised.add(row["poll_id"])
        return {
            "id": row["id"],
            "event": "baseline",
            "source": row["source"],
            "poll_id": row["poll_id"],
            "entries": row["entries_found"],
            "strategy": row["strategy"],
            "created_at": row["created_at"],
        }


def _recent(store: Store, source: str | None, count: int, lines: _Lines) -> list[dict]:
    """The last ``count`` lines (not events): read backwards a page at a time until they fill."""
    shown: list[dict] = []
    before = None
    while len(shown) < count:
        rows = events_after(store, 0, source=source, limit=PAGE, newest=True, before_id=before)
        if not rows:
            break
        for row in reversed(rows):
            line = lines.line(row)
            if line is not None:
                shown.append(line)
                if len(shown) == count:
                    break
        before = rows[0]["id"]
    return shown[::-1]


def _emit(row: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json_line(row))
    elif row["event"] == "baseline":
        click.echo(baseline_line(row["source"], row["entries"], row["strategy"]))
    else:
        click.echo(development_line(row["source"], Development.from_row(row)))


@click.command()
@source_option
@json_option("One JSON object per line.")
@click.option(
    "-n", "--lines", "count", type=click.IntRange(min=0), default=10, show_default=True,
    help="Show this many recent lines first.",
)  # fmt: skip
@click.option("--no-follow", is_flag=True, help="Print the recent ones and exit.")
@click.option("--baseline", is_flag=True, help="Show each entry of a first poll, not one line.")
@click.pass_obj
def tail(
    obj: dict, source: str | None, as_json: bool, count: int, no_follow: bool, baseline: bool
) -> None:
    """Follow new developments as the daemon commits them, like ``tail -f``.

    A source's first poll (its baseline) is one BASELINE line, as in the daemon's log;
    ``--baseline`` shows each of its entries instead. ``-n`` counts the lines shown.
    """
    store = open_readonly(obj["db"])
    check_source(store, source)
    lines = _Lines(store, baseline)
    cursor = last_event_id(store)
    for row in _recent(store, source, count, lines) if count else []:
        _emit(row, as_json)
    try:
        while not no_follow:
            rows = events_after(store, cursor, source=source, limit=PAGE)
            for row in rows:
                line = lines.line(row)
                if line is not None:
                    _emit(line, as_json)
            if rows:
                cursor = rows[-1]["id"]
            else:
                time.sleep(TAIL_EVERY)
    except KeyboardInterrupt:
        pass
    finally:
        store.conn.close()


@click.command()
@json_option("One JSON object per source.")
@tz_option
@click.pass_obj
def status(obj: dict, as_json: bool, tz_name: str) -> None:
    """Per source: last poll, its status, next due, error streak, live entries."""
    zone = resolve_tz(tz_name)
    store = open_readonly(obj["db"])
    rows = source_status(store)
    store.conn.close()
    if as_json:
        for row in rows:  # each line whole on its own: the database it came from included
            click.echo(json_line({**row, "database": shown(obj["db"])}))
        return
    click.echo(f"database: {shown(obj['db'])}")
    if not rows:
        click.echo("no sources yet (poll a URL or run the daemon)")
        return
    status_table(rows, zone)
    for row in rows:
        if row["last_status"] in ("error", "suspicious") and row["last_error"]:
            click.echo(f"{safe_for_log(row['name'])}: {safe_for_log(row['last_error'], limit=200)}")


COMMANDS = (tail, status)
