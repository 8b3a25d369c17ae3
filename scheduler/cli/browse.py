"""``tickerwatch browse``: the database in datasette, on 127.0.0.1, read-only.

Datasette opens the file with ``mode=ro``: it sees every commit of a running daemon and never
takes a write lock. (Its immutable mode would not: SQLite then ignores the WAL, where the
daemon's latest commits are.) Needs ``pip install 'tickerwatch[datasette]'``.
"""

from __future__ import annotations

import asyncio
import json

import click

from crawler.store.browse import datasette_metadata
from scheduler.cli.reading import missing_db_message


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option(
    "--metadata-json",
    is_flag=True,
    help="Print the datasette metadata and exit (for `datasette -m`).",
)
@click.pass_obj
def browse(obj: dict, port: int, metadata_json: bool) -> None:
    """Explore the database in datasette at http://127.0.0.1:PORT/ (read-only)."""
    path = obj["db"]
    metadata = datasette_metadata(path.stem)
    if metadata_json:
        click.echo(json.dumps(metadata, ensure_ascii=False, indent=2))
        return
    problem = missing_db_message(path)
    if problem:
        raise click.ClickException(problem)
    try:
        import uvicorn
        from datasette.app import Datasette
    except ImportError:
        raise click.ClickException(
            "datasette is not installed: pip install 'tickerwatch[datasette]'"
        ) from None
    ds = Datasette([str(path)], metadata=metadata, settings={"default_page_size": 50})
    asyncio.run(ds.invoke_startup())
    click.echo(f"serving {path} read-only at http://127.0.0.1:{port}/ (Ctrl-C ends it)", err=True)
    uvicorn.run(ds.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="on")


COMMANDS = (browse,)
