"""The ``request.meta`` keys of a poll, defined once; who writes each and who reads it.

A poll request carries ``SOURCE_URL`` (that is what makes it a poll, and the operator's own
URL for the network policy); the spider's ``poll_request`` writes the rest of the poll's
parameters, ``SourceStateMiddleware`` adds ``STATE`` and ``BODY_HASH``.
"""

SOURCE_URL = "tw_source_url"  # the configured URL: marks a poll request (spiders/base.py)
KIND = "tw_kind"  # "auto" | "liveblog" | "feed" | "hub"
SOURCE_NAME = "tw_source_name"
SITE = "tw_site"  # an extractor forced by name
SELECTORS = "tw_selectors"  # the config's own selectors for this source
TICK = "tw_tick"  # a PostgreSQL worker's tick: the poll commits once per tick (store/recording.py)
TOKEN = "tw_token"  # matches the stored PollItem to its request (scheduler/engine.py)
STARTED_AT = "tw_started_at"
MAX_ARTICLES = "tw_max_articles"  # article fetches for a feed's new items
ORIGIN = "tw_origin"  # the source a content-supplied URL came from (network policy)
ORIGIN_IP = "tw_origin_ip"  # the address the source's own poll connected to (network policy)
UNTRUSTED = "tw_untrusted"  # a poll whose URL content supplied (a series member)
ALLOW_PRIVATE = "tw_allow_private"  # the network policy lets this request reach any address
NETCHECK = "tw_netcheck"  # the network policy re-checks the connected address
STATE = "tw_state"  # crawler.items.SourceState, read once by SourceStateMiddleware
ARCHIVE = "tw_archive"  # keep a changed body in the archive (crawler/store/archive.py)
BODY_HASH = "tw_body_hash"  # xxh3 of the 2xx response body, set by SourceStateMiddleware
FULL_READ = "tw_full_read"  # extract even an unchanged body: the extraction settings changed
EMBED = "tw_embed"  # the stored EmbeddedSource a request polls directly (EmbedMiddleware)
