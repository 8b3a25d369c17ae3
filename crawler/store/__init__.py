"""Every SQL statement: the schema and its migrations, the Store, recording a poll, queries,
the notification outbox, the daemon's source bookkeeping and the datasette metadata with its
canned queries (``browse``).

May import ``crawler.diff``, ``crawler.items`` and ``crawler.text``; never spiders, pipelines,
extractors or feeds. No module outside this package runs SQL.
"""
