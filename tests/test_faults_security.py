"""Security holes a hostile review found (issue 12, items 1-7), each reproduced end to end.

Every case reports into the fault suite's tally (tests/faultkit.py), so the summary line
counts it; canary hits are requests that reached a server standing for an internal service.
"""

from __future__ import annotations

import ipaddress

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.net.policy import Policy, RefusedDestination, decide
from tests.faultkit import fault_env, faults, last_poll, poll, record, rows
from tests.faultserver import FaultServer
from tests.pages import jsonld_liveblog, rss_feed

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
    request = Request("http://near.example/a", meta={"tw_netcheck": near})
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
