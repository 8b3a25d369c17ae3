"""``tickerwatch archive show|prune|stats``: the raw pages kept by crawler/store/archive.py."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from crawler.store.archive import archive_stats, page_at, prune, source_id_named
from crawler.store.db import Store
from crawler.text.terminal import safe_for_log
from scheduler.cli.options import json_option, output_option
from scheduler.cli.reading import missing_db_message
from scheduler.config.durations import parse_duration
from scheduler.config.model import DEFAULT_ARCHIVE_DAYS, ConfigError
from scheduler.config.reading import load_config


def parse_when(text: str, option: str) -> str:
    """An ISO time (naive means UTC) or a duration ago (``2h``), as a stored UTC time."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            when = datetime.now(UTC) - timedelta(seconds=parse_duration(text))
        except ValueError:
            raise click.BadParameter(
                f"{text!r}: give an ISO time (2024-05-25T18:00) or a duration ago (2h)",
                param_hint=option,
            ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def open_db(db_path: Path) -> Store:
    """Like the reading commands' (never creates a database), but writable: prune, reextract."""
    problem = missing_db_message(db_path)
    if problem:
        raise click.ClickException(problem)
    return Store(db_path)


def named_source(store: Store, name: str) -> int:
    source_id = source_id_named(store, name)
    if source_id is None:
        raise click.ClickException(f"no source named {safe_for_log(name)!r} in the database")
    return source_id


@click.group()
def archive() -> None:
    """The archive of raw pages: every body that changed, compressed in the database."""


@archive.command()
@click.argument("name")
@click.option(
    "--at", "at", help="The page as it was at this time (ISO, or 2h ago); default newest."
)
@output_option()
@click.pass_obj
def show(obj: dict, name: str, at: str | None, output: Path | None) -> None:
    """Write the page of source NAME as it was, byte for byte."""
    store = open_db(obj["db"])
    try:
        page = page_at(
            store.conn, named_source(store, name), parse_when(at, "--at") if at else None
        )
    finally:
        store.close()
    if page is None:
        raise click.ClickException(f"no archived page of {safe_for_log(name)!r} at that time")
    click.echo(f"{page.fetched_at} {safe_for_log(page.url or '')} {len(page.body)} bytes", err=True)
    if output is not None:
        output.write_bytes(page.body)
    else:
        sys.stdout.buffer.write(page.body)
        sys.stdout.buffer.flush()


@archive.command("prune")
@click.option("--days", type=float, help="Keep this many days (default: archive_days, else 30).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read archive_days from this sources file.",
)
@click.pass_obj
def prune_command(obj: dict, days: float | None, config_path: Path | None) -> None:
    """Delete archived pages older than the retention; polls keep their rows."""
    if days is None:
        days = DEFAULT_ARCHIVE_DAYS
        if config_path is not None:
            try:
                days = load_config(config_path).archive_days
            except ConfigError as error:
                raise click.ClickException(str(error)) from None
    if days < 0:
        raise click.BadParameter("not negative", param_hint="--days")
    cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    store = open_db(obj["db"])
    try:
        result = prune(store, cutoff)
    finally:
        store.close()
    click.echo(
        f"pruned {result.deleted} pages fetched before {cutoff} ({result.bytes_freed} bytes); "
        f"{result.rekeyed} kept pages now stored whole"
    )


@archive.command()
@json_option("One JSON object per source.")
@click.pass_obj
def stats(obj: dict, as_json: bool) -> None:
    """Per source: pages kept, bytes stored, and bytes per poll since the oldest page."""
    store = open_db(obj["db"])
    try:
        rows = archive_stats(store)
    finally:
        store.close()
    for row in rows:
        row["bytes_per_poll"] = round(row["stored_bytes"] / max(row["polls"], 1))
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=True))
        else:
            click.echo(
                f"{safe_for_log(row['name'], limit=40)}: {row['pages']} pages, "
                f"{row['stored_bytes']} bytes stored of {row['page_bytes']}, "
                f"{row['polls']} polls, {row['bytes_per_poll']} bytes per poll"
            )


COMMANDS = (archive,)
