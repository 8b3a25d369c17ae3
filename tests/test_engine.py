"""The poll engine in a child process (Twisted's reactor runs once per process): one crawler,
many polls, the conditional GET from the stored state, the database closed when it stops; on a
SQLite file and on a PostgreSQL database (conftest.py's ``store_location``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO
from tests.pages import jsonld_liveblog

DRIVER = """
import json, sys
from scheduler.engine import PollEngine, make_settings
from scheduler.reactor import run

async def main():
    engine = PollEngine(make_settings(sys.argv[1]))
    await engine.start()
    polls = []
    try:
        for url in sys.argv[2:]:
            item = await engine.poll_async(url, kind="liveblog")
            polls.append([item.status, item.http_status, len(item.entries), len(item.developments)])
        store = engine.store
    finally:
        await engine.stop()
    try:
        store.conn.execute("SELECT 1")
        closed = False
    except Exception:
        closed = True
    return {"polls": polls, "closed": closed, "crawler": engine.crawler is not None}

print(json.dumps(run(main)))
"""


def _drive(db_path, *urls: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(db_path), *urls],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_one_engine_polls_many_times_and_closes_the_database(server, store_location):
    page = jsonld_liveblog([{"id": str(n), "headline": f"M {n}", "body": f"T {n}"} for n in (2, 1)])
    etagged = server.set("/etag.html", page, conditional=True)
    plain = server.set("/plain.html", page)
    result = _drive(store_location, etagged, etagged, plain, plain)
    assert result["polls"] == [
        ["ok", 200, 2, 2],
        ["not_modified", 304, 0, 0],  # If-None-Match from the stored ETag
        ["ok", 200, 2, 2],
        ["not_modified", 200, 0, 0],  # the same body as stored: not parsed
    ]
    conditional = [h for method, path, h in server.requests if path == "/etag.html"]
    assert "If-None-Match" not in conditional[0] and conditional[1]["If-None-Match"]
    assert result["closed"] and not result["crawler"]
