"""The rules of the sources file: which keys, values and combinations are valid, with lines.

They build the types of scheduler/config/model.py; scheduler/config/reading.py runs them.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.net.policy import redact_url, source_url_problem
from crawler.store.db import source_name_for
from scheduler.config.durations import parse_duration
from scheduler.config.lines import LineIndex
from scheduler.config.model import (
    DEFAULT_ARCHIVE_DAYS,
    DEFAULT_KEYS,
    DEFAULT_MAX_EVERY,
    DEFAULT_MIN_EVERY,
    KINDS,
    LOG_FORMATS,
    SOURCE_KEYS,
    TOP_KEYS,
    Config,
    ConfigError,
    Problem,
    SourceConfig,
    min_interval,
)


class Validator:
    """Every rule of the sources file; problems are collected, with their lines, not raised one by one."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = LineIndex(text)
        self.problems: list[Problem] = []

    def fail(self, line: int | None, reason: str) -> None:
        self.problems.append(Problem(self.path, line, reason))

    def config(self, data: dict[str, Any]) -> Config:
        for key in sorted(set(data) - TOP_KEYS):
            self.fail(self.lines.key(None, 0, key), f"unknown key {key!r}")
        log_format = data.get("log_format", "text")
        if log_format not in LOG_FORMATS:
            self.fail(self.lines.key(None, 0, "log_format"), "log_format must be text or json")
        log_file = data.get("log_file") or None
        if log_file is not None and not isinstance(log_file, str):
            self.fail(self.lines.key(None, 0, "log_file"), "log_file must be a path")
        feeds_dir = data.get("feeds_dir") or None
        if feeds_dir is not None and not isinstance(feeds_dir, str):
            self.fail(self.lines.key(None, 0, "feeds_dir"), "feeds_dir must be a directory path")
            feeds_dir = None
        defaults = data.get("defaults", {})
        if not isinstance(defaults, dict):
            self.fail(self.lines.key(None, 0, "defaults"), "defaults must be a table")
            defaults = {}
        for key in sorted(set(defaults) - DEFAULT_KEYS):
            self.fail(self.lines.key("defaults", 0, key), f"unknown key {key!r} in [defaults]")
        base = self.settings(defaults, "defaults", 0)
        self.pacing_keys(defaults, "defaults", 0)
        self.default_every = "every" in defaults
        archive_days = data.get("archive_days", DEFAULT_ARCHIVE_DAYS)
        if isinstance(archive_days, bool) or not isinstance(archive_days, int | float):
            self.fail(self.lines.key(None, 0, "archive_days"), "archive_days: a number of days")
            archive_days = DEFAULT_ARCHIVE_DAYS
        elif archive_days < 0:
            self.fail(self.lines.key(None, 0, "archive_days"), "archive_days: not negative")
        tables = data.get("source", [])
        if not isinstance(tables, list):
            self.fail(self.lines.key(None, 0, "source"), "use [[source]] tables for sources")
            tables = []
        sources = [self.source(table, i, base) for i, table in enumerate(tables)]
        self.unique(sources, "name")
        self.unique(sources, "url")
        self.check_notify(sources)
        if self.problems:
            raise ConfigError(self.problems)
        return Config(
            self.path, tuple(sources), log_format, log_file, feeds_dir, float(archive_days)
        )

    def settings(self, table: dict, section: str, index: int) -> dict:
        """The settings that [defaults] and [[source]] share, converted and checked."""
        out: dict = {}
        for key in ("every", "min_every", "max_every"):
            if key not in table:
                continue
            line = self.lines.key(section, index, key)
            try:
                out[key] = parse_duration(table[key])
            except ValueError as error:
                self.fail(line, f"{key}: {error}")
            else:
                if out[key] < min_interval():
                    self.fail(
                        line,
                        f"{key}: {table[key]!r} is below the minimum of {min_interval():g}s",
                    )
        if "ended_grace" in table:
            try:
                out["ended_grace"] = parse_duration(table["ended_grace"])
            except ValueError as error:
                self.fail(self.lines.key(section, index, "ended_grace"), f"ended_grace: {error}")
        if "archive" in table:
            if not isinstance(table["archive"], bool):
                self.fail(self.lines.key(section, index, "archive"), "archive: true or false")
            else:
                out["archive"] = table["archive"]
        if "timeout" in table:
            try:
                out["timeout"] = parse_duration(table["timeout"])
                if out["timeout"] <= 0:
                    raise ValueError("must be positive")
            except ValueError as error:
                self.fail(self.lines.key(section, index, "timeout"), f"timeout: {error}")
        if "max_articles" in table:
            value = table["max_articles"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.fail(
                    self.lines.key(section, index, "max_articles"), "max_articles: not a count"
                )
            else:
                out["max_articles"] = value
        if "user_agent" in table:
            value = table["user_agent"]
            if not isinstance(value, str) or not value.strip() or "\n" in value:
                self.fail(
                    self.lines.key(section, index, "user_agent"), "user_agent: one line of text"
                )
            else:
                out["user_agent"] = value.strip()
        if "notify" in table:
            value = table["notify"]
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                self.fail(
                    self.lines.key(section, index, "notify"), "notify: a URL or a list of URLs"
                )
            else:
                out["notify"] = tuple(value)
        return out

    def source(self, table: Any, index: int, base: dict) -> SourceConfig:
        header = self.lines.table("source", index)
        if not isinstance(table, dict):
            self.fail(header, "a source must be a table")
            return SourceConfig(name=f"#{index}", url="", line=header)
        for key in sorted(set(table) - SOURCE_KEYS):
            self.fail(self.lines.key("source", index, key), f"unknown key {key!r} in [[source]]")
        url = table.get("url")
        problem = (
            source_url_problem(url) if isinstance(url, str) else "need an absolute http(s) URL"
        )
        if problem:
            line = self.lines.key("source", index, "url") if "url" in table else header
            shown = redact_url(url) if isinstance(url, str) else url
            self.fail(line, f"bad or missing url {shown!r}: {problem}")
            url = url if isinstance(url, str) and "@" not in url else ""
        name = table.get("name") or (source_name_for(url) if url else f"#{index}")
        if not isinstance(name, str) or not name.strip():
            self.fail(self.lines.key("source", index, "name"), "name must be text")
            name = f"#{index}"
        kind = table.get("kind", "auto")
        if kind not in KINDS:
            self.fail(self.lines.key("source", index, "kind"), f"kind must be one of {KINDS}")
        site = table.get("site")
        if site is not None:
            known = _site_names()
            if not isinstance(site, str) or (known and site not in known):
                line = self.lines.key("source", index, "site")
                self.fail(line, f"unknown site {site!r}; known: {', '.join(known)}")
        merged = {**base, **self.settings(table, "source", index), **self.series(table, index)}
        if "auth" in table:
            auth = table["auth"]
            if not isinstance(auth, str) or ":" not in auth or any(c in auth for c in "\r\n"):
                line = self.lines.key("source", index, "auth")
                self.fail(line, 'auth must be "user:password" (HTTP Basic), on one line')
            else:
                merged["auth"] = auth
        self.pacing_keys(table, "source", index)
        self.pacing(merged, table, header)
        if "selectors" in table:
            merged["selectors"] = self.selectors(table["selectors"], index)
        if kind == "series" and "match" not in merged:
            self.fail(header, 'a series needs match = "<regular expression for its liveblog URLs>"')
        return SourceConfig(name=name.strip(), url=url, kind=kind, site=site, line=header, **merged)

    def pacing_keys(self, table: dict, section: str, index: int) -> None:
        """``every`` is a fixed interval; ``min_every``/``max_every`` bound an adaptive one."""
        if "every" in table and {"min_every", "max_every"} & set(table):
            self.fail(
                self.lines.key(section, index, "every"),
                "every is a fixed interval: give either every or min_every/max_every",
            )

    def pacing(self, merged: dict, table: dict, line: int | None) -> None:
        """Fixed when the source (or [defaults], unless the source bounds its own) says
        ``every``; otherwise adaptive between min_every and max_every (scheduler/timing/adaptive.py)."""
        own_bounds = bool({"min_every", "max_every"} & set(table))
        if "every" in table or (self.default_every and not own_bounds):
            merged.pop("min_every", None)
            merged.pop("max_every", None)
            return
        merged.setdefault("min_every", DEFAULT_MIN_EVERY)
        merged.setdefault("max_every", DEFAULT_MAX_EVERY)
        merged.pop("every", None)
        if merged["max_every"] < merged["min_every"]:
            self.fail(line, "max_every is below min_every")
            merged["max_every"] = merged["min_every"]
        merged["every"] = merged["min_every"]

    def selectors(self, value: Any, index: int) -> tuple[tuple[str, str], ...]:
        """``[source.selectors]``: CSS for entry, title, body, time@attr … checked by building
        the adapter now, so a typo fails at start-up and not on the first poll."""
        from crawler.extractors.custom import custom_adapter

        line = self.lines.key("source", index, "selectors")
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            self.fail(line, "selectors must be a table of CSS strings")
            return ()
        try:
            custom_adapter(value)
        except ValueError as error:
            self.fail(line, f"selectors: {error}")
            return ()
        return tuple(sorted(value.items()))

    def series(self, table: dict, index: int) -> dict:
        """``match`` and ``grace``, which only a ``kind = "series"`` source may have."""
        out: dict = {}
        for key in ("match", "grace"):
            if key in table and table.get("kind") != "series":
                self.fail(
                    self.lines.key("source", index, key), f'{key} is only for kind = "series"'
                )
        if "match" in table:
            line = self.lines.key("source", index, "match")
            try:
                re.compile(table["match"])
            except (re.error, TypeError) as error:
                self.fail(line, f"match: not a regular expression ({error})")
            else:
                out["match"] = table["match"]
        if "grace" in table:
            try:
                out["grace"] = parse_duration(table["grace"])
            except ValueError as error:
                self.fail(self.lines.key("source", index, "grace"), f"grace: {error}")
        return out

    def unique(self, sources: list[SourceConfig], attr: str) -> None:
        seen: dict[str, SourceConfig] = {}
        for source in sources:
            value = getattr(source, attr)
            if value and value in seen:
                first = seen[value].line
                self.fail(source.line, f"duplicate source {attr} {value!r} (first at line {first})")
            seen.setdefault(value, source)

    def check_notify(self, sources: list[SourceConfig]) -> None:
        targets = {(url, s.line) for s in sources for url in s.notify}
        if not targets:
            return
        if importlib.util.find_spec("apprise") is None:
            line = min(line or 0 for _, line in targets) or None
            self.fail(line, "notify needs apprise: pip install 'tickerwatch[notify]'")
            return
        import apprise

        for url in sorted({url for url, _ in targets}):
            if not apprise.Apprise().add(url):
                line = next((ln for u, ln in targets if u == url), None)
                self.fail(line, f"notify: apprise does not understand {_redact(url)!r}")


def _redact(url: str) -> str:
    """Notification URLs carry tokens: name the scheme and host only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def _site_names() -> tuple[str, ...]:
    try:
        from crawler.extractors import NAMES
    except Exception:  # extractors broken mid-edit must not block the config check
        return ()
    return tuple(NAMES)
