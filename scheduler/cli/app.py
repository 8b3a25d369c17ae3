"""The ``tickerwatch`` command: a thin click layer over the poll engine and the queries."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from crawler.store.db import default_db_path
from crawler.store.postgres import is_postgres_url
from crawler.store.queries import list_entries
from crawler.text.terminal import csv_cell, safe_for_log
from scheduler.cli import archive as cli_archive
from scheduler.cli import browse as cli_browse
from scheduler.cli import daemon as cli_daemon
from scheduler.cli import digest as cli_digest
from scheduler.cli import feed as cli_feed
from scheduler.cli import history as cli_history
from scheduler.cli import inspect as cli_inspect
from scheduler.cli import reextract as cli_reextract
from scheduler.cli import sites as cli_sites
from scheduler.cli import sources as cli_sources
from scheduler.cli import transfer as cli_transfer
from scheduler.cli import watch as cli_watch
from scheduler.cli import workers as cli_workers
from scheduler.cli.guards import GuardedGroup
from scheduler.cli.options import json_option, resolve_tz, source_option, tz_option
from scheduler.cli.reading import check_source, open_readonly, why_empty
from scheduler.cli.urls import check_urls
from scheduler.cli.views import entries_table
from scheduler.config.durations import parse_duration
from scheduler.logs import setup_logging


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    type=str,
    default=None,
    help="SQLite database file, or a postgresql:// URL "
    "(default: $TICKERWATCH_DB or data/tickerwatch.db).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Development lines as text or one JSON object per line.",
)
@click.version_option(package_name="tickerwatch")
@click.pass_context
def main(ctx: click.Context, db_path: str | None, log_format: str) -> None:
    """Tickerwatch: monitor liveblogs and feeds, store every entry and every revision."""
    # Resolved once, here: every command and the daemon's log name the same absolute file.
    ctx.obj = {"db": db_location(db_path or default_db_path()), "log_format": log_format}


def db_location(value: str | Path) -> Path | str:
    """A SQLite file as an absolute path; a PostgreSQL URL as it was given."""
    return str(value) if is_postgres_url(value) else Path(value).absolute()


@main.command()
@click.argument("urls", nargs=-1, required=True, callback=check_urls)
@click.option(
    "--kind", type=click.Choice(["auto", "liveblog", "feed"]), default="auto", show_default=True
)
@click.option("--site", help="Force one site adapter (see `tickerwatch sites`).")
@click.option("--name", help="Source name for a new URL (default: host and path).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per poll.")
@click.pass_obj
def poll(
    obj: dict, urls: tuple[str, ...], kind: str, site: str | None, name: str | None, timeout: float
) -> None:
    """Poll each URL once, store the developments, print one line per development."""
    from scheduler.engine import PollEngine, make_settings
    from scheduler.reactor import run

    setup_logging(obj["log_format"], events_to_stdout=True)
    if name and len(urls) > 1:
        raise click.UsageError("--name names one source: give one URL with it")
    if not is_postgres_url(obj["db"]) and not obj["db"].exists():  # say where a new one goes
        click.echo(f"creating database {obj['db']}", err=True)

    async def poll_all() -> int:
        engine = PollEngine(make_settings(obj["db"]))
        await engine.start()
        failures = 0
        try:
            outcomes = await asyncio.gather(
                *(
                    engine.poll_async(
                        url,
                        kind=kind,
                        site=site,
                        source_name=name,
                        timeout=timeout,
                        # --kind or --site asks for this reading now, even of an unchanged page.
                        full_read=kind != "auto" or site is not None,
                    )
                    for url in urls
                ),
                return_exceptions=True,
            )
            for url, outcome in zip(urls, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    click.echo(
                        f"error: {safe_for_log(url)}: {safe_for_log(str(outcome))}", err=True
                    )
                    failures += 1
                elif outcome.status == "error":
                    failures += 1  # the report pipeline already logged source, URL and reason
                elif quiet := _nothing_new(outcome):
                    click.echo(quiet, err=True)  # stdout stays the developments' stream
        finally:
            await engine.stop()
        return failures

    failures = run(poll_all)
    sys.exit(1 if failures else 0)


def _nothing_new(item) -> str | None:
    """The line for a poll that found nothing to report, so a second ``poll`` of an unchanged
    page does not end in silence; None when the pipeline already printed lines for it."""
    recorded = item.recorded
    if recorded is None or recorded.developments or recorded.baseline:
        return None
    if item.status == "not_modified":
        why = "not modified (HTTP 304)" if item.http_status == 304 else "page unchanged"
    elif item.status == "ok":
        why = f"{len(item.entries)} entries, none new, edited or removed"
    else:
        return None  # suspicious polls have their warning
    return f"no change: {safe_for_log(recorded.source_name)}: {why}"


@main.command()
@source_option
@click.option("--since", help="Only entries newer than this, e.g. 30m, 2h, 1d.")
@click.option("--search", help="Full-text search over titles and bodies.")
@click.option("--limit", type=int, default=None, help="At most this many entries.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@json_option("The same as --format json.")
@tz_option
@click.pass_obj
def entries(
    obj: dict,
    source: str | None,
    since: str | None,
    search: str | None,
    limit: int | None,
    fmt: str,
    as_json: bool,
    tz_name: str,
) -> None:
    """What is stored, newest first."""
    fmt = "json" if as_json else fmt
    store = open_readonly(obj["db"])
    zone = resolve_tz(tz_name)
    check_source(store, source)
    cutoff = None
    if since:
        try:
            seconds = parse_duration(since)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--since") from None
        cutoff = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")
    rows = list_entries(store, source=source, since=cutoff, search=search, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    elif rows:
        entries_table(rows, zone)
    else:
        click.echo(why_empty(store, source, cutoff, search, zone), err=True)


# The daemon's commands live in their own modules; registered here so `main` stays the one group.
for _command in (
    *cli_daemon.COMMANDS,
    *cli_watch.COMMANDS,
    *cli_workers.COMMANDS,
    *cli_transfer.COMMANDS,
    *cli_sites.COMMANDS,
    *cli_inspect.COMMANDS,
    *cli_sources.COMMANDS,
    *cli_history.COMMANDS,
    *cli_feed.COMMANDS,
    *cli_digest.COMMANDS,
    *cli_browse.COMMANDS,
    *cli_archive.COMMANDS,
    *cli_reextract.COMMANDS,
):
    main.add_command(_command)


def _db_after_command(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``tickerwatch entries --db X`` means the same as ``tickerwatch --db X entries``."""
    if value is not None:
        ctx.find_root().obj["db"] = db_location(value)


# Commands that never open the database (config edits, extractor listings, the demo's own).
_NO_DB = {"check-config", "add", "remove", "sites", "inspect", "demo"}


def _accept_db_after(command: click.Command) -> None:
    command.params.append(
        click.Option(
            ["--db"],
            type=str,
            expose_value=False,
            is_eager=True,
            callback=_db_after_command,
            help="SQLite file or postgresql:// URL (the same as --db before the command).",
        )
    )
    for sub in getattr(command, "commands", {}).values():  # a group's subcommands too
        _accept_db_after(sub)


# After every registration: each command that reads or writes the database also takes --db
# after its name, and shows it in its --help.
for _name, _command in main.commands.items():
    if _name not in _NO_DB:
        _accept_db_after(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
