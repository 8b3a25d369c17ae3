"""Feed parsing, followed in one direction: ``parse`` (sniffing, safety checks, the entry points
``parse_feed`` and ``complete_item``) → ``fast`` (lxml, plain RSS 2.0 / Atom 1.0, via
``shape``), feedparser or ``jsonfeed`` → ``items`` (one entry into an EntryItem) → ``dates``.
Beside them: ``articles`` (full text of a new item's page) and ``hublinks`` (a series hub page).

May import ``crawler.items``, ``crawler.memo`` and ``crawler.text``; never the store, the diff,
spiders or pipelines.
"""
