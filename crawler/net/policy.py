"""Network policy: which destinations a poll may reach (SSRF guard), as pure functions.

Trust the operator, not the content. A URL the operator wrote (config, command line) is
fetched as written; every destination the fetched content supplies (a redirect hop, a feed
item's article link, a meta refresh) is refused when it is not http(s) or when any address it
resolves to is not public: loopback, private, link-local (169.254.169.254 cloud metadata),
CGNAT, unspecified, multicast, reserved, or an IPv6 form that embeds one of those (IPv4-mapped,
6to4, NAT64, Teredo). Classifying the *resolved* addresses rather than the spelling of the
host makes ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``localhost.`` all land on 127.0.0.1
exactly as the connecting socket would see them.

The one exemption (:func:`origin_networks`): a source that lives entirely on a non-public
network may link within the /24 (IPv4) or /64 (IPv6) of the address its poll actually
connected to, never to link-local addresses and never to another range.

The middleware in :mod:`crawler.middlewares` wires this into Scrapy; everything here is
reactor-free so every spelling is unit-tested in ``tests/test_netpolicy.py``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset(("http", "https"))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Environment fallbacks, so `tickerwatch poll` (no settings file) can be configured too.
ENV_ALLOW_PRIVATE = "TICKERWATCH_ALLOW_PRIVATE_NETWORKS"
ENV_STRICT = "TICKERWATCH_STRICT_NETWORK"
# Test-only: addresses listed here count as public, so a loopback test server can stand for
# "the internet" while a canary on another loopback address stands for an internal service.
ENV_TEST_PUBLIC = "TICKERWATCH_TEST_PUBLIC_HOSTS"


class RefusedDestination(Exception):
    """A destination the policy refuses; the message starts with ``refused:``."""


@dataclass(frozen=True)
class Policy:
    """The operator's choices. ``public_overrides`` is the test-only list of "public" IPs."""

    allow_private: bool = False
    strict: bool = False
    public_overrides: frozenset[Address] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings) -> Policy:
        """Scrapy settings first, then the environment (for the CLI, which has no settings file)."""

        def flag(name: str) -> bool:
            if settings is not None and settings.getbool(name):
                return True
            return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")

        raw = (settings.get(ENV_TEST_PUBLIC) if settings is not None else None) or os.environ.get(
            ENV_TEST_PUBLIC, ""
        )
        names = raw if isinstance(raw, list | tuple) else str(raw).replace(",", " ").split()
        overrides = frozenset(ipaddress.ip_address(n) for n in names if n)
        return cls(flag(ENV_ALLOW_PRIVATE), flag(ENV_STRICT), overrides)


def parse_host_literal(host: str) -> Address | None:
    """The address a host *spelling* denotes without DNS, the way inet_aton reads it, else None.

    Handles dotted decimal, a bare 32-bit integer (``2130706433``), octal and hex parts
    (``0177.0.0.1``, ``0x7f.1``), short forms (``127.1``) and bracketed IPv6.
    """
    host = host.strip().strip("[]")
    if not host:
        return None
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except (OSError, ValueError):
        return None


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.teredo is not None:
        return address.teredo[1]
    return None


def classify(address: Address, policy: Policy | None = None) -> str | None:
    """Why ``address`` is not a public destination, or None when it is."""
    if policy is not None and address in policy.public_overrides:
        return None
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = classify(inner, policy)
        return f"{address}, which embeds {reason}" if reason else None
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("CGNAT", address.version == 4 and address in _CGNAT),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            return f"{name} address {address}"
    return None


def resolve(host: str, port: int | None = None) -> list[Address]:
    """Every address ``host`` resolves to, as the connecting socket would see them (blocking)."""
    literal = parse_host_literal(host)
    if literal is not None:
        return [literal]
    name = host.rstrip(".").lower()  # "localhost." is "localhost", whatever DNS makes of it
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    infos = socket.getaddrinfo(name, port or 80, type=socket.SOCK_STREAM)
    out: list[Address] = []
    for info in infos:
        text = info[4][0].split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if address not in out:
            out.append(address)
    return out


def check_scheme(url: str) -> None:
    """Refuse file:, data:, ftp:, gopher: … for content-supplied destinations."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise RefusedDestination(f"refused: {scheme or 'no'} scheme in {url[:200]}")


def redact_url(url: str) -> str:
    """``url`` with the password of its user info (``user:***@``) or a bare user token
    (``***@``) masked, for every message that could quote an operator's URL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:authority_end]
    if "@" not in authority:
        return url
    userinfo, _, host = authority.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    masked = f"{user}:***" if colon else "***"
    return f"{scheme}://{masked}@{host}{rest[authority_end:]}"


def source_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a source the operator names (config file, ``poll``, ``inspect``),
    or None. One rule everywhere: an absolute http(s) URL, without credentials in it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "not a URL"
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
        return "need an absolute http(s) URL"
    if any(c.isspace() for c in url):
        return "need an absolute http(s) URL (it contains white space)"
    if "@" in parts.netloc:
        return (
            "credentials in the URL are not supported (they would be logged and stored): "
            'remove them and set auth = "user:password" on the [[source]] (HTTP Basic)'
        )
    return None


def check_addresses(url: str, addresses: Iterable[Address], policy: Policy) -> None:
    """Refuse when any address is non-public: a host that resolves both ways is not public."""
    for address in addresses:
        reason = classify(address, policy)
        if reason:
            host = urlsplit(url).hostname or url
            raise RefusedDestination(f"refused: {host} resolves to {reason} (SSRF guard)")


# How far "the same private network" reaches around the address a source was fetched from:
# the usual LAN subnet. A neighbouring range of the same RFC 1918 block is another network.
_LOCAL_PREFIX = {4: 24, 6: 64}
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))

Resolver = Callable[[str, int | None], list[Address]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Verdict:
    """What :func:`decide` allowed: the connected peer must be public or inside ``networks``
    (the origin exemption). The peer is checked after every untrusted fetch."""

    networks: tuple[Network, ...] = ()

    def peer_reason(self, peer: Address, policy: Policy) -> str | None:
        """Why the address the socket connected to is refused, or None."""
        reason = classify(peer, policy)
        if reason is None or within(peer, self.networks):
            return None
        return reason


def within(address: Address, networks: Iterable[Network]) -> bool:
    """``address`` (judged by the IPv4 it embeds, if any) lies in one of ``networks``."""
    address = embedded_ipv4(address) or address
    if any(address in net for net in _LINK_LOCAL):
        return False
    return any(address.version == net.version and address in net for net in networks)


def local_network(address: Address) -> Network | None:
    """The private network around ``address`` that its links may reach, or None (link-local:
    cloud metadata and neighbours are never anybody's origin network)."""
    address = embedded_ipv4(address) or address
    if any(address in net for net in _LINK_LOCAL):
        return None
    prefix = 128 if address.version == 6 and address.is_loopback else _LOCAL_PREFIX[address.version]
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def origin_networks(
    origin: str | None, connected: Address | None, policy: Policy, resolver: Resolver | None = None
) -> tuple[Network, ...]:
    """The networks a source's links may reach besides the public internet.

    Only a source that lives *entirely* on a non-public network gets any: every address its
    host resolves to is non-public (a dual-homed name with one public address gets none), and
    the exemption reaches only the subnet of the address actually connected to for it, or of
    its addresses when the connection is not known (a series hub polled earlier).
    """
    host = urlsplit(origin).hostname if origin else None
    if not host or policy.strict:
        return ()
    try:
        addresses = (resolver or resolve)(host, None)
    except OSError:
        return ()
    if not addresses or any(classify(a, policy) is None for a in addresses):
        return ()
    if connected is not None:
        if classify(connected, policy) is None:
            return ()
        anchors = [connected]
    else:
        anchors = addresses
    networks = (local_network(a) for a in anchors)
    return tuple(dict.fromkeys(n for n in networks if n is not None))


def decide(
    url: str,
    origin: str | None,
    connected: Address | None,
    policy: Policy,
    trusted: bool,
    resolver: Resolver | None = None,
) -> Verdict:
    """The blocking decision for one request (runs in a thread); raises RefusedDestination.

    ``origin`` is the source the destination came from and ``connected`` the address its poll
    actually reached. A destination must be public, or every one of its non-public addresses
    must lie in an origin network (:func:`origin_networks`); the connected peer is checked
    again after the fetch either way.
    """
    check_scheme(url)
    networks = () if trusted else origin_networks(origin, connected, policy, resolver)
    parts = urlsplit(url)
    addresses = (resolver or resolve)(parts.hostname or "", parts.port)
    outside = [a for a in addresses if not within(a, networks)]
    check_addresses(url, outside, policy)
    return Verdict(networks)
