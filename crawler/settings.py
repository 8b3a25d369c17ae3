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
# Each poll yields exactly one item; Scrapy starts this many asyncio workers per response to
# process callback output, so the default of 100 cost a quarter of an unchanged poll's CPU.
CONCURRENT_ITEMS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 8
# Polls handed to Scrapy at once (scheduler/engine.py); the rest wait in the engine, where
# waiting is cheap and no timeout runs. Below CONCURRENT_REQUESTS, so that article fetches of
# feed polls in flight still find a download slot.
TICKERWATCH_POLLS_IN_FLIGHT = 48
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
DNS_TIMEOUT = 15
LOG_LEVEL = "INFO"

# Scrapy does not verify TLS certificates by default; a monitor must not silently accept a
# forged page. Verification uses the platform trust store (twisted's optionsForClientTLS).
DOWNLOAD_VERIFY_CERTIFICATES = True
# A partial body (connection lost, short Content-Length, broken chunking) fails the poll
# instead of reaching extraction, where missing entries would look like deletions.
DOWNLOAD_FAIL_ON_DATALOSS = True
# <meta http-equiv="refresh"> on a news page is an auto-reload, not a move; following it sends
# a poll in circles (or, from untrusted content, anywhere). The page itself is what we poll.
METAREFRESH_ENABLED = False
# Only http(s) is ever polled: no s3 (credentials from the environment) and no ftp handler.
# http(s) only, everywhere: even a URL the operator wrote never reads a file (docs/security.md).
DOWNLOAD_HANDLERS = {
    "s3": None,
    "ftp": None,
    "file": None,
    "data": None,
    # Scrapy's HTTP/1.1 handler with a cap on response headers (count and total size).
    "http": "crawler.net.download.BoundedHTTPDownloadHandler",
    "https": "crawler.net.download.BoundedHTTPDownloadHandler",
}
# TICKERWATCH_MAX_HEADER_BYTES (256 KiB) and TICKERWATCH_MAX_HEADERS (256) override its caps.

# A poll is one request and one item, so each middleware, extension and signal receiver is a
# measurable share of an unchanged poll (bench/README.md): everything a poll does not use is off.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,  # no allowed_domains
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,  # no spider credentials
    # The same redirects without the Referer logic (and Scrapy's warning that it is missing).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.RedirectWithoutReferer": 600,
    "crawler.middlewares.SourceStateMiddleware": 550,
    "crawler.middlewares.EmbedMiddleware": 560,  # after the state it reads
    # Next to the downloader: its process_response sees the connected peer address before
    # decompression (590) and redirects (600) touch the response.
    "crawler.middlewares.NetPolicyMiddleware": 950,
}
DOWNLOADER_STATS = False
SPIDER_MIDDLEWARES = {
    # Every status reaches the callback (handle_httpstatus_list), polls yield no requests to
    # filter by depth or URL length, and a poll sends no Referer.
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
ITEM_PIPELINES = {
    "crawler.pipelines.CleanPipeline": 100,
    "crawler.pipelines.StorePipeline": 200,
    "crawler.pipelines.ReportPipeline": 300,
}
EXTENSIONS = {
    # The database connection: opened with the crawler, closed on spider_closed.
    "crawler.extensions.StoreExtension": 100,
    # Per-response counters nobody reads in a daemon (our own counts are in the database).
    "scrapy.extensions.corestats.CoreStats": None,
    # Per-minute "Crawled N pages" lines are noise in a daemon that runs for weeks.
    "scrapy.extensions.logstats.LogStats": None,
}

# Tickerwatch's own settings.
TICKERWATCH_DB = None  # None: TICKERWATCH_DB environment variable, else data/tickerwatch.db
# False: no database at all (`sites inspect` only downloads); the store's users are then off.
TICKERWATCH_STORE_ENABLED = True
TICKERWATCH_MAX_ARTICLES = 10  # article fetches per feed poll, for new items only
TICKERWATCH_BASELINE_SUMMARY = False  # True in the daemon: first poll logs one summary line
TICKERWATCH_EMBED_RECHECK = 3600  # s: an embedded liveblog's page is re-read this often
# The SSRF guard (crawler/net/policy.py); both also read from the environment of the same name.
TICKERWATCH_ALLOW_PRIVATE_NETWORKS = False  # content may lead to loopback/private addresses
TICKERWATCH_STRICT_NETWORK = False  # refuse private addresses even in the operator's own URLs
