"""``tickerwatch browse``: a real datasette over HTTP on 127.0.0.1, on a database filled by polls."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from tests.conftest import REPO, tickerwatch
from tests.pages import jsonld_liveblog

pytest.importorskip("datasette")


def page(edited: bool = False, extra: bool = False) -> str:
    posts = [
        {"id": 1, "headline": "Eins", "body": "Text eins."},
        {"id": 2, "headline": "Zwei", "body": "Text zwei." + (" Neu: Lwiw." if edited else "")},
    ]
    if extra:
        posts.append({"id": 3, "headline": "Drei", "body": "Text drei aus Odesa."})
    return jsonld_liveblog(posts[::-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode("utf-8")


def rows(base: str, path: str, **params) -> list[dict]:
    query = urllib.parse.urlencode({**params, "_shape": "array"})
    status, body = get(f"{base}{path}.json?{query}")
    assert status == 200
    return json.loads(body)


def test_browse_serves_metadata_canned_queries_and_search(server, db_path):
    url = server.set("/live.html", page())
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    server.set("/live.html", page(edited=True))
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    name = url.split("//")[1]
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "scheduler.cli.app", "--db", str(db_path), "browse"]
    proc = subprocess.Popen(
        [*command, "--port", str(port)], env=env, cwd=REPO, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if get(f"{base}/")[0] == 200:
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "datasette did not answer"
                time.sleep(0.3)
        status, home = get(f"{base}/tw")
        assert status == 200 and "Tickerwatch" in home and "Latest developments" in home
        latest = rows(base, "/tw/latest_developments")
        assert [(r["development"], r["title"]) for r in latest] == [
            ("✎ edited (revision 2)", "Zwei")
        ]
        timeline = rows(base, "/tw/source_timeline", source=name)
        marks = sorted(r["development"] for r in timeline)
        assert marks == ["on the page at the first poll"] * 2 + ["✎ edited (revision 2)"]
        revisions = rows(base, "/tw/entry_revisions", source=name, key="post-2")
        assert [(r["revision"], r["body"]) for r in revisions] == [
            (1, "Text zwei."),
            (2, "Text zwei. Neu: Lwiw."),
        ]
        found = rows(base, "/tw/entries", _search="Lwiw", _labels="on")
        assert [r["key"] for r in found] == ["post-2"]
        assert found[0]["source_id"] == {"value": 1, "label": name}
        status, table = get(f"{base}/tw/entries")
        assert "One row per entry" in table and "Cleaned text" in table
        # Read-only and never in the way: a poll commits while datasette is up, and is seen.
        server.set("/live.html", page(edited=True, extra=True))
        assert tickerwatch("poll", url, db=db_path).returncode == 0
        latest = rows(base, "/tw/latest_developments")
        assert latest[0]["title"] == "Drei" and latest[0]["development"] == "new"
        assert rows(base, "/tw/entries", _search="Odesa")[0]["key"] == "post-3"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_browse_needs_an_existing_database(tmp_path):
    result = tickerwatch("browse", db=tmp_path / "none" / "tw.db")
    assert result.returncode == 1 and "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []
