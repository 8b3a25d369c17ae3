"""Spiders: ``poll`` serves the daemon (requests come from scheduler/engine.py); ``liveblog``
and ``feed`` poll one URL for ``scrapy crawl``. Response in, one PollItem out: a spider reads the
request's SourceState and never the database.

May import any part of crawler below it (extractors, feeds, net, store for ``utcnow``, items,
meta, text); never pipelines, middlewares or ``scheduler``.
"""
