"""Logging set-up for the CLI and the daemon: plain development lines or JSON lines."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from datetime import UTC, datetime

from crawler.text.terminal import json_line, safe_for_log

# No log line grows with what a page sends (a 1 MB title, key or error text): the message (and
# each field of a JSON line) is cut here, whatever the code that logged it did.
MAX_LINE_CHARS = 2_000


def _cap(text: str) -> str:
    return text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS - 1] + "…"


class TextFormatter(logging.Formatter):
    """Development lines as they are (``NEW source time title url``); other records prefixed."""

    def format(self, record: logging.LogRecord) -> str:
        # Every message is made terminal-safe here, whoever logged it (Scrapy, Twisted, a call
        # site that forgot): a URL or error text from content must not drive the terminal.
        message = _cap(safe_for_log(record.getMessage()))
        if hasattr(record, "development"):
            return message
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{stamp} {record.levelname} {record.name}: {message}"
        if record.exc_info:
            trace = self.formatException(record.exc_info)
            line += "\n" + "\n".join(safe_for_log(part) for part in trace.split("\n"))
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a development's fields are top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        development = getattr(record, "development", None)
        if development:
            payload.update(
                {k: _cap(v) if isinstance(v, str) else v for k, v in development.items()}
            )
        else:
            payload["message"] = _cap(safe_for_log(record.getMessage()))
            for key in ("source", "status", "url"):
                if hasattr(record, key):
                    payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json_line(payload)  # UTF-8, with controls and bidi escaped: no forged lines


def setup_logging(
    fmt: str = "text",
    *,
    level: int = logging.INFO,
    log_file: str | None = None,
    events_to_stdout: bool = False,
    quiet_scrapy: bool = True,
) -> None:
    """stderr (and optionally a rotating file) for everything; ``events_to_stdout`` sends the
    development lines to stdout instead, for one-shot commands whose output is the result."""
    formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    events = logging.getLogger("tickerwatch.events")
    for handler in list(events.handlers):
        events.removeHandler(handler)
    events.propagate = not events_to_stdout
    if events_to_stdout:
        out = logging.StreamHandler(sys.stdout)
        out.setFormatter(formatter)
        events.addHandler(out)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(
            logging.handlers.RotatingFileHandler(log_file, maxBytes=10_000_000, backupCount=5)
        )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    if quiet_scrapy:
        # Scrapy's per-request chatter is not what a monitor's user reads; warnings still show.
        quiet_chatty_loggers()


def quiet_chatty_loggers() -> None:
    """Scrapy's per-request and APScheduler's per-job lines (three per poll) become WARNING+."""
    for name in ("scrapy", "twisted", "py.warnings", "trafilatura", "htmldate", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
