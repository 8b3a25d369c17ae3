"""The sources file's types: frozen dataclasses, defaults, the keys each table may hold.

Read by ``reading.load_config``, built by the rules (``rules.Validator``); imports nothing of
the package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG = Path("data") / "sources.toml"
DEFAULT_INTERVAL = 60.0
DEFAULT_TIMEOUT = 30.0
MIN_INTERVAL = 10.0
KINDS = ("auto", "liveblog", "feed", "series")
DEFAULT_GRACE = 6 * 3600.0  # a superseded series member is polled this much longer
# Without ``every`` a source is adaptive (scheduler/timing/adaptive.py) between these bounds.
DEFAULT_MIN_EVERY = 30.0
DEFAULT_MAX_EVERY = 30 * 60.0
DEFAULT_ENDED_GRACE = 24 * 3600.0  # an ended liveblog is polled every 6 h this much longer
DEFAULT_ARCHIVE_DAYS = 30.0
LOG_FORMATS = ("text", "json")

# Keys per table; anything else is a typo we refuse rather than silently ignore.
TOP_KEYS = {"log_format", "log_file", "feeds_dir", "archive_days", "defaults", "source"}
DEFAULT_KEYS = {
    "every",
    "min_every",
    "max_every",
    "ended_grace",
    "archive",
    "user_agent",
    "timeout",
    "max_articles",
    "notify",
}
SOURCE_KEYS = DEFAULT_KEYS | {"name", "url", "kind", "site", "match", "grace", "selectors", "auth"}


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[source]]`` table with the ``[defaults]`` merged in."""

    name: str
    url: str
    kind: str = "auto"
    every: float = DEFAULT_INTERVAL
    site: str | None = None
    user_agent: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_articles: int | None = None
    notify: tuple[str, ...] = ()
    match: str | None = None  # kind "series": regular expression for member liveblog URLs
    grace: float = DEFAULT_GRACE  # kind "series": how long a superseded member is still polled
    origin: str | None = None  # series members: the hub whose link this URL is (untrusted)
    series: str | None = None  # series members: the series' name
    selectors: tuple[tuple[str, str], ...] = ()  # [source.selectors]: CSS for an unknown site
    # "user:password", sent as HTTP Basic to this source's own origin only; never shown.
    auth: str | None = field(default=None, repr=False)
    # Adaptive polling: set (from the file) when the source has no fixed ``every``.
    min_every: float | None = None
    max_every: float | None = None
    ended_grace: float = DEFAULT_ENDED_GRACE
    archive: bool = True  # keep changed bodies in the archive (crawler/store/archive.py)
    line: int | None = field(default=None, compare=False)

    @property
    def adaptive(self) -> bool:
        return self.min_every is not None


@dataclass(frozen=True)
class Config:
    path: Path
    sources: tuple[SourceConfig, ...] = ()
    log_format: str = "text"
    log_file: str | None = None
    feeds_dir: str | None = None  # the daemon rewrites <dir>/<name>.atom after developments
    archive_days: float = DEFAULT_ARCHIVE_DAYS

    def source(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line or '?'}: {self.reason}"


class ConfigError(Exception):
    """All problems of one file, so a user fixes them in one go."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def default_config_path() -> Path:
    return Path(os.environ.get("TICKERWATCH_CONFIG") or DEFAULT_CONFIG)


def min_interval() -> float:
    """10 s; TICKERWATCH_MIN_INTERVAL lowers it for the test suite only (not a user setting)."""
    try:
        return float(os.environ.get("TICKERWATCH_MIN_INTERVAL", MIN_INTERVAL))
    except ValueError:
        return MIN_INTERVAL
