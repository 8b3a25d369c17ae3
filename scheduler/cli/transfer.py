"""``export-sqlite`` and ``import-sqlite``: a PostgreSQL database to and from a SQLite file."""

from __future__ import annotations

import os
from pathlib import Path

import click

from crawler.store.db import Store
from crawler.store.postgres import is_postgres_url, shown
from crawler.store.transfer import copy_database


def _postgres(obj: dict) -> str:
    if not is_postgres_url(obj["db"]):
        raise click.UsageError("--db must name the PostgreSQL database (postgresql://…)")
    return obj["db"]


@click.command("export-sqlite")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def export_sqlite(obj: dict, path: Path) -> None:
    """Write a read-only SQLite snapshot of the PostgreSQL database (for datasette)."""
    url = _postgres(obj)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    source, target = Store(url, readonly=True), Store(partial)
    try:
        counts = copy_database(source, target)
    finally:
        source.close()
        target.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.chmod(0o444)
    os.replace(partial, path)  # readers see the old snapshot or the new one, never half
    click.echo(f"{path}: {', '.join(f'{n} {t}' for t, n in counts.items())}")


@click.command("import-sqlite")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_obj
def import_sqlite(obj: dict, path: Path) -> None:
    """Copy a SQLite database into the (empty) PostgreSQL database."""
    url = _postgres(obj)
    Store(path).close()  # migrate the file to this version's schema first
    source, target = Store(path, readonly=True), Store(url)
    try:
        counts = copy_database(source, target)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    finally:
        source.close()
        target.close()
    click.echo(f"{shown(url)}: {', '.join(f'{n} {t}' for t, n in counts.items())}")


COMMANDS = (export_sqlite, import_sqlite)
