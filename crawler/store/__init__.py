"""Every SQL statement: the schema and its migrations (``schema``), the Store (``db``),
recording a poll (``recording``), read-only queries (``queries``), the notification outbox,
the daemon's source bookkeeping (``sources``, ``pace``), the page archive and re-extraction's
corrections, and the datasette metadata with its canned queries (``browse``).

May import ``crawler.diff``, ``crawler.items``, ``crawler.memo`` and ``crawler.text``; never
spiders, pipelines, extractors or feeds. No module outside this package runs SQL.
"""
