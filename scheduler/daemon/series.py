"""Following a liveblog series in the daemon: each hub poll starts the series' new members and
stops those whose grace is over (the rules: scheduler/timing/series.py)."""

from __future__ import annotations

import logging

from crawler.text.terminal import safe_for_log
from scheduler.config.model import SourceConfig
from scheduler.timing.series import follow

logger = logging.getLogger("scheduler.daemon")


class SeriesFollowing:
    """A mixin of :class:`scheduler.daemon.service.Daemon`: each hub poll starts the series'
    new members and retires those whose grace is over (kept apart like ``ConfigReload``)."""

    def _sync_series(self, series: SourceConfig) -> None:
        """Start polling newly discovered members; stop those whose grace period is over."""
        configured = [s.url for s in self.config.sources]
        found, active, retired = follow(self.store, series, configured, self.pacer)
        for url in found:
            logger.info("series %s: following %s", safe_for_log(series.name), safe_for_log(url))
        for member in active:
            if self.members.get(member.name) != member:
                self.members[member.name] = member
                self._place(member)
        for name in retired:
            if self.members.pop(name, None) is not None:
                self._unschedule(name)
                logger.info(
                    "series %s: grace period over, no longer polling %s",
                    safe_for_log(series.name),
                    safe_for_log(name),
                )
        self.notifier.update_targets(self._targets())
