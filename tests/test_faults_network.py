"""Network faults end to end: `tickerwatch poll` against a misbehaving server and a canary.

Each case seeds a source with a healthy poll, then breaks the server and polls again: the poll
must be an ``error`` with a clear class and the stored entries must be exactly as before.
Several sources are polled in one CLI call (concurrently) to keep the suite fast.
"""

from __future__ import annotations

import socket

import pytest

from tests.faultkit import canary, compare, fault_env, faults, last_poll, poll, record, rows
from tests.faultkit import snapshot as snap
from tests.faultserver import FaultServer, Reply, bomb, self_signed_context
from tests.pages import jsonld_liveblog, rss_feed

pytestmark = pytest.mark.faults
__all__ = ["canary", "fault_env", "faults"]  # fixtures, imported for pytest


def page(tag: str, n: int = 5) -> bytes:
    posts = [
        {"id": i, "headline": f"{tag} {i}", "body": f"Text {tag} {i}."} for i in range(n, 0, -1)
    ]
    return jsonld_liveblog(posts).encode()


def html(body: bytes, **headers: str) -> Reply:
    return Reply(body, 200, {"Content-Type": "text/html; charset=utf-8", **headers})


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def network_cases(srv: FaultServer) -> dict[str, tuple[Reply | None, str]]:
    """case -> (the broken reply served on the second poll, expected error class)."""
    good = page("kaputt", 40)
    for n in range(8):  # a chain of 8 hops, longer than REDIRECT_MAX_TIMES = 5
        srv.redirect(f"/chain{n}", srv.url(f"/chain{n + 1}"))
    return {
        "silent": (Reply(mode="silent"), "timeout"),
        "stall mid-body": (Reply(good, mode="stall_body"), "timeout"),
        "drop mid-body": (Reply(good, mode="drop_body"), "incomplete response"),
        "short body": (Reply(good, mode="short_body"), "incomplete response"),
        "broken chunking": (Reply(good, mode="bad_chunked"), "incomplete response"),
        "endless body": (Reply(mode="endless"), "response too large"),
        "gzip bomb": (html(bomb("gzip"), **{"Content-Encoding": "gzip"}), "response too large"),
        "deflate bomb": (
            html(bomb("deflate"), **{"Content-Encoding": "deflate"}),
            "response too large",
        ),
        "brotli bomb": (html(bomb("br"), **{"Content-Encoding": "br"}), "response too large"),
        "redirect loop": (Reply(b"", 302, {"Location": "/loop"}), "too many redirects"),
        "redirect chain": (Reply(b"", 302, {"Location": srv.url("/chain0")}), "too many redirects"),
    }


def test_network_faults_end_as_errors_and_touch_nothing(faults, db_path):
    cases = network_cases(faults)
    urls = {
        case: faults.route("/loop" if "loop" in case else f"/{i}", page(case))
        for i, case in enumerate(cases)
    }
    first = poll(db_path, *urls.values())
    assert first.returncode == 0, first.stderr[-3000:]
    before = {case: snap(db_path, url) for case, url in urls.items()}
    assert all(len(b) == 5 for b in before.values())
    for case, url in urls.items():
        faults.routes["/" + url.split("/", 3)[3]] = cases[case][0]
    refused = f"http://127.0.0.1:{closed_port()}/liveblog"
    unknown = "http://tickerwatch-test.invalid/liveblog"
    second = poll(db_path, *urls.values(), refused, unknown, timeout=3)
    assert second.returncode == 1
    for case, url in urls.items():
        status, error = last_poll(db_path, url)
        damage = compare(before[case], snap(db_path, url))
        record(f"network: {case}", **damage)
        assert (status, damage) == ("error", {"lost": 0, "duplicated": 0, "false_removals": 0}), (
            case,
            error,
        )
        assert error.startswith(cases[case][1]), (case, error)
        assert url in second.stderr
    for url, label in ((refused, "connection refused"), (unknown, "unknown host")):
        status, error = last_poll(db_path, url)
        record(f"network: {label}")
        assert status == "error" and error.startswith(label), (url, error)
    # A fault never moved the conditional-GET state: the next good poll is a normal poll.
    assert rows(db_path, "SELECT count(*) FROM entries WHERE removed_at IS NOT NULL") == [(0,)]


def test_self_signed_certificate_is_rejected_never_downgraded(fault_env, tmp_path, db_path):
    with FaultServer(tls=self_signed_context(tmp_path)) as tls:
        url = tls.route("/live.html", page("tls"))
        result = poll(db_path, url, timeout=5)
        assert result.returncode == 1
        status, error = last_poll(db_path, url)
        record("network: self-signed TLS")
        assert status == "error" and error.startswith("TLS"), error
        # The handshake failed, so no request was ever sent and nothing was stored.
        assert tls.requests == []
        assert rows(db_path, "SELECT count(*) FROM entries") == [(0,)]


def test_content_never_leads_to_an_internal_address(faults, canary, db_path):
    """Redirect hops and feed article links are untrusted: every spelling of 127.0.0.2 (the
    canary, an "internal service") is refused, file: links are never read; public links work."""
    port = canary.port
    spellings = [
        f"http://127.0.0.2:{port}/a",
        f"http://2130706434:{port}/b",
        f"http://0177.0.0.2:{port}/c",
        f"http://0x7f.0.0.2:{port}/d",
        f"http://127.0.0.2.:{port}/e",
        f"http://[::ffff:127.0.0.2]:{port}/f",
    ]
    redirects = [faults.redirect(f"/r{i}", target) for i, target in enumerate(spellings)]
    redirects.append(faults.redirect("/r-file", "file:///etc/passwd"))
    hop = faults.redirect("/hop", spellings[0])  # public first hop, internal second hop
    public_article = faults.route(
        "/article.html",
        b"<html><body><article><p>" + b"Volltext. " * 60 + b"</p></article></body></html>",
    )
    items = [
        {"guid": f"g{i}", "title": f"Item {i}", "link": link, "summary": f"Kurz {i}"}
        for i, link in enumerate([*spellings, "file:///etc/passwd", hop, public_article])
    ]
    feed = faults.route(
        "/feed.xml", rss_feed(items), headers={"Content-Type": "application/rss+xml"}
    )
    moved = faults.route("/new.html", page("moved"))
    old = faults.redirect("/old.html", moved, status=301)
    result = poll(db_path, *redirects, feed, old, timeout=5)
    for url in redirects:
        status, error = last_poll(db_path, url)
        record(f"ssrf: redirect {url.rsplit('/', 1)[-1]}", canary_hits=canary.hits())
        assert status == "error", (url, error)
        assert error.startswith("refused"), (url, error)
    bodies = dict(rows(db_path, "SELECT key, body FROM entries WHERE key LIKE 'g%'"))
    record("ssrf: feed article links", canary_hits=canary.hits())
    assert canary.requests == [], [r.path for r in canary.requests]
    assert len(bodies) == len(items)
    assert not any("root:" in body for body in bodies.values())
    assert "Volltext" in bodies[f"g{len(items) - 1}"]  # the public article was fetched
    assert faults.hits("/article.html") == 1
    assert "refused" in result.stderr
    # A permanent redirect is followed, suggested to the operator, and not written back.
    assert last_poll(db_path, old)[0] == "ok"
    assert f"moved permanently to {moved}; update the config" in result.stderr
    assert rows(db_path, "SELECT count(*) FROM sources WHERE url = ?", moved) == [(0,)]
    record("redirect: 301 followed, config kept")


def test_strict_mode_refuses_private_sources_and_opt_in_allows_them(
    faults, canary, db_path, monkeypatch
):
    internal = canary.url("/live.html")
    canary.route("/live.html", page("intranet"))
    monkeypatch.setenv("TICKERWATCH_STRICT_NETWORK", "1")
    strict = poll(db_path, internal, timeout=5)
    assert strict.returncode == 1 and canary.requests == []
    assert last_poll(db_path, internal)[1].startswith("refused")
    record("ssrf: strict mode", canary_hits=canary.hits())
    monkeypatch.delenv("TICKERWATCH_STRICT_NETWORK")
    # Operator-written URLs are fetched as written, even on an internal network …
    assert poll(db_path, internal).returncode == 0
    # … and an operator who allows private networks lets content lead there too.
    via = faults.redirect("/to-intranet", internal)
    assert poll(db_path, via).returncode == 1
    monkeypatch.setenv("TICKERWATCH_ALLOW_PRIVATE_NETWORKS", "1")
    assert poll(db_path, via).returncode == 0, last_poll(db_path, via)
