"""Scrapy settings for Tickerwatch: one long-lived crawler that polls, so no retries and no robots fetch per poll."""

BOT_NAME = "tickerwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "Tickerwatch/0.1 (liveblog monitor; +https://github.com/tickerwatch/tickerwatch)"
# A monitor polls pages its operator named, like a browser tab that reloads; the next poll is
# the retry, so Scrapy's own retries would only double the load on a struggling site.
ROBOTSTXT_OBEY = False
RETRY_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts an HTTP server that runs Python code sent to it; a daemon must not.
REMOTE_CONTROL_ENABLED = False
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
DNS_TIMEOUT = 15
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SourceStateMiddleware": 550,
}
ITEM_PIPELINES = {
    "crawler.pipelines.CleanPipeline": 100,
    "crawler.pipelines.StorePipeline": 200,
    "crawler.pipelines.ReportPipeline": 300,
}
EXTENSIONS = {
    # Per-minute "Crawled N pages" lines are noise in a daemon that runs for weeks.
    "scrapy.extensions.logstats.LogStats": None,
}

# Tickerwatch's own settings.
TICKERWATCH_DB = None  # None: TICKERWATCH_DB environment variable, else data/tickerwatch.db
TICKERWATCH_MAX_ARTICLES = 10  # article fetches per feed poll, for new items only
TICKERWATCH_BASELINE_SUMMARY = False  # True in the daemon: first poll logs one summary line
