"""Config reloads for the daemon: on SIGHUP and when the sources file changes on disk.

A mixin of :class:`scheduler.daemon.service.Daemon`, kept apart so the daemon module holds the polling
loop and this one the rules of a reload: a broken file is reported and the old config keeps
running; added sources start, removed ones (and their series members) stop, changed ones take
their new settings from their next poll.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from crawler.store.sources import unschedule_others
from crawler.text.terminal import safe_for_log
from scheduler.config.model import Config, ConfigError, SourceConfig
from scheduler.config.reading import load_config

logger = logging.getLogger("scheduler.daemon")

WATCH_EVERY = 2.0  # seconds between checks of the config file's mtime


class ConfigReload:
    """Needs from the daemon: config, members, running, reread, store, notifier, on_reload, _place,
    _sync_series, _unschedule, _targets and _signature."""

    def reload(self, reason: str = "reload") -> bool:
        """Apply the config file again; a broken file is reported and the old config kept."""
        self._signature = file_signature(self.config.path)
        try:
            new = load_config(self.config.path)
        except ConfigError as error:
            for problem in error.problems:
                logger.error(
                    "config not reloaded (%s), old config keeps running: %s", reason, problem
                )
            return False
        self.apply(new)
        logger.info("config reloaded (%s): %d sources", reason, len(new.sources))
        return True

    def apply(self, new: Config) -> None:
        old = {s.name: s for s in self.config.sources}
        fresh = {s.name: s for s in new.sources}
        self.config = new
        for name in old.keys() - fresh.keys():
            self._unschedule(name)
            for member in [m for m in self.members.values() if m.series == name]:
                self._unschedule(self.members.pop(member.name).name)
            logger.info("source %s removed", safe_for_log(name))
        for name, source in fresh.items():
            before = old.get(name)
            if before is None:
                logger.info("source %s added", safe_for_log(name))
            if before is not None and _reading(before) != _reading(source):
                self.reread.add(name)  # the next poll extracts even an unchanged page anew
            if name in self.running or before == source:
                continue  # an in-flight poll re-arms with the new settings when it ends
            if before is None or (before.url, before.every) != (source.url, source.every):
                self._place(source, keep_sooner=before is not None and before.url == source.url)
            if source.kind == "series":
                self._sync_series(source)
        followed = [s.url for s in new.sources] + [m.url for m in self.members.values()]
        unschedule_others(self.store, followed)  # status: removed ones
        self.notifier.update_targets(self._targets())
        if self.on_reload is not None:
            self.on_reload(new)

    async def _watch(self) -> None:
        """Reload when the file changes: editors and ``tickerwatch add`` need no SIGHUP."""
        while True:
            await asyncio.sleep(WATCH_EVERY)
            signature = file_signature(self.config.path)
            if signature != self._signature:
                self.reload("file changed")


def _reading(source: SourceConfig) -> tuple:
    """What decides how a source's page is read: a change makes its next poll a full read."""
    return (source.kind, source.site, source.selectors)


def file_signature(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime, stat.st_size)
