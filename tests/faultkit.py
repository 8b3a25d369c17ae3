"""Shared helpers for the fault suite: fixtures, database snapshots and the suite-wide tally.

Every fault case reports into :data:`TALLY`; ``tests/conftest.py`` prints one summary line at
the end of the run (``fault suite: N cases, 0 entries lost, …``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crawler.store.postgres import is_postgres_url
from tests.conftest import query, tickerwatch
from tests.faultserver import FaultServer


@dataclass
class Tally:
    cases: int = 0
    lost: int = 0
    duplicated: int = 0
    false_removals: int = 0
    canary_hits: int = 0
    kills: int = 0  # SIGKILLs survived (tests/test_faults_process.py)
    names: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"fault suite: {self.cases} cases, {self.lost} entries lost, "
            f"{self.duplicated} duplicated, {self.false_removals} false removals, "
            f"{self.canary_hits} canary hits, {self.kills} kills survived"
        )


TALLY = Tally()


def record(name: str, *, lost=0, duplicated=0, false_removals=0, canary_hits=0, kills=0) -> None:
    """Count one fault case; the assertions that follow decide whether it passed."""
    TALLY.cases += 1
    TALLY.kills += kills
    TALLY.names.append(name)
    TALLY.lost += lost
    TALLY.duplicated += duplicated
    TALLY.false_removals += false_removals
    TALLY.canary_hits += canary_hits


@pytest.fixture
def fault_env(monkeypatch):
    """The loopback test server counts as public; 127.0.0.2 stays internal (the canary)."""
    monkeypatch.setenv("TICKERWATCH_TEST_PUBLIC_HOSTS", "127.0.0.1")
    monkeypatch.delenv("TICKERWATCH_ALLOW_PRIVATE_NETWORKS", raising=False)
    monkeypatch.delenv("TICKERWATCH_STRICT_NETWORK", raising=False)


@pytest.fixture
def faults(fault_env):
    with FaultServer() as srv:
        yield srv


@pytest.fixture
def canary(fault_env):
    with FaultServer("127.0.0.2") as srv:
        srv.default.status, srv.default.body = 200, b"<html><body>internal secret</body></html>"
        yield srv


def rows(db: Path | str, sql: str, *params) -> list[tuple]:
    """The rows of one query: a SQLite file read directly, a PostgreSQL URL through the store."""
    if is_postgres_url(db):
        return query(db, sql, *params)
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def snapshot(db: Path, url: str) -> dict[str, tuple]:
    """key -> (title, body, revision, removed_at) for one source."""
    return {
        r[0]: r[1:]
        for r in rows(
            db,
            "SELECT e.key, e.title, e.body, e.revision, e.removed_at FROM entries e "
            "JOIN sources s ON s.id = e.source_id WHERE s.url = ?",
            url,
        )
    }


def compare(before: dict[str, tuple], after: dict[str, tuple]) -> dict[str, int]:
    """What a fault did to a source's entries; every count must be zero."""
    lost = sum(1 for k, v in before.items() if k not in after or after[k][:2] != v[:2])
    removed = sum(1 for k, v in after.items() if v[3] and (k not in before or not before[k][3]))
    titles = [v[0] for v in after.values() if v[0]]
    return {
        "lost": lost,
        "duplicated": len(titles) - len(set(titles)),
        "false_removals": removed,
    }


def last_poll(db: Path, url: str) -> tuple[str, str | None]:
    """(status, error) of the source's latest poll row."""
    found = rows(
        db,
        "SELECT p.status, p.error FROM polls p JOIN sources s ON s.id = p.source_id "
        "WHERE s.url = ? ORDER BY p.id DESC LIMIT 1",
        url,
    )
    return found[0] if found else ("missing", None)


def poll(db: Path, *urls: str, timeout: float | None = None, extra: tuple[str, ...] = ()):
    """`tickerwatch poll URL…` in a child process (several URLs poll concurrently)."""
    args = ["poll", *extra, *urls]
    if timeout is not None:
        args[1:1] = ["--timeout", str(timeout)]
    return tickerwatch(*args, db=db)
