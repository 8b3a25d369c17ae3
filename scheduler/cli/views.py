"""The tables of ``entries``, ``status`` and ``sources``: which columns, in what order, how shown."""

from __future__ import annotations

from datetime import tzinfo

from crawler.text.terminal import entry_text, safe_for_log
from scheduler.cli.tables import Column, echo_table
from scheduler.render.display import show_time

TITLE_FALLBACK = 120  # characters of the body shown for an entry without a title


def entries_table(rows: list[dict], zone: tzinfo) -> None:
    columns = (
        Column("PUBLISHED"),
        Column("SOURCE", flex=2, middle=True, min_width=20),
        Column("REV"),
        Column("TITLE", flex=3, min_width=16),
        Column("URL", flex=1, middle=True, min_width=10),
    )
    cells = []
    for row in rows:
        flags = (" removed" if row["removed_at"] else "") + (" pinned" if row["pinned"] else "")
        title = entry_text(row["title"], row["body"], TITLE_FALLBACK)
        cells.append(
            (
                show_time(row["published_at"] or row["first_seen_at"], zone),
                safe_for_log(row["source"]),
                f"r{row['revision']}{flags}",
                safe_for_log(title) or "-",
                safe_for_log(row["url"] or "-"),
            )
        )
    echo_table(columns, cells)


def status_table(rows: list[dict], zone: tzinfo) -> None:
    columns = (
        Column("SOURCE", flex=1, middle=True, min_width=16),
        Column("LAST POLL"),
        Column("STATUS"),
        Column("NEXT DUE"),
        Column("ERRORS"),
        Column("LIVE"),
        Column("EVERY"),
        Column("WHY", flex=1, min_width=12),
    )
    cells = [
        (
            safe_for_log(row["name"]),
            show_time(row["last_poll"], zone, empty="never"),
            row["last_status"] or "-",
            show_time(row["next_due"], zone),
            str(row["error_streak"]),
            str(row["live_entries"]),
            *_pace(row),
        )
        for row in rows
    ]
    echo_table(columns, cells)


def _pace(row: dict) -> tuple[str, str]:
    """The effective interval of an adaptive source and why (scheduler/timing/adaptive.py)."""
    from scheduler.timing.adaptive import span

    every = row.get("poll_every")
    why = row.get("poll_reason") or ""
    if row.get("ended_at") and not why.startswith("ended"):
        why = f"ended at {row['ended_at']}: {row.get('ended_reason') or ''}"
    return (span(every) if every else "-", safe_for_log(why) or "-")


def sources_table(rows: list[dict], zone: tzinfo) -> None:
    columns = (
        Column("NAME", flex=1, middle=True, min_width=16),
        Column("URL", flex=2, middle=True, min_width=20),
        Column("KIND"),
        Column("CONFIG"),
        Column("LIVE"),
        Column("LAST POLL"),
    )
    cells = [
        (
            safe_for_log(row["name"]),
            safe_for_log(row["url"]),
            row["kind"],
            row["in_config"],
            str(row["live_entries"]),
            show_time(row["last_poll"], zone, empty="never"),
        )
        for row in rows
    ]
    echo_table(columns, cells)
