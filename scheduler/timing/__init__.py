"""When a source is next due: jitter, backoff and Retry-After (``schedule``), wall-clock jumps
(``clock``), adaptive intervals (``adaptive``, pure) and their stored state and reasons (``pacing``),
a series' members (``series``) and the workers' buckets and ticks (``ticks``). The daemon and the
PostgreSQL workers both run on these, so a source is paced and a series followed alike.

May import ``scheduler.config`` and ``crawler``; never the daemon, the workers or the CLI.
"""
