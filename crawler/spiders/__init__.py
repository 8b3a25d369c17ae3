"""Spiders: ``liveblog`` and ``feed`` poll one URL (``scrapy crawl``); ``poll`` serves the daemon."""
