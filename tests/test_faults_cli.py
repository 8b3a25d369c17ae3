"""Command-line faults: a mistyped URL, a file that is not a database, a read-only mount and a
broken full-text query each end in one line naming what is wrong and exit 2, at once."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, tickerwatch
from tests.faultkit import fault_env, faults, record

pytestmark = pytest.mark.faults
__all__ = ["fault_env", "faults"]

BAD_URLS = ["not a url", "http//x", "http://[::1", "ftp://example.org/feed"]
READERS = [("entries",), ("status",), ("tail", "--no-follow"), ("entries", "--search", "x")]


def one_error_line(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, exactly one line on stderr, no traceback, and it names every needle."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def usage_error(result: subprocess.CompletedProcess, url: str) -> None:
    """A bad URL is a usage error: exit 2, the URL named, no traceback, nothing fetched."""
    out = result.stdout + result.stderr
    assert result.returncode == 2, (result.returncode, out[-2000:])
    assert url in result.stderr and "Traceback" not in out and "Unhandled error" not in out


@pytest.mark.parametrize("command", ["poll", "inspect"])
@pytest.mark.parametrize("url", BAD_URLS)
def test_a_mistyped_url_exits_2_at_once(db_path, command, url):
    # Before the fix `poll` waited forever after the error line: the 60 s timeout catches it.
    usage_error(tickerwatch(command, url, db=db_path, timeout=60), url)
    assert not db_path.exists()  # refused before the engine (and the database) started
    record(f"cli: {command} {url!r}")


def test_a_good_and_a_bad_url_polls_neither(faults, db_path):
    good = faults.route("/live", "<html><body>x</body></html>")
    usage_error(tickerwatch("poll", good, "http://[::1", db=db_path, timeout=60), "http://[::1")
    assert faults.hits() == 0 and not db_path.exists()
    record("cli: poll good + bad URL")


@contextlib.contextmanager
def read_only_mount(where: Path):
    """A real tmpfs holding a database, remounted read-only."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0 and os.geteuid() != 0:
        pytest.skip(f"mounting a tmpfs needs root: {mounted.stderr.decode().strip()}")
    assert mounted.returncode == 0, mounted.stderr.decode()  # root, and still no mount: a failure
    try:
        assert tickerwatch("poll", "http://127.0.0.1:9/x", db=where / "tw.db").returncode == 1
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        yield where / "tw.db"
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def check_unusable(db: Path, reason: str, config: Path) -> None:
    for args in READERS:
        one_error_line(tickerwatch(*args, db=db, timeout=60), str(db), reason)
    result = tickerwatch("run", "--config", str(config), db=db, timeout=60)
    one_error_line(result, str(db), reason)
    assert not db.with_name(db.name + ".lock").exists()  # no stale lock file left behind


def test_a_file_that_is_not_sqlite_is_one_line_and_no_lock(tmp_path):
    db, config = tmp_path / "notes.db", tmp_path / "sources.toml"
    db.write_text("shopping list: milk, eggs\n" * 20)
    config.write_text('[[source]]\nurl = "http://127.0.0.1:9/x"\n')
    check_unusable(db, "not an SQLite database", config)
    assert db.read_text().startswith("shopping list")
    record("cli: database file is not SQLite")


def test_a_database_on_a_read_only_mount_is_one_line_and_no_lock(tmp_path):
    config = tmp_path / "sources.toml"
    config.write_text('[[source]]\nurl = "http://127.0.0.1:9/x"\n')
    with read_only_mount(tmp_path / "ro") as db:
        check_unusable(db, "read-only", config)
    record("cli: database on a read-only mount")


@pytest.mark.parametrize("query", ['"', '""'])
def test_a_broken_full_text_query_is_one_line(db_path, query):
    assert tickerwatch("poll", "http://127.0.0.1:9/x", db=db_path).returncode == 1
    one_error_line(tickerwatch("entries", "--search", query, db=db_path), "--search")
    record(f"cli: entries --search {query!r}")


def test_skips_print_their_reason_and_ci_requires_the_shared_pages(tmp_path):
    """A checkout without ../shared beside it: locally the tests that read real pages skip,
    each with its reason on the summary (``-rs``); on CI (``CI=1``, .ci/run) the run fails."""
    checkout = tmp_path / "checkout"
    (checkout / "tests").mkdir(parents=True)
    for name in ("__init__.py", "conftest.py", "loopback.py", "faultkit.py", "faultserver.py"):
        (checkout / "tests" / name).write_bytes((REPO / "tests" / name).read_bytes())
    (checkout / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())
    (checkout / "tests" / "test_one.py").write_text(
        "from tests.conftest import needs_real\n\n\n@needs_real\ndef test_real():\n    pass\n\n\n"
        "def test_plain():\n    pass\n"
    )
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_one.py"]
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    local = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
    assert local.returncode == 0, local.stdout[-2000:]
    assert "SKIPPED" in local.stdout and "is not beside this checkout" in local.stdout
    ci = subprocess.run(
        command, cwd=checkout, env=dict(env, CI="1"), capture_output=True, text=True
    )
    assert ci.returncode != 0 and "CI: " in ci.stderr + ci.stdout, ci.stdout[-2000:]
    run = (REPO / ".ci" / "run").read_text()
    assert "rm -rf .venv" in run and "CI=1 python -m pytest" in run  # fresh venv; shared needed
    record("ci: skip reasons shown, ../shared required on CI")
