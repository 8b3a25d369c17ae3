"""What ``tickerwatch inspect`` shows of one page: each entry's key fields and a preview of its
cleaned body, and the report as text for the terminal."""

from __future__ import annotations

from typing import Any

from crawler.text.terminal import safe_for_log

PREVIEW_CHARS = 160


def entry_view(entry: Any) -> dict:
    """Key fields of one entry and a preview of its cleaned body (as the poll would store it)."""
    from crawler.text.cleaning import clean_fragment

    body = entry.body if entry.body is not None else clean_fragment(entry.body_html or "")
    preview = " ".join(body.split())
    if len(preview) > PREVIEW_CHARS:
        preview = preview[: PREVIEW_CHARS - 1] + "…"
    return {
        "key": entry.key,
        "published_at": entry.published_at,
        "match_minute": entry.match_minute,
        "pinned": bool(entry.pinned),
        "title": entry.title,
        "author": entry.author,
        "url": entry.url,
        "preview": preview,
    }


def report_text(report: dict) -> str:
    """The report as the terminal shows it. Scraped text goes through safe_for_log: a page must
    not drive the user's terminal."""
    out: list[str] = []

    def line(label: str, value: Any) -> None:
        out.append(f"{label:<9}{safe_for_log(str(value))}")

    line("url", report["url"])
    if report["fetched_url"] != report["url"]:
        line("fetched", report["fetched_url"])
    line("page", report.get("page_url") or "-")
    line("kind", report["kind"])
    if report.get("embedded"):
        embedded = report["embedded"]
        line(
            "embedded", f"{embedded['platform']} liveblog {embedded['id']} → {embedded['endpoint']}"
        )
    if not report.get("entries_found"):
        line("result", report.get("reason") or "no entries found")
        return "\n".join(out)
    line("adapter", f"{report['adapter']} (strategy {report['strategy']})")
    line("because", report["chosen_because"])
    counts = f"{report['entries_found']}"
    if report.get("deleted_by_platform"):
        counts += f" ({report['deleted_by_platform']} more the platform marks deleted)"
    if report["dom_count"] is not None:
        counts += (
            f" ({report['dom_count']} from the page markup,"
            f" {report['structured_count']} from structured data; {report['pinned']} pinned)"
        )
    line("entries", counts)
    for note in report.get("provenance") or ():
        line("fields", note)
    shown = report["entries"]
    if shown:
        out.append(f"\nfirst {len(shown)} of {report['entries_found']}:")
    for number, entry in enumerate(shown):
        flags = "  PINNED" if entry["pinned"] else ""
        when = entry["published_at"] or (
            f"minute {entry['match_minute']}'" if entry.get("match_minute") else "-"
        )
        out.append(f"[{number}] {safe_for_log(entry['key'])}  {when}{flags}")
        out.append(f"    {safe_for_log(entry['title'], limit=200) or '-'}")
        if entry["preview"]:
            out.append(f"    {safe_for_log(entry['preview'])}")
    return "\n".join(out)
