"""Shared fixtures: the loopback server, the real pages from ../shared, and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "fixtures" / "real"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def real_manifest() -> dict:
    if not REAL.is_dir():
        return {"liveblogs": [], "non_liveblogs": [], "feeds": []}
    return json.loads((REAL / "manifest.json").read_text())


needs_real = pytest.mark.skipif(
    not REAL.is_dir(), reason="../shared/fixtures/real is not beside this checkout"
)


def pytest_sessionstart(session) -> None:
    """On CI (``CI=1``, set by .ci/run) the real pages are required: a missing ../shared is a
    failed run, not a run that quietly skips every test that reads a real page."""
    if os.environ.get("CI") and not REAL.is_dir():
        raise pytest.UsageError(f"CI: {REAL} is required (the shared real pages) but absent")


@pytest.fixture
def server():
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "tw.db"


BACKENDS = ("sqlite", "postgres")


def pytest_generate_tests(metafunc) -> None:
    """Every test that takes ``store`` (or ``store_location``) runs once per backend: on a
    fresh SQLite file, then on a fresh PostgreSQL database (issue 15: the same storage tests
    for both). ``@pytest.mark.sqlite_only("why")`` keeps a test to SQLite, its reason given."""
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        assert only is None or only.args, f"{metafunc.definition.name}: sqlite_only(reason)"
        metafunc.parametrize("backend", BACKENDS[:1] if only else BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """``sqlite`` or ``postgres``: set per test by pytest_generate_tests."""
    return request.param


@pytest.fixture
def store_location(request, backend, db_path) -> Path | str:
    """Where this test's database lives: a fresh SQLite file or a fresh PostgreSQL database's
    URL (what ``--db`` takes, and ``Store``)."""
    return request.getfixturevalue("pg_url") if backend == "postgres" else db_path


@pytest.fixture
def store(store_location):
    """A real Store on each backend in turn (pytest_generate_tests), closed after the test."""
    from crawler.store.db import Store

    s = Store(store_location)
    yield s
    s.close()


def query(location: Path | str, sql: str, *params) -> list[tuple]:
    """A test's look into a database on either backend, as the store reads it (no migration)."""
    from crawler.store.db import Store

    store = Store(location, readonly=True)
    try:
        return [tuple(row) for row in store.conn.execute(sql, params).fetchall()]
    finally:
        store.close()


def tickerwatch(
    *args: str, db: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run the real CLI in a child process, as a user would."""
    command = [sys.executable, "-m", "scheduler.cli.app"]
    if db is not None:
        command += ["--db", str(db)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        command + list(args), capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env
    )


def wait_until(condition, timeout: float = 60.0) -> None:
    """Wait for an event (a row, a request) with a generous deadline, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def pytest_terminal_summary(terminalreporter) -> None:
    """One line for the fault suite (tests/faultkit.py counts what each fault case did)."""
    from tests.faultkit import TALLY

    if TALLY.cases:
        terminalreporter.write_line(TALLY.line())


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for this test, dropped after it (tests/pg.py)."""
    from tests.pg import fresh_database

    yield from fresh_database()
