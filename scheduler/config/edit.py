"""``tickerwatch add`` / ``remove``: edit the sources file with tomlkit, keeping the user's comments."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import tomlkit
from tomlkit.items import AoT

from crawler.store.db import source_name_for
from scheduler.config.model import Config, ConfigError, Problem
from scheduler.config.reading import load_config

NEW_FILE_HEADER = """\
# Tickerwatch sources: one [[source]] table per liveblog or feed.
# See `tickerwatch check-config` and the README for every key.

[defaults]
# Without `every`, sources are polled adaptively: often while entries arrive, rarely when quiet.
min_every = "30s"
max_every = "30m"
"""


def add_source(
    path: Path,
    url: str,
    *,
    name: str | None = None,
    every: str | None = None,
    kind: str | None = None,
) -> tuple[Config, str]:
    """Append a [[source]] table; the file is only rewritten if the result validates."""
    text = path.read_text(encoding="utf-8") if path.exists() else NEW_FILE_HEADER
    doc = tomlkit.parse(text)
    table = tomlkit.table()
    name = name or source_name_for(url)
    _refuse_a_second(path, url, name)
    table.add("name", name)
    table.add("url", url)
    if kind and kind != "auto":
        table.add("kind", kind)
    if every:
        table.add("every", every)
    sources = doc.get("source")
    if sources is None:
        doc.append("source", tomlkit.aot())
        sources = doc["source"]
    if not isinstance(sources, AoT):
        raise ConfigError([Problem(path, None, "'source' must be [[source]] tables to add one")])
    sources.append(table)
    return _write_validated(path, tomlkit.dumps(doc)), name


def _refuse_a_second(path: Path, url: str, name: str) -> None:
    """A URL or name the file already has is named with the line it is on, instead of the
    validator's "duplicate … (first at line 8)" about a line 11 that is not in the file."""
    if not path.exists():
        return
    try:
        current = load_config(path)
    except ConfigError:
        return  # the file's own problems are reported by the validation of the result
    for source in current.sources:
        if source.url == url:
            reason = f"already has {url} as source {source.name!r}"
        elif source.name == name:
            reason = f"already has a source named {name!r} ({source.url}); choose another --name"
        else:
            continue
        raise ConfigError([Problem(path, source.line, reason)])


def remove_source(path: Path, name: str) -> Config:
    """Delete the [[source]] called ``name`` (its own comments go with it, the rest stay)."""
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    sources = doc.get("source")
    current = load_config(path)
    wanted = current.source(name)
    if wanted is None or not isinstance(sources, AoT):
        raise KeyError(name)
    # Match by URL too: a table without a name key is named after its URL.
    for index, table in enumerate(sources):
        if table.get("name") == name or (not table.get("name") and table.get("url") == wanted.url):
            del sources[index]
            break
    return _write_validated(path, tomlkit.dumps(doc))


def _write_validated(path: Path, text: str) -> Config:
    """Validate the new text, then replace the file atomically: a reader never sees half a file."""
    config = load_config(path, text=text)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return config
