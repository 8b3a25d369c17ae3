"""``tickerwatch digest``: what happened in the last hours, per source, as Markdown or HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from crawler.store.queries import developments
from scheduler.cli.options import resolve_tz, source_option, tz_option
from scheduler.cli.reading import check_source, open_readonly
from scheduler.config.durations import parse_duration
from scheduler.render.digest import collect, html_digest, markdown
from scheduler.render.display import show_time


@click.command()
@source_option
@click.option("--since", default="24h", show_default=True, help="The window, e.g. 2h, 1d.")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@tz_option
@click.pass_obj
def digest(obj: dict, source: str | None, since: str, fmt: str, tz_name: str) -> None:
    """Per source, newest first: each entry that was new, edited or removed in the window once."""
    zone = resolve_tz(tz_name)
    try:
        seconds = parse_duration(since)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now - timedelta(seconds=seconds)).isoformat()
    store = open_readonly(obj["db"])
    check_source(store, source)
    digests = collect(developments(store, source=source, since=start))
    store.conn.close()
    heading = f"Tickerwatch: {show_time(start, zone)} to {show_time(now.isoformat(), zone)}"
    if not digests:
        click.echo(f"no developments since {show_time(start, zone)}", err=True)
        return
    click.echo(
        markdown(digests, heading, zone) if fmt == "md" else html_digest(digests, heading, zone),
        nl=False,
    )


COMMANDS = (digest,)
