"""The daemon (`tickerwatch run`, a real child process) polling Tickaroo's incremental form.

The same path as `tickerwatch poll` (tests/test_platforms_incremental.py), in the long-lived
process: each poll reads the stored endpoint afresh, so the cursor the last poll stored is the
one asked next; the delta's stated deletion is REMOVED at once and the entry the deltas never
list stays live however many polls pass.
"""

from __future__ import annotations

import time

from crawler.extractors.platforms import get_platform
from crawler.extractors.platforms.hosts import ENV_TEST_HOSTS
from tests.daemon_process import DaemonProcess
from tests.test_daemon import write_config
from tests.test_platforms_incremental import C1, C2, CASES, path_of, tickaroo
from tests.test_platforms_poll import T0, rows, tickaroo_page


def test_the_daemon_follows_the_cursor_and_removes_a_stated_deletion_at_once(
    server, db_path, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(ENV_TEST_HOSTS, f"www.tickaroo.com=127.0.0.1:{server.port}")
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")  # test-only: sub-10 s intervals
    ref = CASES["tickaroo"][2]
    platform = get_platform("tickaroo")
    full = platform.endpoint(ref)
    first, second = (path_of(platform.with_cursor(full, str(c))) for c in (C1, C2))
    url = server.set("/live/ticker.html", tickaroo_page(ref.id))
    posts = [{"id": "1", "t": T0, "text": "Eins"}, {"id": "2", "t": T0 + 60, "text": "Zwei"}]
    server.set(path_of(full), tickaroo(posts, C1), content_type="application/json")
    delta = [{"id": "3", "t": T0 + 120, "text": "Drei"}, {**posts[0], "deleted": True}]
    server.set(first, tickaroo(delta, C2), content_type="application/json")
    server.set(second, tickaroo([], C2), content_type="application/json")
    config = tmp_path / "sources.toml"
    write_config(config, ("ticker", url, "1s"))
    daemon = DaemonProcess(db_path, config)
    try:
        daemon.wait_for(r"^BASELINE ticker 2 entries", timeout=60)
        daemon.wait_for(r"^REMOVED ticker ", timeout=60)
        daemon.wait_for(r"^NEW ticker \S+ .*Drei", timeout=60)
        deadline = time.monotonic() + 60
        while server.hits(second) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.hits(second) >= 3, server.requests
    finally:
        assert daemon.stop() == 0
    assert server.hits(path_of(full)) == 1 and server.hits(first) == 1
    assert daemon.text().count("REMOVED ticker") == 1
    live = rows(db_path, "SELECT key, missing_polls FROM entries WHERE removed_at IS NULL")
    assert sorted(live) == [("2", 0), ("3", 0)]
