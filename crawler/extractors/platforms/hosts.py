"""Which host a platform request may go to, and the test-only mapping of API hosts to loopback.

Security rule: the endpoint is built by the adapter from ids read in the page, and its host is
one of the adapter's fixed API hosts (https only). A host the page names is never contacted:
``checked_url`` refuses any endpoint its platform does not allow, whatever built it (a stored
endpoint is checked again before every poll). The network policy (crawler/net/policy.py)
still judges every hop, as for any destination content supplied.

Tests cannot reach www.tickaroo.com, so ``TICKERWATCH_TEST_PLATFORM_HOSTS`` maps an API host
to a loopback server: ``"www.tickaroo.com=127.0.0.1:8123 cdn.example=127.0.0.1:9000"``. It
exists for the test suite only. It is read from the process environment (the operator's, never
content's), it only rewrites hosts the platform already allows, and it only ever points to a
loopback address (127.0.0.0/8 or ::1) over plain http; any other value is ignored.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from urllib.parse import urlsplit, urlunsplit

from crawler.extractors.platforms.base import EmbedError, Platform

log = logging.getLogger(__name__)

ENV_TEST_HOSTS = "TICKERWATCH_TEST_PLATFORM_HOSTS"


def test_host_map() -> dict[str, str]:
    """host -> "127.0.0.1:port" from the environment; entries that are not loopback dropped."""
    mapping: dict[str, str] = {}
    for item in os.environ.get(ENV_TEST_HOSTS, "").replace(",", " ").split():
        host, _, target = item.partition("=")
        address, _, port = target.rpartition(":")
        try:
            loopback = ipaddress.ip_address(address.strip("[]")).is_loopback
        except ValueError:
            loopback = False
        if host and loopback and port.isdigit():
            mapping[host.lower()] = target
        else:
            log.warning("%s: ignoring %r (only host=loopback:port)", ENV_TEST_HOSTS, item)
    return mapping


def checked_url(platform: Platform, endpoint: str, page_url: str) -> str:
    """The URL to fetch for ``endpoint``: refused unless the platform allows its host; mapped
    to loopback only under the test-only variable above."""
    if not platform.allows(endpoint, page_url):
        host = urlsplit(endpoint).hostname or endpoint[:80]
        raise EmbedError(
            f"{platform.name}: refused endpoint host {host} (not a {platform.name} host)"
        )
    parts = urlsplit(endpoint)
    target = test_host_map().get((parts.hostname or "").lower())
    if target is None:
        return endpoint
    return urlunsplit(("http", target, parts.path, parts.query, ""))
