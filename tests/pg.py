"""A fresh PostgreSQL database per test, on the server the machine provides (127.0.0.1:5432).

Tests that need PostgreSQL take the ``pg_url`` fixture (conftest.py): it creates
``tickerwatch_test_<random>``, yields its URL and drops it afterwards. Without a reachable
server the test skips, unless ``TICKERWATCH_REQUIRE_PG`` is set (``.ci/run`` sets it): then
it fails, so CI cannot pass with the PostgreSQL tests silently skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

SERVER = os.environ.get("TICKERWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _admin():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)


def unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None."""
    try:
        import procrastinate  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as error:
        return f"the postgres extra is not installed ({error})"
    try:
        _admin().close()
    except Exception as error:  # noqa: BLE001 - any reason is a reason to skip
        return f"no PostgreSQL server at {SERVER}: {error}"
    return None


def skip_or_fail(reason: str) -> None:
    if os.environ.get("TICKERWATCH_REQUIRE_PG"):
        pytest.fail(f"PostgreSQL required (TICKERWATCH_REQUIRE_PG): {reason}")
    pytest.skip(reason)


def fresh_database() -> Iterator[str]:
    reason = unavailable()
    if reason:
        skip_or_fail(reason)
    name = f"tickerwatch_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
