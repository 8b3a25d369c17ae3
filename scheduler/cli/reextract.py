"""``tickerwatch reextract NAME``: today's extractors over the archived pages (crawler/reextraction.py)."""

from __future__ import annotations

import click

from crawler.reextraction import ReextractError, reextract
from crawler.store.corrections import Correction
from crawler.text.terminal import safe_for_log
from scheduler.cli.archive import open_db, parse_when


def describe(c: Correction) -> str:
    """One line per change, as ``--dry-run`` prints it (and a real run too)."""
    title = safe_for_log(c.entry.title or (c.entry.body or "")[:80], limit=90)
    if c.action == "add":
        return f"ADD {safe_for_log(c.entry.key)} first seen {c.first_seen_at}: {title}"
    old = c.stored
    parts = []
    for name in c.fields:
        if name == "title":
            parts.append(f"title {safe_for_log(old.title or '', limit=60)!r} -> {title!r}")
        elif name == "published_at":
            parts.append(f"published_at {old.published_at} -> {c.published_at}")
        elif name == "first_seen_at":
            parts.append(f"first_seen_at {old.first_seen_at} -> {c.first_seen_at}")
        elif name == "removed_at":
            parts.append("live again (on the newest page)")
        else:
            parts.append(name)
    return f"CORRECT {safe_for_log(c.entry.key)}: " + "; ".join(parts)


@click.command("reextract")
@click.argument("name")
@click.option("--since", help="Only pages fetched since this time (ISO, or a duration ago: 2d).")
@click.option("--site", help="Force one extractor (see `tickerwatch sites`); default: by markup.")
@click.option("--dry-run", is_flag=True, help="Print what would change and change nothing.")
@click.pass_obj
def reextract_command(
    obj: dict, name: str, since: str | None, site: str | None, dry_run: bool
) -> None:
    """Replay the archived pages of NAME through today's extractors and correct the entries.

    Missed entries are added with the time they were first on the page; wrong titles, texts
    and times become revisions marked as re-extraction, never reported or notified.
    """
    store = open_db(obj["db"])
    try:
        plan = reextract(
            store,
            name,
            since=parse_when(since, "--since") if since else None,
            site=site,
            dry_run=dry_run,
        )
    except (ReextractError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()
    for correction in plan.corrections:
        click.echo(describe(correction))
    verb = "would add" if dry_run else "added"
    click.echo(
        f"{safe_for_log(name)}: {plan.pages} archived pages replayed ({plan.failed_pages} without "
        f"entries), {plan.found} entries found; {verb} {plan.added}, "
        f"{'would correct' if dry_run else 'corrected'} {plan.corrected}; "
        f"{plan.not_found} stored entries not found again (left as they are)"
    )


COMMANDS = (reextract_command,)
