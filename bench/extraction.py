"""What extraction makes of every real page we hold: ``python -m bench.extraction``.

Runs each page of ``../shared/fixtures/real`` (manifest keys ``liveblogs``, ``liveblogs_next``
and ``non_liveblogs``, and the ``feeds``) through the same extraction a poll uses, served under
a loopback URL so that only the markup decides, and prints one Markdown table: per page the
strategy, entries found against the manifest's count, the first and last entry's key (and,
where the manifest lists them, their time and title) against the manifest, and how many
entries have a time, a title and a body (cleaned text). ``--json`` prints the rows instead.
The README's "Supported sites" section carries this table. Nothing is timed
(``bench.fixture_timings`` does that) and nothing is asserted (``tests/test_extractors.py``
does that); the report shows where extraction stands, including pages not read exactly yet.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from bench.common import ROOT

REAL = ROOT.parent / "shared" / "fixtures" / "real"
LOCAL_URL = "http://127.0.0.1:1234/page.html"
GROUPS = ("liveblogs", "liveblogs_next", "non_liveblogs")
OK, BAD, UNLISTED = "✓", "✗", "–"  # as the manifest says, not, nothing to show


@dataclass
class End:
    """The first or last entry, with a mark per field the manifest lists (time/title only in
    ``liveblogs_next``; there a None means the entry has no time or no title)."""

    key: str = ""
    time: str = ""
    title: str = ""
    key_ok: str = ""
    time_ok: str = ""
    title_ok: str = ""

    def cell(self) -> str:
        if not self.key:
            return UNLISTED
        when = self.time[:16].replace("T", " ") + "Z" if self.time else "no time"
        title = self.title if len(self.title) <= 32 else self.title[:31] + "…"
        title = title.replace("|", "\\|") if title else "no title"
        parts = (
            f"`{_short(self.key, 27)}` {self.key_ok}",
            f"{when} {self.time_ok}",
            f"{title} {self.title_ok}",
        )
        return " · ".join(p.strip() for p in parts)

    @property
    def exact(self) -> bool:
        return BAD not in (self.key_ok, self.time_ok, self.title_ok)


def _short(text: str, limit: int) -> str:
    """At most ``limit`` characters; the middle goes, so a URL key keeps host and slug end."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


@dataclass
class Row:
    page: str
    group: str
    strategy: str
    found: int
    expected: int
    first: End = field(default_factory=End)
    last: End = field(default_factory=End)
    timed: int = 0
    titled: int = 0
    bodied: int = 0
    note: str = ""

    @property
    def exact(self) -> bool:
        return self.found == self.expected and self.first.exact and self.last.exact


def same_id(key: str, dom_id: str) -> bool:
    """The entry key is the page's id or a ``-``/``_`` separated part of it: keys take the form
    structured data uses (NDTV ``80`` for ``80_parent``, the Guardian's block id without
    ``block-``)."""
    return key == dom_id or key in re.split(r"[-_]", dom_id)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _end(entry, listed: dict | None, dom_id: str | None) -> End:
    if entry is None:
        return End()
    end = End(key=entry.key, time=entry.published_at or "", title=entry.title)
    if dom_id:
        end.key_ok = OK if same_id(entry.key, dom_id) else BAD
    if listed is not None:  # liveblogs_next: None means the entry has no time / no title
        end.time_ok = OK if _when(entry.published_at) == _when(listed.get("time")) else BAD
        end.title_ok = OK if entry.title == (listed.get("title") or "") else BAD
    return end


def liveblog_row(real: Path, group: str, page: dict) -> Row:
    from crawler.extractors import extract_liveblog
    from crawler.text.cleaning import clean_fragment

    result = extract_liveblog((real / page["file"]).read_bytes(), LOCAL_URL)
    entries = result.entries
    expected = max(page.get("entries_dom") or 0, page.get("entries_jsonld") or 0)
    row = Row(
        page=page["file"].split("/", 1)[0],
        group=group,
        strategy=result.strategy or "refused",
        found=len(entries),
        expected=expected if page.get("is_liveblog", True) else 0,
        timed=sum(1 for e in entries if e.published_at),
        titled=sum(1 for e in entries if e.title),
        bodied=sum(1 for e in entries if clean_fragment(e.body_html or "")),
        note=result.reason,
    )
    if entries:
        row.first = _end(entries[0], page.get("first_entry"), page.get("first_entry_id"))
        row.last = _end(entries[-1], page.get("last_entry"), page.get("last_entry_id"))
    return row


def feed_row(real: Path, feed: dict) -> Row:
    from crawler.feeds.parse import parse_feed

    url = feed.get("url") or feed.get("channel_link") or LOCAL_URL
    result = parse_feed((real / feed["file"]).read_bytes(), url)
    entries = result.entries
    row = Row(
        page=feed["file"].rsplit("/", 1)[-1],
        group="feeds",
        strategy=feed.get("format", "feed"),
        found=len(entries),
        expected=feed.get("items", 0),
        timed=sum(1 for e in entries if e.published_at),
        titled=sum(1 for e in entries if e.title),
        bodied=sum(1 for e in entries if (e.body or "").strip()),
        note=result.error or "",
    )
    if entries:
        row.first, row.last = (
            End(key=e.key, time=e.published_at or "", title=e.title)
            for e in (entries[0], entries[-1])
        )
    return row


def collect(real: Path) -> list[Row]:
    manifest = json.loads((real / "manifest.json").read_text(encoding="utf-8"))
    rows = [liveblog_row(real, g, page) for g in GROUPS for page in manifest.get(g, [])]
    rows += [feed_row(real, feed) for feed in manifest.get("feeds", [])]
    return rows


def render(rows: list[Row]) -> str:
    lines = [
        "| page | manifest key | strategy | entries found / expected | first entry | last entry "
        "| with time · title · body | exact |",
        "|---|---|---|---:|---|---|---:|:-:|",
    ]
    for r in rows:
        count = f"{r.found} / {r.expected}"
        have = f"{r.timed} · {r.titled} · {r.bodied}" if r.found else UNLISTED
        lines.append(
            f"| {r.page} | {r.group} | {r.strategy} | {count} | {r.first.cell()} "
            f"| {r.last.cell()} | {have} | {OK if r.exact else BAD} |"
        )
    exact = sum(r.exact for r in rows)
    lines += [
        "",
        f"{exact} of {len(rows)} pages exact: {OK} as the manifest says, {BAD} not; a field "
        "without a mark is not listed in the manifest. Times in UTC; keys and titles shortened.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", default=str(REAL), help="the real fixtures folder")
    parser.add_argument("--json", action="store_true", help="the rows as JSON")
    args = parser.parse_args()
    real = Path(args.real)
    if not (real / "manifest.json").is_file():
        sys.exit(f"no manifest.json in {real} (the shared fixtures belong beside the checkout)")
    import logging

    logging.disable(logging.WARNING)  # a page's skipped JSON-LD block is not the report's news
    rows = collect(real)
    if args.json:
        print(json.dumps([asdict(r) | {"exact": r.exact} for r in rows], indent=1))
        return
    print(f"Extraction of {real} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n")
    print(render(rows))


if __name__ == "__main__":
    main()
