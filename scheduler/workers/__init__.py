"""``tickerwatch worker``: N processes polling the sources on PostgreSQL, through Procrastinate.

PostgreSQL is the only coordinator: Procrastinate (a PostgreSQL job queue) supplies the
queue, PostgreSQL's session advisory locks tell live workers from dead ones:

- ``dispatch`` is a periodic task: every worker runs Procrastinate's periodic deferrer, and
  the database defers it once per tick (``procrastinate_periodic_defers`` is unique on the
  task and the tick's timestamp).
- ``dispatch`` defers one ``poll_bucket(bucket, tick)`` per bucket that holds sources, with
  ``queueing_lock`` and ``lock`` ``bucket:<n>``: a bucket has at most one waiting and one
  running job.
- A running job holds a PostgreSQL session advisory lock (its bucket's, or its tick's for
  ``dispatch``) on a connection of its worker, and polls only while it holds it: two polls of
  one source never overlap, whoever runs them. A dead worker's session ends and frees its
  locks; every worker looks each second for running jobs whose lock is free and puts them
  back in the queue, so another worker finishes the bucket within seconds (``takeover``).
  Procrastinate's heartbeat rule stays as a fallback; a silent worker whose session lives
  (stopped, hung) keeps its buckets.
- A poll's transaction starts with a compare-and-set on ``sources.last_tick``
  (crawler/store/recording.py): the effect of a poll happens once per tick whichever worker
  committed it; a second commit for the tick rolls back.

Each worker keeps one long-lived Scrapy engine (scheduler/engine.py) on the asyncio loop that
also runs the Procrastinate worker (scheduler/reactor.py). The sources file stays the source of
truth: every worker reads it, syncs it into the database at start and on SIGHUP.

No worker remembers anything about a source between polls: the one that committed a poll
paces it (scheduler/timing/pacing.py, reading the source back from the database) and, for a
series hub, registers its new members; every worker reads the members once per tick, so a
bucket's sources are its configured ones plus the members the database lists there.

Every worker also drains the notification outbox (scheduler/notify.py) in a thread with its
own connection; a delivery is claimed by its insert, so each development is sent once per
target whichever worker committed it and whichever one sends it.

Modules: ``runtime`` (what one worker holds and how it polls a bucket), ``app`` (the
Procrastinate app and its tasks), ``locks`` (the lock each running job holds), ``takeover``
(the watch for dead workers' jobs), ``run`` (the process: start, reconnect, SIGHUP, stop).
Logs as ``scheduler.workers``. May import ``scheduler.timing``, ``scheduler.config``,
``scheduler.notify``, ``scheduler.engine`` and ``crawler``; only the CLI imports it.
"""
