"""CLI commands around the daemon: ``run``, ``check-config``, ``add``, ``remove``, ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from crawler.store.checks import check_database
from crawler.text.terminal import safe_for_log
from scheduler.cli.options import config_option, load_or_exit
from scheduler.config.model import Config, ConfigError, default_config_path
from scheduler.logs import setup_logging


def _log_format(ctx: click.Context, config: Config) -> str:
    """--log-format on the command line wins over the file's log_format."""
    parent = ctx.find_root()
    if parent.get_parameter_source("log_format") == ParameterSource.COMMANDLINE:
        return ctx.obj["log_format"]
    return config.log_format


@click.command()
@config_option
@click.option("--log-file", type=click.Path(dir_okay=False), help="Also log to this rotating file.")
@click.pass_context
def run(ctx: click.Context, config_path: Path | None, log_file: str | None) -> None:
    """Poll every configured source on its schedule until SIGTERM or Ctrl-C."""
    from scheduler.daemon.lock import AlreadyRunning, DaemonLock
    from scheduler.daemon.service import Daemon
    from scheduler.reactor import run as run_reactor

    config = load_or_exit(config_path or default_config_path())
    fmt = _log_format(ctx, config)
    setup_logging(fmt, log_file=log_file or config.log_file)
    # Before the lock file is made: a file that is not SQLite or sits on a read-only mount is
    # one line and exit 2 (GuardedGroup, scheduler/cli/guards.py), and no .lock is left behind.
    check_database(ctx.obj["db"])
    lock = DaemonLock(ctx.obj["db"])
    try:
        lock.acquire()
    except AlreadyRunning as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        click.echo(f"error: {lock.path}: {safe_for_log(str(error))}", err=True)
        sys.exit(2)

    def relog(new: Config) -> None:
        if (_log_format(ctx, new), new.log_file) != (fmt, config.log_file):
            setup_logging(_log_format(ctx, new), log_file=log_file or new.log_file)

    try:
        code = run_reactor(lambda: Daemon(config, ctx.obj["db"], on_reload=relog).run())
    finally:
        lock.release()
    sys.exit(code)


@click.command("check-config")
@config_option
def check_config(config_path: Path | None) -> None:
    """Validate the sources file and exit: 0 if it is fine, 2 with every problem otherwise."""
    path = config_path or default_config_path()
    config = load_or_exit(path)
    click.echo(f"{path}: ok, {len(config.sources)} sources")
    for source in config.sources:
        notify = f", notify {len(source.notify)}" if source.notify else ""
        click.echo(
            f"  {safe_for_log(source.name)}: {safe_for_log(source.url)} "
            f"({source.kind}, {_pacing(source)}{notify})"
        )


def _pacing(source) -> str:
    """Intervals as ``status`` shows them (``30 s``, ``30 min``), not raw seconds."""
    from scheduler.timing.adaptive import span

    if source.adaptive:
        return f"adaptive, {span(source.min_every)} to {span(source.max_every)}"
    return f"every {span(source.every)}"


@click.command()
@click.argument("url")
@click.option("--name", help="Source name (default: host and path of the URL).")
@click.option("--every", help="Poll interval, e.g. 60s, 5m (default: the file's default).")
@click.option("--kind", type=click.Choice(["auto", "liveblog", "feed"]), default="auto")
@config_option
def add(url: str, name: str | None, every: str | None, kind: str, config_path: Path | None) -> None:
    """Add a source to the sources file (comments are kept; a running daemon picks it up)."""
    from scheduler.config.edit import add_source

    path = config_path or default_config_path()
    try:
        _config, name = add_source(path, url, name=name, every=every, kind=kind)
    except ConfigError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{path} was not changed", err=True)
        sys.exit(2)
    click.echo(f"added {safe_for_log(name)} to {path}")


@click.command()
@click.argument("name")
@config_option
def remove(name: str, config_path: Path | None) -> None:
    """Remove a source from the sources file (its stored entries stay in the database)."""
    from scheduler.config.edit import remove_source

    path = config_path or default_config_path()
    load_or_exit(path)
    try:
        remove_source(path, name)
    except KeyError:
        raise click.ClickException(f"no source named {safe_for_log(name)!r} in {path}") from None
    click.echo(f"removed {safe_for_log(name)} from {path}")


@click.command()
@click.option("--every", default=3.0, show_default=True, help="Seconds between demo polls.")
@click.option("--keep/--no-keep", default=True, show_default=True, help="Keep the demo database.")
@click.pass_obj
def demo(obj: dict, every: float, keep: bool) -> None:
    """Offline demo: a local liveblog that grows every few seconds, watched by the daemon."""
    from scheduler.demo import run_demo

    sys.exit(run_demo(log_format=obj["log_format"], every=every, keep=keep))


COMMANDS = (run, check_config, add, remove, demo)
