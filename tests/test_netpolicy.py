"""The SSRF guard's address rules on their own: every spelling of an internal address is refused."""

from __future__ import annotations

import ipaddress

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler import meta
from crawler.net.failures import classify_error
from crawler.net.policy import (
    Policy,
    RefusedDestination,
    check_addresses,
    check_scheme,
    classify,
    parse_host_literal,
    resolve,
)

pytestmark = pytest.mark.faults

# Host spellings and the address the connecting socket would use.
SPELLINGS = {
    "127.0.0.1": "127.0.0.1",
    "2130706433": "127.0.0.1",  # one 32-bit integer
    "0177.0.0.1": "127.0.0.1",  # octal
    "0x7f.0.0.1": "127.0.0.1",  # hex
    "0x7f000001": "127.0.0.1",
    "127.1": "127.0.0.1",  # short form
    "017700000001": "127.0.0.1",
    "[::ffff:127.0.0.1]": "::ffff:127.0.0.1",
    "[::1]": "::1",
    "0.0.0.0": "0.0.0.0",
    "0": "0.0.0.0",
    "169.254.169.254": "169.254.169.254",  # cloud metadata
    "2852039166": "169.254.169.254",
    "10.1.2.3": "10.1.2.3",
    "172.16.0.1": "172.16.0.1",
    "192.168.1.1": "192.168.1.1",
    "100.64.0.1": "100.64.0.1",  # CGNAT
    "[fe80::1%25eth0]": "fe80::1",
    "[fc00::1]": "fc00::1",
    "[::ffff:a9fe:a9fe]": "::ffff:169.254.169.254",
    "[2002:7f00:1::]": "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "[64:ff9b::a00:1]": "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "224.0.0.1": "224.0.0.1",
    "240.0.0.1": "240.0.0.1",
}


@pytest.mark.parametrize("host", list(SPELLINGS))
def test_every_spelling_of_an_internal_address_is_refused(host):
    literal = parse_host_literal(host.replace("%25", "%"))
    assert literal == ipaddress.ip_address(SPELLINGS[host])
    assert classify(literal) is not None
    with pytest.raises(RefusedDestination, match="^refused: "):
        check_addresses(f"http://{host}/", [literal], Policy())


def test_localhost_with_a_trailing_dot_resolves_to_loopback():
    addresses = resolve("localhost.")
    assert addresses and all(classify(a) for a in addresses)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address):
    assert classify(ipaddress.ip_address(address)) is None


def test_test_override_makes_only_the_named_address_public():
    policy = Policy(public_overrides=frozenset({ipaddress.ip_address("127.0.0.1")}))
    assert classify(ipaddress.ip_address("127.0.0.1"), policy) is None
    assert classify(ipaddress.ip_address("127.0.0.2"), policy) is not None
    # A mapped spelling of an overridden address is judged by the address it carries.
    assert classify(ipaddress.ip_address("::ffff:127.0.0.1"), policy) is None


def test_a_host_with_one_internal_address_is_refused():
    mixed = [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.1")]
    with pytest.raises(RefusedDestination):
        check_addresses("http://example.org/", mixed, Policy())


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "data:text/html,<p>x</p>",
        "ftp://example.org/x",
        "gopher://127.0.0.1:6379/_INFO",
        "s3://bucket/key",
        "//example.org/",
        "javascript:alert(1)",
    ],
)
def test_non_http_schemes_are_refused(url):
    with pytest.raises(RefusedDestination, match="scheme"):
        check_scheme(url)


def test_policy_reads_the_environment(monkeypatch):
    monkeypatch.setenv("TICKERWATCH_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.setenv("TICKERWATCH_TEST_PUBLIC_HOSTS", "127.0.0.1, 127.0.0.3")
    policy = Policy.from_settings(None)
    assert policy.allow_private and not policy.strict
    assert ipaddress.ip_address("127.0.0.3") in policy.public_overrides


@pytest.mark.parametrize(
    "error, label",
    [
        (Exception("max redirections reached"), "too many redirects"),
        (Exception("refused: 127.0.0.2 is a loopback address"), "refused"),
        (TimeoutError("Getting x took longer than 2.0 seconds."), "timeout"),
        (Exception("exceeded DOWNLOAD_MAXSIZE (1 B) during decompression."), "response too large"),
    ],
)
def test_failures_get_a_stable_class(error, label):
    assert classify_error(error).startswith(label)


def _redirect(request: Request, location: str) -> Request:
    middleware = RedirectMiddleware.from_crawler(get_crawler())
    response = Response(request.url, status=302, headers={"Location": location})
    redirected = middleware.process_response(request, response)
    assert isinstance(redirected, Request)
    return redirected


@pytest.mark.parametrize(
    "location, keeps_auth",
    [
        ("https://feeds.example.org/next", True),  # same scheme, host and port
        ("https://other.example.org/next", False),  # other host
        ("https://feeds.example.org:8443/next", False),  # other port
        ("http://feeds.example.org/next", False),  # other scheme (and a downgrade)
    ],
)
def test_scrapy_drops_credentials_when_a_redirect_leaves_the_origin(location, keeps_auth):
    """Scrapy 2.19's RedirectMiddleware already does this; the test pins it."""
    request = Request(
        "https://feeds.example.org/feed",
        headers={"Authorization": "Bearer s3cret", "Cookie": "session=1"},
    )
    redirected = _redirect(request, location)
    assert (b"Authorization" in redirected.headers) is keeps_auth
    if not keeps_auth and "other" in location or location.startswith("http:"):
        assert b"Cookie" not in redirected.headers


def test_the_connected_peer_is_checked_after_the_fetch(monkeypatch):
    """DNS rebinding: the pre-check saw a public address, the socket reached an internal one.
    The response is refused before decompression, redirects or extraction see it."""
    from scrapy.exceptions import IgnoreRequest

    from crawler.middlewares import NetPolicyMiddleware

    monkeypatch.delenv("TICKERWATCH_TEST_PUBLIC_HOSTS", raising=False)
    middleware = NetPolicyMiddleware.from_crawler(get_crawler())
    request = Request("http://rebind.example/x", meta={meta.NETCHECK: True})
    internal = Response(request.url, body=b"secret", ip_address=ipaddress.ip_address("10.0.0.7"))
    with pytest.raises(IgnoreRequest, match="refused: connected to private"):
        middleware.process_response(request, internal)
    public = Response(request.url, body=b"ok", ip_address=ipaddress.ip_address("93.184.215.14"))
    assert middleware.process_response(request, public) is public
    # Operator-written URLs (no meta.NETCHECK) are not second-guessed outside strict mode.
    trusted = Request("http://10.0.0.7/", meta={meta.SOURCE_URL: "http://10.0.0.7/"})
    local = Response(trusted.url, body=b"ok", ip_address=ipaddress.ip_address("10.0.0.7"))
    assert middleware.process_response(trusted, local) is local
