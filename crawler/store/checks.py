"""The database file checked without writing to it: before ``run`` takes its lock, and for
the CLI's one-line message about a database it cannot use."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def check_database(db_path: Path | str) -> None:
    """Before ``run`` takes its lock: the file must be SQLite and writable. Raises sqlite3.Error
    (GuardedGroup turns it into one line) without writing anything, so a running daemon's
    database is not touched and a refused start leaves no lock file behind."""
    path = Path(db_path)
    if path.exists():
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA schema_version").fetchone()  # "file is not a database"
        finally:
            conn.close()
    where = path if path.exists() else path.parent
    if where.exists() and (read_only_mount(path) or not os.access(where, os.W_OK)):
        raise sqlite3.OperationalError("attempt to write a readonly database")


def read_only_mount(path: Path) -> bool:
    """Whether the file system holding ``path`` is mounted read-only."""
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False
