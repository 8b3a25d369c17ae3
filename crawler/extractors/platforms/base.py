"""The platform-adapter contract: an embed reference, the adapter base class, and its errors.

A platform adapter reads a liveblog that lives on a vendor's platform and is only *embedded*
in the page (an element, an iframe or a script with an id). It has three jobs, each pure:
``detect`` finds the embed in a parsed page, ``endpoint`` builds the platform's entries URL
from the reference (never from a URL the page supplies: see hosts.py), ``parse`` turns the
platform's JSON into the same ``EntryItem`` objects every other path yields, with the
platform's own deletion signal in ``EntryItem.deleted``.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawler.extractors.base import sha1, xp
from crawler.extractors.page import Page
from crawler.items import EntryItem
from crawler.text.timeparse import from_epoch, parse_iso, to_iso

# Ids go into a URL path or query: a strict alphabet means a page cannot smuggle a path,
# a query or another host into the endpoint.
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


class EmbedError(ValueError):
    """The page's embed cannot be followed: two embeds, a forced platform absent, a bad id."""


class PayloadError(ValueError):
    """The platform answered with something that is not its documented payload shape."""


@dataclass(frozen=True)
class EmbedRef:
    """What ``detect`` read from the page: the platform, the liveblog id and the other ids the
    endpoint needs (``params``: a client id, a tenant, a WordPress post id, the page origin)."""

    platform: str
    id: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str:
        return dict(self.params).get(name, "")

    @property
    def label(self) -> str:
        return f"{self.platform} liveblog {self.id}"


def valid_id(value: str | None, what: str) -> str:
    """``value`` when it is a plain id; EmbedError naming ``what`` otherwise."""
    value = (value or "").strip()
    if not ID_RE.fullmatch(value):
        raise EmbedError(f"embed has no usable {what} ({value[:40]!r})")
    return value


class Platform:
    """One platform. Class attributes describe it for ``tickerwatch sites`` and the README.

    ``hosts``: the platform's own API hosts, the only ones its endpoint may name (https only).
    ``marker``: a substring the raw page must contain before ``detect`` walks the tree.
    ``formats``: what the payload shape was checked against: ``seen`` (a real payload in
    ../shared/fixtures/platforms) or ``documented`` (vendor docs / public client code only).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    claims: ClassVar[str]
    marker: ClassVar[bytes]
    hosts: ClassVar[tuple[str, ...]] = ()
    formats: ClassVar[str] = "documented"
    incremental: ClassVar[str] = ""  # the platform's "since" parameter, for the README

    def detect(self, page: Page) -> EmbedRef | None:
        raise NotImplementedError

    def endpoint(self, ref: EmbedRef, since: str | None = None) -> str:
        raise NotImplementedError

    def parse(self, data: Any, page_url: str) -> list[EntryItem]:
        raise NotImplementedError

    # --- the incremental form (see the README: "Incremental polls") ---------------------------
    # A platform with one overrides all three. The cursor travels inside the stored endpoint
    # (sources.embed_endpoint), so a source needs no column of its own for it.

    def cursor(self, data: Any) -> str | None:
        """The cursor the next incremental request starts from, read from a payload (full or
        incremental); None when the payload names none (the stored endpoint is then kept)."""
        return None

    def with_cursor(self, endpoint: str, cursor: str) -> str:
        """``endpoint`` (either form) turned into the incremental form starting at ``cursor``."""
        return endpoint

    def full_endpoint(self, endpoint: str) -> str:
        """``endpoint`` (either form) turned back into the full form; the identity for a full
        endpoint, so ``full_endpoint(e) != e`` says that ``e`` is incremental."""
        return endpoint

    def allows(self, url: str, page_url: str) -> bool:
        """Whether this platform's requests may go to ``url`` (fixed hosts, https only)."""
        parts = urlsplit(url)
        return parts.scheme == "https" and (parts.hostname or "") in self.hosts


# --- helpers for parse() -----------------------------------------------------------------------


def need(data: Any, kind: type, where: str, platform: str) -> Any:
    """``data`` when it is of ``kind``; PayloadError saying what was expected otherwise."""
    if not isinstance(data, kind):
        got = type(data).__name__
        raise PayloadError(f"{platform}: expected {where} to be a {kind.__name__}, got {got}")
    return data


def part(data: dict, key: str, kind: type = dict) -> Any:
    """``data[key]`` when it is of ``kind`` (an optional sub-object or list), else an empty one."""
    value = data.get(key)
    return value if isinstance(value, kind) else kind()


def each(items: list, what: str, platform: str) -> Iterator[dict]:
    """The items of a payload list, each checked to be an object (PayloadError naming ``what``)."""
    for item in items:
        yield need(item, dict, what, platform)


def with_class(doc: Any, name: str, tag: str = "*") -> list[Any]:
    """The ``tag`` elements whose class attribute holds the token ``name`` (not a substring)."""
    return xp(f"//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")(doc)


def digits(value: Any) -> str | None:
    """A cursor that must be a plain non-negative integer (it goes into a URL), else None."""
    text = (
        str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    )
    return text if text.isdigit() and len(text) <= 20 else None


def when(value: Any) -> datetime | None:
    """Epoch seconds/milliseconds (number or digit string) or ISO 8601, else None."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return from_epoch(value)
    if isinstance(value, str):
        return parse_iso(value)
    return None


def text_html(value: str) -> str:
    """Plain text as HTML paragraphs (blank lines split them), entities escaped."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", value or "") if b.strip()]
    return "".join(
        "<p>" + htmllib.escape(b, quote=False).replace("\n", "<br>") + "</p>" for b in blocks
    )


def make_entry(
    key: str,
    page_url: str,
    *,
    body_html: str,
    title: str = "",
    published: datetime | None = None,
    updated: datetime | None = None,
    pinned: bool = False,
    author: str = "",
    deleted: bool = False,
) -> EntryItem:
    """An EntryItem as the page path makes them (raw fragment + its hash; cleaned later)."""
    return EntryItem(
        key=key,
        url=page_url,
        title=" ".join((title or "").split()),
        body_html=body_html,
        raw_hash=sha1(body_html),
        published_at=to_iso(published),
        updated_at=to_iso(updated),
        pinned=pinned,
        author=" ".join((author or "").split()),
        deleted=deleted,
    )


def ordered(entries: list[EntryItem]) -> list[EntryItem]:
    """Newest first by publication time (stable: ties keep payload order), positions 0..n-1.

    One key once: a platform that lists an entry twice (a sticky copy) keeps the first."""
    seen: set[str] = set()
    unique = [e for e in entries if not (e.key in seen or seen.add(e.key))]
    unique.sort(key=lambda e: e.published_at or "", reverse=True)
    for position, entry in enumerate(unique):
        entry.position = position
    return unique


def attr(node: Any, *names: str) -> str:
    """The first non-empty attribute among ``names`` (lxml lower-cases HTML attribute names)."""
    for name in names:
        value = node.get(name)
        if value and value.strip():
            return value.strip()
    return ""


def figure(url: str, caption: str = "") -> str:
    """An image as a ``<figure>``; cleaning keeps its caption, drops the image."""
    cap = f"<figcaption>{htmllib.escape(caption, quote=False)}</figcaption>" if caption else ""
    return f'<figure><img src="{htmllib.escape(url)}" alt="">{cap}</figure>'
