"""``import-sqlite`` and ``export-sqlite``: a SQLite database into PostgreSQL and back, every
row of every contract table identical, ids included; real processes, a fresh database."""

from __future__ import annotations

import json
import sqlite3
import stat

from crawler.items import EntryItem, PollItem
from crawler.store.db import Store
from crawler.store.postgres.schema import TABLES
from crawler.store.recording import record_poll
from tests.conftest import tickerwatch

URL = "http://127.0.0.1:1/live.html"


def _poll(*texts: str) -> PollItem:
    entries = [
        EntryItem(key=f"k{n}", title=f"T{n}", body=text, content_hash=text, raw_hash=text)
        for n, text in enumerate(texts)
    ]
    return PollItem(source_url=URL, kind="liveblog", entries=entries, strategy="t", body_hash="x")


def _rows(store: Store) -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        columns = [row[1] for row in store.conn.execute(f"PRAGMA table_info({table})")]
        names = ", ".join(sorted(columns))
        rows = store.conn.execute(f"SELECT {names} FROM {table}").fetchall()
        out[table] = sorted(
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows
        )
    return out


def test_import_then_export_keeps_every_row(tmp_path, pg_url):
    original = tmp_path / "original.db"
    store = Store(original)
    record_poll(store, _poll("Waffenruhe verkündet", "zweiter Eintrag"))
    record_poll(store, _poll("Waffenruhe verkündet, bestätigt", "zweiter Eintrag", "dritter"))
    expected = _rows(store)
    store.close()

    imported = tickerwatch("--db", pg_url, "import-sqlite", str(original))
    assert imported.returncode == 0, imported.stderr[-2000:]
    postgres = Store(pg_url)
    assert _rows(postgres) == expected
    # New rows go on after the copied ids.
    recorded = record_poll(postgres, _poll("Waffenruhe verkündet, bestätigt", "zweiter", "dritter"))
    assert [d.event for d in recorded.developments] == ["changed"]
    after_import = _rows(postgres)
    postgres.close()
    again = tickerwatch("--db", pg_url, "import-sqlite", str(original))
    assert again.returncode == 1 and "already holds sources" in again.stderr

    snapshot = tmp_path / "snapshot.db"
    exported = tickerwatch("--db", pg_url, "export-sqlite", str(snapshot))
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert not snapshot.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    copy = Store(snapshot, readonly=True)
    assert _rows(copy) == after_import
    copy.close()
    found = tickerwatch("--db", str(snapshot), "entries", "--search", "bestätigt", "--json")
    assert [e["key"] for e in json.loads(found.stdout)] == ["k0"], found.stderr
    conn = sqlite3.connect(snapshot)
    assert conn.execute("PRAGMA user_version").fetchone()[0] > 0
    conn.close()
