"""Tickerwatch's Scrapy project: spiders, extraction, cleaning, diffing and storage of liveblog entries."""
