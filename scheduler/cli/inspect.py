"""``tickerwatch inspect URL``: what extraction makes of one page, without storing anything.

The tool for adding or debugging a site: it fetches the page once through the same Scrapy
engine, middlewares and network policy as a poll, runs the same extraction, and prints which
extractor won and why, without touching the database (no file is created).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from crawler.text.terminal import safe_for_log
from scheduler.cli.options import json_option
from scheduler.cli.urls import check_urls
from scheduler.render.inspection import entry_view, report_text


@click.command()
@click.argument("url", callback=check_urls)
@click.option("--site", help="Force one extractor by name (see `tickerwatch sites`).")
@click.option(
    "--kind", type=click.Choice(["auto", "liveblog", "feed"]), default="auto", show_default=True
)
@click.option("--limit", type=click.IntRange(min=0), default=5, show_default=True)
@json_option("The whole report as one JSON object.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds.")
@click.pass_obj
def inspect(
    obj: dict, url: str, site: str | None, kind: str, limit: int, as_json: bool, timeout: float
) -> None:
    """Fetch URL once and show what extraction makes of it; stores nothing.

    Exit 1 when the page yields no entries (the reason is printed) or cannot be fetched.
    """
    from crawler.extractors import NAMES
    from scheduler.logs import setup_logging
    from scheduler.reactor import run

    if site is not None and site not in NAMES:
        raise click.BadParameter(
            f"unknown site {site!r}; known: {', '.join(NAMES)}", param_hint="--site"
        )
    setup_logging(obj["log_format"], level=logging.WARNING)
    try:
        response, embed = run(lambda: _fetch(url, timeout, kind, site))
    except Exception as error:  # connection refused, DNS, timeout, refused by the SSRF guard
        click.echo(
            f"error: {safe_for_log(url)}: {safe_for_log(str(error) or repr(error))}", err=True
        )
        sys.exit(1)
    if not 200 <= response.status < 300:
        click.echo(f"error: {safe_for_log(url)}: HTTP {response.status}", err=True)
        sys.exit(1)
    report = _embedded_report(url, response, embed) if embed else _report(url, response, kind, site)
    entries = report.pop("_entries")
    report["entries"] = [entry_view(e) for e in entries[:limit]]
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(report_text(report))
    sys.exit(0 if entries else 1)


# The database's components, left out of inspect's crawler rather than switched off: a
# component that raises NotConfigured makes Scrapy log a WARNING per run, three lines a new
# user reads as something gone wrong.
_STORE_COMPONENTS = (
    ("EXTENSIONS", "crawler.extensions.StoreExtension"),
    ("DOWNLOADER_MIDDLEWARES", "crawler.middlewares.SourceStateMiddleware"),
    ("ITEM_PIPELINES", "crawler.pipelines.StorePipeline"),
)


def _without_store(settings: Any) -> Any:
    for setting, component in _STORE_COMPONENTS:
        components = settings.getdict(setting)
        components[component] = None
        settings.set(setting, components, priority="cmdline")
    return settings


async def _fetch(url: str, timeout: float, kind: str, site: str | None) -> Any:
    """One download through the poll engine's crawler, bypassing spider and pipelines; when the
    page embeds a platform liveblog, a second one of the platform's endpoint, as a poll does.

    ``meta.SOURCE_URL`` marks the URL as the operator's own (the network policy trusts it like
    a poll's). No database is opened (TICKERWATCH_STORE_ENABLED off), so SourceStateMiddleware
    is off too: no conditional GET that could be answered with a bodiless 304.
    Returns (page response, embed dict or None).
    """
    import scrapy
    from scrapy.http import TextResponse

    from crawler import meta
    from crawler.extractors.platforms import PLATFORM_NAMES, EmbedError, has_marker
    from crawler.spiders.base import HANDLED_STATUSES
    from crawler.spiders.embedded import embed_of, endpoint_request
    from scheduler.engine import PollEngine, make_settings

    engine = PollEngine(_without_store(make_settings(TICKERWATCH_STORE_ENABLED=False)))
    await engine.start()
    try:
        request_meta = {
            meta.SOURCE_URL: url,
            "handle_httpstatus_list": HANDLED_STATUSES,
            "download_timeout": timeout,
        }
        request = scrapy.Request(url, dont_filter=True, meta=request_meta)
        assert engine.crawler is not None and engine.crawler.engine is not None
        response = await engine.crawler.engine.download_async(request)
        platform_site = site in PLATFORM_NAMES
        if (
            kind == "feed"
            or (site and not platform_site)
            or not isinstance(response, TextResponse)
            or not (platform_site or has_marker(response.body))
        ):
            return response, None
        try:
            found = embed_of(response, site)
        except EmbedError as error:
            return response, {"error": str(error)}
        if found is None:
            return response, None
        ref, endpoint, fetch = found
        embed: dict[str, Any] = {"ref": ref, "endpoint": endpoint}
        try:
            embed["payload"] = await engine.crawler.engine.download_async(
                endpoint_request(fetch, response)
            )
        except Exception as error:  # refused by the network policy, DNS, timeout
            embed["error"] = f"{ref.label}: {endpoint}: {error}"
        return response, embed
    finally:
        await engine.stop()


def _embedded_report(url: str, response: Any, embed: dict) -> dict:
    """The report for a page that embeds a platform liveblog: the platform's entries."""
    from crawler.extractors.platforms import PayloadError, parse_payload

    report: dict[str, Any] = {
        "url": url,
        "fetched_url": response.url,
        "http_status": response.status,
        "kind": "liveblog",
        "page_url": response.url,
        "dom_count": None,
        "structured_count": None,
    }
    ref, entries, reason = embed.get("ref"), [], embed.get("error", "")
    if ref is not None:
        report["embedded"] = {"platform": ref.platform, "id": ref.id, "endpoint": embed["endpoint"]}
    payload = embed.get("payload")
    if ref is not None and payload is not None and not reason:
        if not 200 <= payload.status < 300:
            reason = f"{ref.label}: {embed['endpoint']}: HTTP {payload.status}"
        else:
            try:
                entries = parse_payload(ref.platform, payload.body, url)
            except PayloadError as error:
                reason = f"{ref.label}: {error}"
    deleted = sum(e.deleted for e in entries)
    live = [e for e in entries if not e.deleted]
    report.update(
        adapter=ref.platform if ref and entries else None,
        strategy=ref.platform if ref and entries else None,
        chosen_because=f"{ref.label} embedded in the page" if ref else "",
        reason=reason or ("" if live else f"{ref.label}: the platform lists no entries"),
        entries_found=len(live),
        deleted_by_platform=deleted,
        pinned=sum(e.pinned for e in live),
        _entries=live,
    )
    return report


def _report(url: str, response: Any, kind: str, site: str | None) -> dict:
    """Extraction (or feed parsing) of the response, as the dict both output formats print."""
    from scrapy.http import TextResponse

    from crawler.diff.health import adapter_of
    from crawler.extractors import extract_liveblog
    from crawler.extractors.pagesafety import not_a_page
    from crawler.feeds.parse import looks_like_feed, parse_feed

    raw_ctype = response.headers.get(b"Content-Type")
    ctype = raw_ctype.decode("latin-1") if raw_ctype else None
    if kind == "auto":
        kind = "feed" if looks_like_feed(response.body, ctype) else "liveblog"
    report: dict[str, Any] = {
        "url": url,
        "fetched_url": response.url,
        "http_status": response.status,
        "kind": kind,
    }
    if kind == "feed":
        result = parse_feed(response.body, response.url, ctype)
        report.update(
            page_url=response.url,
            adapter="feed" if not result.error else None,
            strategy="feed" if not result.error else None,
            chosen_because=f"feed format {result.format}" if not result.error else "",
            reason=result.error or "",
            entries_found=len(result.entries),
            dom_count=None,
            structured_count=None,
            _entries=result.entries,
        )
        return report
    problem = not_a_page(ctype, response.body)
    if problem or not isinstance(response, TextResponse):
        report.update(reason=problem or f"not an HTML page ({ctype or 'unknown'})", _entries=[])
        return report
    extraction = extract_liveblog(response.text, response.url, site=site)
    report.update(
        page_url=extraction.page_url,
        adapter=adapter_of(extraction.strategy),
        strategy=extraction.strategy,
        chosen_because=extraction.chosen_because,
        reason=extraction.reason,
        entries_found=len(extraction.entries),
        dom_count=extraction.dom_count,
        structured_count=extraction.structured_count,
        provenance=extraction.provenance,
        pinned=sum(e.pinned for e in extraction.entries),
        _entries=extraction.entries,
    )
    return report


COMMANDS = (inspect,)
