"""What the CLI catches around any command: a database it cannot use.

A file that is not SQLite, a database on a read-only mount or a full-text query SQLite cannot
parse is one line naming the file (or ``--search``) and the reason, exit 2, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from crawler.store.checks import read_only_mount
from crawler.store.postgres import shown
from crawler.text.terminal import safe_for_log

USAGE_ERROR = 2


def database_problem(db_path: Path | str, error: BaseException) -> str:
    """One line for a database that cannot be used: the file and what is wrong with it."""
    # PostgreSQL's message goes on with the statement and a caret ("LINE 10: FROM sources s"):
    # its first line is the reason, as SQLite's one line is.
    reason = str(error).split("\n", 1)[0].strip() or error.__class__.__name__
    if "fts5" in reason:
        return f"error: --search: not a valid full-text query ({reason})"
    if isinstance(error, sqlite3.DatabaseError) and "not a database" in reason:
        reason = "not an SQLite database (file is not a database)"
    elif "readonly" in reason or read_only_mount(Path(db_path)):
        reason = f"read-only file system or file ({reason})"
    return f"error: {safe_for_log(str(db_path))}: {safe_for_log(reason)}"


def _database_error(error: BaseException) -> bool:
    """SQLite's errors, or psycopg's when a PostgreSQL database is in use (not imported here:
    a SQLite user's command does not pay for loading it)."""
    psycopg = sys.modules.get("psycopg")
    return isinstance(error, sqlite3.Error) or (
        psycopg is not None and isinstance(error, psycopg.Error)
    )


class GuardedGroup(click.Group):
    """The ``tickerwatch`` group: a database error in any command ends in one line, exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            if not _database_error(error):
                raise
            db = shown((ctx.obj or {}).get("db", "?"))
            click.echo(database_problem(db, error), err=True)
            sys.exit(USAGE_ERROR)
