"""Security holes a hostile review found (issue 12, items 1-7), each reproduced end to end.

Every case reports into the fault suite's tally (tests/faultkit.py), so the summary line
counts it; canary hits are requests that reached a server standing for an internal service.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import ipaddress
import json
import sqlite3
import time

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler import meta
from crawler.net.policy import Policy, RefusedDestination, decide
from tests.conftest import tickerwatch
from tests.daemon_process import DaemonProcess
from tests.faultkit import fault_env, faults, last_poll, poll, record, rows
from tests.faultserver import FaultServer, Reply
from tests.pages import jsonld_liveblog, rss_feed
from tests.test_faults_network import closed_port

pytestmark = pytest.mark.faults
__all__ = ["fault_env", "faults"]  # fixtures, imported for pytest

ip = ipaddress.ip_address


def page(tag: str, n: int = 3) -> bytes:
    posts = [
        {"id": i, "headline": f"{tag} {i}", "body": f"Text {tag} {i}."} for i in range(n, 0, -1)
    ]
    return jsonld_liveblog(posts).encode()


# --- 1. the SSRF origin exemption ---------------------------------------------------------

DNS = {
    "intranet.example": [ip("10.1.2.3")],
    "near.example": [ip("10.1.2.77")],
    "dual.example": [ip("93.184.215.14"), ip("10.1.2.3")],  # one public, one private address
    "metadata.example": [ip("169.254.169.254")],
    "public.example": [ip("93.184.215.14")],
}


def fake_dns(host: str, port: int | None = None) -> list:
    """A resolver for the pure decision: names from DNS, IP literals as themselves."""
    return DNS[host] if host in DNS else [ip(host.strip("[]"))]


def verdict(url: str, origin: str, connected: str | None):
    return decide(url, origin, connected and ip(connected), Policy(), False, fake_dns)


@pytest.mark.parametrize(
    "origin, connected",
    [
        ("http://10.1.2.3/live", "10.1.2.3"),
        ("http://intranet.example/live", "10.1.2.3"),
        ("http://intranet.example/live", None),  # a hub polled earlier: connection unknown
        ("http://dual.example/live", "10.1.2.3"),
        ("http://dual.example/live", "93.184.215.14"),
    ],
)
@pytest.mark.parametrize(
    "destination",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.example/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.1/",  # the same RFC 1918 block, another network
        "http://192.168.1.1/",
        "http://127.0.0.1/",
    ],
)
def test_origin_exemption_never_reaches_metadata_or_another_network(origin, connected, destination):
    record(f"ssrf exemption: {origin} via {connected} -> {destination}")
    with pytest.raises(RefusedDestination, match="^refused: "):
        verdict(destination, origin, connected)


def test_origin_exemption_covers_the_connected_network_and_the_peer_is_rechecked():
    record("ssrf exemption: same network allowed, peer rechecked")
    near = verdict("http://near.example/a", "http://intranet.example/live", "10.1.2.3")
    assert near.peer_reason(ip("10.1.2.77"), Policy()) is None
    assert verdict("http://public.example/", "http://10.1.2.3/", "10.1.2.3").networks
    # Dual-homed: no exemption at all, not even for the source's own subnet.
    with pytest.raises(RefusedDestination):
        verdict("http://near.example/a", "http://dual.example/live", "10.1.2.3")
    # The post-connect check runs on exempted requests too: DNS that answered 10.1.2.77 and
    # then connected the socket to 10.0.0.1 or the metadata address is refused.
    from crawler.middlewares import NetPolicyMiddleware

    middleware = NetPolicyMiddleware.from_crawler(get_crawler())
    request = Request("http://near.example/a", meta={meta.NETCHECK: near})
    for peer in ("10.0.0.1", "169.254.169.254"):
        answer = Response(request.url, body=b"secret", ip_address=ip(peer))
        with pytest.raises(IgnoreRequest, match="refused: connected to"):
            middleware.process_response(request, answer)
    fine = Response(request.url, body=b"ok", ip_address=ip("10.1.2.77"))
    assert middleware.process_response(request, fine) is fine


def test_dual_homed_source_cannot_lead_to_a_loopback_canary(faults, db_path, monkeypatch):
    """``localhost`` resolves to 127.0.0.1 and ::1; with ::1 counted as public it is a name with
    one public and one loopback address, fetched over 127.0.0.1. A redirect and a feed article
    link to a canary on 127.0.0.1 must not be fetched; a loopback-only source still may link
    within its own network."""
    monkeypatch.setenv("TICKERWATCH_TEST_PUBLIC_HOSTS", "::1")
    with FaultServer("127.0.0.1") as canary:
        canary.default.body = b"<html><body><article><p>internal secret</p></article></body></html>"
        secret = canary.url("/secret")
        faults.redirect("/hop", secret)
        items = [{"guid": "g1", "title": "Item", "link": secret, "summary": "Kurz"}]
        faults.route("/feed.xml", rss_feed(items), headers={"Content-Type": "application/rss+xml"})
        faults.route("/own.html", page("own"))
        faults.redirect("/own-hop", faults.url("/own.html"))
        dual = faults.url("/hop", host="localhost")
        feed = faults.url("/feed.xml", host="localhost")
        own = faults.url("/own-hop")  # 127.0.0.1 literal: loopback only, may link within
        result = poll(db_path, dual, feed, own, timeout=10)
        record("ssrf: dual-homed source, redirect and article link", canary_hits=canary.hits())
        assert canary.requests == [], [r.path for r in canary.requests]
        status, error = last_poll(db_path, dual)
        assert status == "error" and error.startswith("refused"), error
        assert last_poll(db_path, feed)[0] == "ok"
        bodies = [b for (b,) in rows(db_path, "SELECT body FROM entries")]
        assert not any("internal secret" in b for b in bodies)
        assert last_poll(db_path, own)[0] == "ok", result.stderr[-2000:]


# --- 2. credentials in a source URL ---------------------------------------------------------

SECRET = "s3cret-Pa55"


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def no_secret_anywhere(db_path, *texts: str) -> None:
    """Neither the password nor its Basic encoding in any text or anywhere in the database."""
    encoded = base64.b64encode(f"reader:{SECRET}".encode()).decode()
    dump = ""
    if db_path.exists():
        with sqlite3.connect(db_path) as conn:
            dump = "\n".join(conn.iterdump())
    for text in (*texts, dump):
        assert SECRET not in text and encoded not in text


def test_credentials_in_a_source_url_are_refused_with_a_pointer_to_auth(faults, db_path, tmp_path):
    url = faults.route("/private.html", page("private"))
    with_secret = url.replace("http://", f"http://reader:{SECRET}@")
    config = tmp_path / "sources.toml"
    config.write_text(f'[[source]]\nname = "private"\nurl = "{with_secret}"\n')
    check = tickerwatch("check-config", "--config", str(config))
    polled = poll(db_path, with_secret)
    inspected = tickerwatch("inspect", with_secret, db=db_path)
    added = tickerwatch("add", with_secret, "--config", str(tmp_path / "new.toml"))
    record("credentials: refused in check-config, poll, inspect, add")
    for result in (check, polled, inspected, added):
        output = result.stdout + result.stderr
        assert result.returncode == 2, output
        assert "reader:***@" in output and "auth" in output, output
        no_secret_anywhere(db_path, output)
    assert faults.requests == []
    assert not (tmp_path / "new.toml").exists()


def test_auth_setting_is_sent_to_the_source_only_and_never_shown(
    faults, db_path, tmp_path, monkeypatch
):
    """``auth = "user:password"`` is HTTP Basic to the source's own origin; a redirect to
    another port drops it; no log line, row or ``status`` shows it."""
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    with FaultServer("127.0.0.1") as elsewhere:
        target = elsewhere.route("/live.html", page("moved"))
        url = faults.redirect("/private.html", target)
        config = tmp_path / "sources.toml"
        config.write_text(
            f'[[source]]\nname = "private"\nurl = "{url}"\nauth = "reader:{SECRET}"\nevery = "1s"\n'
        )
        check = tickerwatch("check-config", "--config", str(config))
        assert check.returncode == 0, check.stderr
        daemon = DaemonProcess(db_path, config)
        try:
            wait_until(lambda: elsewhere.hits("/live.html") >= 2)
        finally:
            daemon.stop()
        record("credentials: auth sent to the source, dropped across origins")
        basic = "Basic " + base64.b64encode(f"reader:{SECRET}".encode()).decode()
        assert faults.requests[0].headers.get("Authorization") == basic
        assert all("Authorization" not in r.headers for r in elsewhere.requests)
        status = tickerwatch("status", db=db_path)
        no_secret_anywhere(db_path, check.stdout + check.stderr, daemon.text(), status.stdout)


# --- 5. http(s) only, everywhere ------------------------------------------------------------


def test_poll_and_inspect_never_read_files(db_path, tmp_path):
    local = tmp_path / "live.html"
    local.write_bytes(page("local"))
    results = [
        poll(db_path, "file:///etc/passwd"),
        poll(db_path, local.as_uri()),
        tickerwatch("inspect", "file:///etc/passwd", db=db_path),
        tickerwatch("inspect", local.as_uri(), db=db_path),
        poll(db_path, "data:text/html,<p>x</p>"),
    ]
    record("scheme: poll and inspect refuse file: and data:")
    for result in results:
        assert result.returncode == 2, result.stdout + result.stderr
        assert "http(s)" in result.stderr
        assert "root:" not in result.stdout + result.stderr
    assert not db_path.exists() or rows(db_path, "SELECT count(*) FROM entries") == [(0,)]


def test_operator_requests_are_http_only_at_the_downloader(fault_env):
    """The daemon's and the engine's own requests pass the same rule, trusted or not."""
    from crawler.middlewares import NetPolicyMiddleware

    middleware = NetPolicyMiddleware.from_crawler(get_crawler())
    record("scheme: downloader refuses a trusted file: request")
    for url in ("file:///etc/passwd", "data:text/html,x"):
        trusted = Request(url, meta={meta.SOURCE_URL: url, meta.ALLOW_PRIVATE: True})
        with pytest.raises(IgnoreRequest, match="refused: .* scheme"):
            asyncio.run(middleware.process_request(trusted))


# --- 6. one daemon per database, whatever the path --------------------------------------------


def test_second_daemon_through_a_symlink_is_refused(faults, tmp_path, monkeypatch):
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    url = faults.route("/live.html", page("lock"))
    config = tmp_path / "sources.toml"
    config.write_text(f'[[source]]\nname = "lock"\nurl = "{url}"\nevery = "1s"\n')
    (tmp_path / "real").mkdir()
    db = tmp_path / "real" / "d.db"
    (tmp_path / "link.db").symlink_to(db)
    (tmp_path / "dirlink").symlink_to(tmp_path / "real", target_is_directory=True)
    daemon = DaemonProcess(db, config)
    try:
        daemon.wait_for(r"^BASELINE lock ", timeout=60)
        seconds = [
            tickerwatch("run", "--config", str(config), db=path, timeout=60)
            for path in (tmp_path / "link.db", tmp_path / "dirlink" / "d.db")
        ]
        record("process: second daemon through a symlink refused")
        for second in seconds:
            assert second.returncode != 0, second.stderr[-2000:]
            assert f"pid {daemon.proc.pid}" in second.stderr
        assert daemon.proc.poll() is None
    finally:
        assert daemon.stop() == 0


# --- 3. hub content cannot take over configured sources ---------------------------------------


def test_series_hub_cannot_take_over_a_configured_source(faults, tmp_path, db_path, monkeypatch):
    """The hub links to a configured source's URL (also with a tracking parameter) and to a
    page behind credentials: only the genuine new liveblog becomes a member; the configured
    source keeps its name, stays out of the series and is polled once per interval."""
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    member = faults.route("/live/ukraine-montag.html", page("member"))
    other = faults.route("/live/ukraine-other.html", page("other"))
    sneaky = other.replace("://", "://x:y@")
    links = [member, other, other + "?utm_source=hub", sneaky]
    items = [
        {"guid": f"h{i}", "title": f"Liveblog {i}", "link": link, "summary": "hub"}
        for i, link in enumerate(links)
    ]
    hub = faults.route("/hub.xml", rss_feed(items), headers={"Content-Type": "application/rss+xml"})
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[[source]]\nname = "ukraine"\nurl = "{hub}"\nkind = "series"\nmatch = "/live/ukraine-"\n'
        f'every = "1s"\n\n[[source]]\nname = "other"\nurl = "{other}"\nevery = "2s"\n'
    )
    daemon = DaemonProcess(db_path, config)
    try:
        daemon.wait_for(r"series ukraine: following \S+ukraine-montag\.html", timeout=60)
        wait_until(lambda: faults.hits("/hub.xml") >= 4, timeout=60)
    finally:
        assert daemon.stop() == 0
    record("series: hub cannot take over a configured source")
    assert rows(db_path, "SELECT name, series FROM sources WHERE url = ?", other) == [
        ("other", None)
    ]
    assert rows(db_path, "SELECT url FROM sources WHERE series = 'ukraine'") == [(member,)]
    log = daemon.text()
    assert "ukraine/ukraine-other" not in log and "following " + other not in log
    assert "y@" not in log
    # Polled on its own interval only: at most one request per 2 s (plus one of slack).
    times = [r.at for r in faults.requests if r.path == "/live/ukraine-other.html"]
    assert len(times) <= (times[-1] - times[0]) / 2 + 2, times


# --- 4. escape sequences through URLs, keys and CSV -----------------------------------------

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # write "echo pwned" to the clipboard
CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def test_escape_sequences_in_feed_urls_never_reach_the_terminal(faults, db_path):
    """A JSON Feed whose item ``url`` and ``id`` carry ESC/BEL/OSC 52 (the article fetch fails,
    so the link is logged), titles that are spreadsheet formulas: the log lines, the stored
    links and ``entries`` as table, CSV and JSON are free of raw controls, and CSV cells that
    start a formula are quoted."""
    dead = f"http://127.0.0.1:{closed_port()}/a{OSC52}b\x1b[2J\u202e"
    items = [
        {
            "id": f"k1{OSC52}",
            "url": dead,
            "title": '=HYPERLINK("http://x","y")',
            "content_text": "one",
        },
        {"id": "k2", "url": faults.url(f"/x{OSC52}"), "title": "+1 plus", "content_text": "two"},
        {"id": "k3", "url": faults.url("/y"), "title": f"@SUM(A1) {OSC52}", "content_text": "-3"},
    ]
    feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items})
    url = faults.route(
        "/feed.json", feed.encode(), headers={"Content-Type": "application/feed+json"}
    )
    polled = poll(db_path, url, timeout=10)
    assert polled.returncode == 0, polled.stderr[-2000:]
    outputs = {
        "poll": polled.stdout + polled.stderr,
        **{
            fmt: (r := tickerwatch("entries", "--format", fmt, db=db_path)).stdout + r.stderr
            for fmt in ("table", "csv", "json")
        },
    }
    record("escapes: feed URLs and keys in logs, table, CSV, JSON")
    assert "article fetch failed for" in outputs["poll"]
    for name, text in outputs.items():
        assert not any(c in text for c in CONTROLS), (name, text[-1500:])
    stored = rows(db_path, "SELECT url, title FROM entries")
    assert len(stored) == 3
    assert not any(c in link for link, _ in stored for c in CONTROLS)
    cells = list(csv.DictReader(io.StringIO(outputs["csv"])))
    titles = sorted(row["title"] for row in cells)
    assert titles[:2] == ["'+1 plus", '\'=HYPERLINK("http://x","y")'], titles
    assert titles[2].startswith("'@SUM(A1) "), titles
    assert sorted(row["body"] for row in cells) == ["'-3", "one", "two"]


# --- 7. response headers are bounded ---------------------------------------------------------


def raw_response(*headers: bytes, body: bytes = b"") -> Reply:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"".join(
        h + b"\r\n" for h in headers
    )
    head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    return Reply(head + body, mode="raw")


def test_oversized_response_headers_are_a_classified_error(faults, db_path):
    """A single 40 MB header line, 5,000 small headers, and 600 KB in 8 KB headers are each
    refused as ``response headers too large``; a page with a 30 KB header (a long CSP) is not."""
    good = page("headers")
    cases = {
        "/one-line": raw_response(b"X-Big: " + b"a" * (40 * 1024 * 1024), body=good),
        "/many": raw_response(*(b"X-N%d: v" % i for i in range(5000)), body=good),
        "/wide": raw_response(*(b"X-W%d: " % i + b"b" * 8192 for i in range(75)), body=good),
    }
    urls = [faults.route(path, reply) for path, reply in cases.items()]
    fine = faults.route(
        "/csp", raw_response(b"Content-Security-Policy: " + b"c" * 30000, body=good)
    )
    result = poll(db_path, *urls, fine, timeout=30)
    for url in urls:
        status, error = last_poll(db_path, url)
        record(f"headers: {url.rsplit('/', 1)[-1]}")
        assert status == "error" and error.startswith("response headers too large"), (url, error)
    assert last_poll(db_path, fine)[0] == "ok", result.stderr[-2000:]
    assert rows(db_path, "SELECT count(*) FROM entries") == [(3,)]
