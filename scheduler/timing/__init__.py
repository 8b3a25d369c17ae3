"""When a source is next due: jitter, backoff and Retry-After (``schedule``), wall-clock jumps
(``clock``), adaptive intervals (``adaptive``, pure) and their stored state and reasons (``pacing``).

May import ``scheduler.config`` and ``crawler``; never the daemon or the CLI.
"""
