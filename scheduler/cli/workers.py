"""``init`` and ``worker``: the PostgreSQL deployment of several workers (scheduler/workers/)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from crawler.store.db import Store
from crawler.store.postgres import is_postgres_url, shown
from scheduler.cli.options import config_option, load_or_exit
from scheduler.config.model import default_config_path
from scheduler.logs import setup_logging


def _postgres(obj: dict) -> str:
    if not is_postgres_url(obj["db"]):
        raise click.UsageError("workers need PostgreSQL: --db postgresql://HOST/DB")
    return obj["db"]


@click.command()
@click.pass_obj
def init(obj: dict) -> None:
    """Create Tickerwatch's and Procrastinate's tables in a PostgreSQL database."""
    from scheduler.workers.app import init_schema

    url = _postgres(obj)
    Store(url).close()
    created = asyncio.run(init_schema(url))
    click.echo(f"{'initialised' if created else 'already initialised'}: {shown(url)}")


@click.command()
@config_option
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=16, show_default=True,
    help="Bucket jobs this worker runs at once (each polls its due sources together).",
)  # fmt: skip
@click.option(
    "--tick", "tick_seconds", type=int, default=60, show_default=True,
    help="Seconds per tick (divides 60); sources are polled on whole ticks.",
)  # fmt: skip
@click.pass_obj
def worker(obj: dict, config_path: Path | None, concurrency: int, tick_seconds: int) -> None:
    """Poll the configured sources with the other workers of this database until SIGTERM."""
    from scheduler.reactor import run
    from scheduler.timing.ticks import check_tick
    from scheduler.workers.run import run_worker

    url = _postgres(obj)
    try:
        check_tick(tick_seconds)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    path = config_path or default_config_path()
    load_or_exit(path)  # a broken file is one line per problem and exit 2, before anything runs
    setup_logging(obj["log_format"])
    code = run(lambda: run_worker(url, path, concurrency=concurrency, tick_seconds=tick_seconds))
    sys.exit(code)


COMMANDS = (init, worker)
