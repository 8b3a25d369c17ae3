"""The log line for each committed development: ``NEW <source> <published_at> <text> <url>``.

Lines go to the ``tickerwatch.events`` logger with the development attached as ``extra``, so the
CLI's formatter can print either the text line or one JSON object per line.
"""

from __future__ import annotations

import logging

from crawler.items import Development, PollItem, RecordedPoll
from crawler.text.terminal import safe_for_log

events_logger = logging.getLogger("tickerwatch.events")
logger = logging.getLogger(__name__)


def development_line(source: str, development: Development) -> str:
    """Scraped text is escaped here: a title must never forge a log line or drive a terminal.

    The text is the development's ``text`` (the title, else the start of the body: see
    ``entry_text``, filled in where developments are read from the store), ``-`` only when the
    entry has neither."""
    parts = [
        development.event.upper(),
        safe_for_log(source),
        development.published_at or "-",
        safe_for_log(development.text or development.title, limit=200) or "-",
        safe_for_log(development.url),
    ]
    if development.change:  # a CHANGED line says what the edit did (crawler/diff/words.py)
        parts.append(safe_for_log(development.change, limit=160))
    return " ".join(parts)


def baseline_line(source: str, entries: int, strategy: str | None) -> str:
    """One line for a source's first healthy poll (the daemon's log, ``poll`` and ``tail``)."""
    return (
        f"BASELINE {safe_for_log(source)} {entries} entries (strategy {strategy or '-'}), "
        "future developments will be reported"
    )


def report_poll(item: PollItem, recorded: RecordedPoll, *, baseline_summary: bool) -> None:
    source = recorded.source_name
    episode = recorded.episode
    if recorded.status == "suspicious":
        # A layout change looks like this: say what the operator should look at, once per
        # episode (crawler/diff/health.py); the polls that follow while it lasts log at DEBUG only.
        found = recorded.found or ("nothing" if not item.entries else "too few entries")
        logger.log(
            logging.DEBUG if episode == "continues" else logging.WARNING,
            "SUSPICIOUS extractor found %s for %s (adapter %s, %s): %s; nothing removed",
            found,
            safe_for_log(source),
            safe_for_log(recorded.adapter or "-"),
            safe_for_log(item.source_url),
            safe_for_log(recorded.warning or "unknown"),
            extra={"source": source, "status": recorded.status, "url": item.source_url},
        )
    elif episode == "recovered":
        logger.info(
            "extractor recovered for %s (adapter %s): %d entries",
            safe_for_log(source),
            safe_for_log(recorded.adapter or "-"),
            len(item.entries),
            extra={"source": source, "status": recorded.status, "url": item.source_url},
        )
    elif recorded.status == "error":
        logger.warning(
            "%s %s (%s): %s",
            recorded.status.upper(),
            safe_for_log(source),
            safe_for_log(item.source_url),
            safe_for_log(recorded.warning or item.error or "unknown error"),
            extra={"source": source, "status": recorded.status, "url": item.source_url},
        )
    if item.quiet:
        return
    summary = {
        "development": {
            "event": "baseline",
            "source": source,
            "entries": len(item.entries),
            "strategy": item.strategy,
        }
    }
    if baseline_summary and recorded.baseline:
        events_logger.info(baseline_line(source, len(item.entries), item.strategy), extra=summary)
        return
    for development in recorded.developments:
        payload = {"source": source, **development.as_dict()}
        events_logger.info(development_line(source, development), extra={"development": payload})
    if recorded.baseline:  # `poll` shows each entry of a first poll, then names it a baseline
        events_logger.info(baseline_line(source, len(item.entries), item.strategy), extra=summary)
