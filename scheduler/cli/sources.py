"""``sources`` lists every source the database holds; ``forget`` deletes one the config dropped.

``remove`` takes a source out of the sources file and keeps what was stored; a one-off
``poll`` of a typo stays a source too. ``forget`` is the way to drop such a source for good.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from crawler.store.db import Store
from crawler.store.postgres import shown
from crawler.store.queries import source_status
from crawler.store.sources import forget_source
from crawler.text.terminal import json_line, safe_for_log
from scheduler.cli.options import config_option, json_option, load_or_exit, resolve_tz, tz_option
from scheduler.cli.reading import missing_db_message, open_readonly
from scheduler.cli.views import sources_table
from scheduler.config.model import Config, default_config_path


def _config(path: Path | None) -> Config | None:
    """The sources file, or None when there is none (then nothing is configured)."""
    path = path or default_config_path()
    return load_or_exit(path) if path.exists() else None


def in_config(row: dict, config: Config | None) -> str:
    """``yes``, ``series NAME`` (a member or the hub of a configured series) or ``no``."""
    if config is None:
        return "no"
    if any(row["url"] == s.url or row["name"] == s.name for s in config.sources):
        return "yes"
    series = {s.name for s in config.sources if s.kind == "series"}
    if row["series"] in series:
        return f"series {row['series']}"
    if row["name"].endswith(" (hub)") and row["name"][: -len(" (hub)")] in series:
        return f"series {row['name'][: -len(' (hub)')]}"
    return "no"


@click.command()
@config_option
@json_option("One JSON object per source.")
@tz_option
@click.pass_obj
def sources(obj: dict, config_path: Path | None, as_json: bool, tz_name: str) -> None:
    """Every source in the database: name, URL, kind, in the config or not, live entries, last poll."""
    zone = resolve_tz(tz_name)
    config = _config(config_path)
    store = open_readonly(obj["db"])
    rows = source_status(store)
    store.conn.close()
    for row in rows:
        row["in_config"] = in_config(row, config)
    if as_json:
        for row in rows:
            click.echo(json_line(row))
    elif rows:
        sources_table(rows, zone)
    else:
        click.echo("no sources yet (poll a URL or run the daemon)", err=True)


@click.command()
@click.argument("name")
@config_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def forget(obj: dict, name: str, config_path: Path | None, yes: bool) -> None:
    """Delete a source that is not in the config, with its entries, revisions, polls and events."""
    problem = missing_db_message(obj["db"])
    if problem:
        raise click.ClickException(problem)
    config = _config(config_path)
    store = Store(obj["db"])
    try:
        row = next((r for r in source_status(store) if r["name"] == name), None)
        if row is None:
            raise click.ClickException(
                f"no source named {safe_for_log(name)!r} in {shown(obj['db'])}"
            )
        configured = in_config(row, config)
        if configured != "no":
            assert config is not None
            entry = next((s for s in config.sources if row["url"] == s.url or name == s.name), None)
            # The hint is a command to paste: with the same file this one was given.
            where = f" --config {shlex.quote(str(config_path))}" if config_path else ""
            hint = (
                f"remove it first: tickerwatch remove {safe_for_log(entry.name)}{where}"
                if entry is not None
                else f"it belongs to the {configured}; remove the series first"
            )
            raise click.ClickException(f"{safe_for_log(name)} is in {config.path}: {hint}")
        what = (
            f"{safe_for_log(name)} ({safe_for_log(row['url'])}, {row['live_entries']} live entries)"
        )
        if not yes and not click.confirm(f"forget {what} and everything stored about it?"):
            raise click.ClickException("nothing was deleted")
        counts = forget_source(store, name)
    finally:
        store.close()
    click.echo(
        f"forgot {safe_for_log(name)}: {counts['entries']} entries, {counts['revisions']} "
        f"revisions, {counts['polls']} polls, {counts['events']} events"
    )


COMMANDS = (sources, forget)
