"""Feed parsing: sniffing, the lxml fast path, feedparser, JSON Feed, items, dates, articles, hub links.

``parse.parse_feed`` is the entry point. May import ``crawler.items``, ``crawler.memo`` and
``crawler.text``; never the store, the diff, spiders or pipelines.
"""
