"""What every reading command shares: opening the database without creating it, and --source.

A reading command never creates a file or a directory: a typo in ``--db`` is an error that
names the absolute path, not an empty database somewhere unexpected.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import click

from crawler.store.db import Store
from crawler.store.postgres import is_postgres_url
from crawler.store.queries import newest_entry_time, source_names
from crawler.text.terminal import safe_for_log
from scheduler.render.display import show_time


def missing_db_message(db_path: Path | str) -> str | None:
    if is_postgres_url(db_path):
        return None  # the server says what is wrong when the store connects
    path = Path(db_path).absolute()
    if not path.parent.is_dir():
        return f"no database at {path}: the directory {path.parent} does not exist (check --db)"
    if not path.exists():
        return f"no database at {path} (run or poll something first, or use --db)"
    return None


def open_readonly(db_path: Path) -> Store:
    """Readers open the daemon's database read-only: they never create, migrate or lock it."""
    problem = missing_db_message(db_path)
    if problem:
        raise click.ClickException(problem)
    return Store(db_path, readonly=True)


def check_source(store: Store, name: str | None, param_hint: str = "--source") -> None:
    """An unknown source is a usage error (exit 2) that lists the names there are.

    ``param_hint`` names what the user typed: ``--source`` or, for ``history``/``feed``, NAME.
    """
    if name is None:
        return
    known = source_names(store)
    if name in known:
        return
    listing = ", ".join(safe_for_log(n) for n in known) if known else "none yet"
    raise click.BadParameter(
        f"no source named {safe_for_log(name)!r}; known: {listing}", param_hint=param_hint
    )


def why_empty(
    store: Store, source: str | None, cutoff: str | None, search: str | None, zone: tzinfo
) -> str:
    """One sentence on why a query matched nothing, with what would have matched."""
    newest = newest_entry_time(store, source)
    where = f" from {safe_for_log(source)}" if source else ""
    if newest is None:
        return f"no entries{where} stored yet"
    if cutoff and newest < cutoff:
        return (
            f"no entries{where} since {show_time(cutoff, zone)}; "
            f"newest is {show_time(newest, zone)} (try a longer --since)"
        )
    if search:
        return f"no entries{where} match {safe_for_log(search)!r}"
    return f"no entries{where} match"
