"""CLI commands that watch a database another process writes: ``tail`` and ``status``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from crawler.reporting import development_line
from crawler.store.db import Store
from crawler.store.queries import events_after, last_event_id, source_status
from crawler.text.terminal import safe_for_log

TAIL_EVERY = 0.5  # seconds between looks at the database


def open_readonly(db_path: Path) -> Store:
    """Readers never create or migrate the database the daemon owns."""
    if not Path(db_path).exists():
        raise click.ClickException(
            f"no database at {db_path} (run or poll something first, or use --db)"
        )
    return Store(db_path, readonly=True)


def _emit(row: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=True))
    else:
        click.echo(development_line(row["source"], row))


@click.command()
@click.option("--source", help="Only this source (by name).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("-n", "--lines", type=int, default=10, show_default=True, help="Recent ones first.")
@click.option("--no-follow", is_flag=True, help="Print the recent ones and exit.")
@click.option("--baseline", is_flag=True, help="Include the entries of each source's first poll.")
@click.pass_obj
def tail(
    obj: dict, source: str | None, as_json: bool, lines: int, no_follow: bool, baseline: bool
) -> None:
    """Follow new developments as the daemon commits them, like ``tail -f``.

    Like the daemon's log, the entries a source already had when it was first polled are left
    out (the daemon logs one BASELINE line for them); ``--baseline`` shows them too.
    """
    store = open_readonly(obj["db"])
    cursor = last_event_id(store)
    if lines > 0:
        recent = events_after(store, 0, source=source, limit=lines, newest=True)
        for row in recent:
            if baseline or not row["baseline"]:
                _emit(row, as_json)
    try:
        while not no_follow:
            rows = events_after(store, cursor, source=source)
            for row in rows:
                if baseline or not row["baseline"]:
                    _emit(row, as_json)
            if rows:
                cursor = rows[-1]["id"]
            else:
                time.sleep(TAIL_EVERY)
    except KeyboardInterrupt:
        pass
    finally:
        store.conn.close()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_obj
def status(obj: dict, as_json: bool) -> None:
    """Per source: last poll, its status, next due, error streak, live entries."""
    store = open_readonly(obj["db"])
    rows = source_status(store)
    store.conn.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=True))
        return
    header = ("SOURCE", "LAST POLL", "STATUS", "NEXT DUE", "ERRORS", "LIVE")
    table = [header] + [
        (
            safe_for_log(row["name"], limit=40),
            (row["last_poll"] or "never")[:19],
            row["last_status"] or "-",
            (row["next_due"] or "-")[:19],
            str(row["error_streak"]),
            str(row["live_entries"]),
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for row in table:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    for row in rows:
        if row["last_status"] in ("error", "suspicious") and row["last_error"]:
            click.echo(f"{safe_for_log(row['name'])}: {safe_for_log(row['last_error'], limit=200)}")


COMMANDS = (tail, status)
