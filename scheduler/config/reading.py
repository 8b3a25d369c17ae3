"""Reading the sources file: TOML parsed, then every rule checked (``rules.Validator``)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from scheduler.config.model import Config, ConfigError, Problem
from scheduler.config.rules import Validator


def load_config(path: str | Path, text: str | None = None) -> Config:
    """Read and validate ``path`` (or ``text`` as if it were that file); raise ConfigError."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError([Problem(path, None, f"cannot read: {error.strerror}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise ConfigError([Problem(path, int(match.group(1)) if match else None, reason)]) from None
    return Validator(path, text).config(data)
