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


@pytest.fixture
def store(db_path):
    """A real Store on a fresh SQLite file, closed after the test."""
    from crawler.store.db import Store

    s = Store(db_path)
    yield s
    s.close()


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


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request, db_path):
    """A real Store on a fresh SQLite file, then on a fresh PostgreSQL database."""
    from crawler.store.db import Store

    location = request.getfixturevalue("pg_url") if request.param == "postgres" else db_path
    s = Store(location)
    yield s
    s.close()


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for this test, dropped after it (tests/pg.py)."""
    from tests.pg import fresh_database

    yield from fresh_database()
