"""``tickerwatch feed NAME [-o FILE]``: a source's developments as an Atom 1.0 feed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scheduler.cli.options import output_option
from scheduler.cli.reading import check_source, open_readonly
from scheduler.render.atom import build_feed, write_atomically


@click.command()
@click.argument("name")
@output_option("Write the feed to this file (replaced atomically) instead of stdout.")
@click.pass_obj
def feed(obj: dict, name: str, output: Path | None) -> None:
    """The newest developments of source NAME as an Atom feed, one entry per development."""
    store = open_readonly(obj["db"])
    check_source(store, name, param_hint="NAME")
    data = build_feed(store, name)
    store.conn.close()
    assert data is not None  # check_source knows the name
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomically(output, data)
        click.echo(f"wrote {output}", err=True)


COMMANDS = (feed,)
