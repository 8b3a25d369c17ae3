"""The monitor daemon: ``service`` (APScheduler driving one long-lived crawler), and what it
keeps beside the polls: failure streaks (``degraded``), config reloads, series, archive
retention and the one-daemon-per-database lock.

Logs as ``scheduler.daemon``. May import ``scheduler.timing``, ``scheduler.render``,
``scheduler.config``, ``scheduler.engine`` and ``crawler``; only the CLI and the demo import it.
"""
