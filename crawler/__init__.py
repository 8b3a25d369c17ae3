"""Tickerwatch's Scrapy project: one poll of one URL, from the request to the committed
developments (docs/architecture.md has the flow and the layering).

Scrapy's own places (settings, items, pipelines, middlewares, extensions, spiders/) may import
any part below them; the stages (extractors/, feeds/, diff/, store/, net/) import only the shared
types (items, memo, meta) and text/; text/ imports nothing of crawler. Never ``scheduler``.
"""
