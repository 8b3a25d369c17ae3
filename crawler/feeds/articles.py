"""Full-text extraction of the article a new feed item links to (trafilatura, then our cleaner)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import trafilatura

from crawler.text.cleaning import clean_fragment, strip_controls
from crawler.text.timeparse import iso_to_utc

logger = logging.getLogger(__name__)

MAX_ARTICLE_BYTES = 10 * 1024 * 1024
# htmldate returns a bare day unless asked for a time; the offset tells us whether it found one.
_DATE_PARAMS = {
    "extensive_search": True,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


@dataclass
class Article:
    """The main text and metadata of one article page."""

    text: str
    title: str = ""
    author: str = ""
    published_at: str | None = None  # timezone-aware ISO-8601 (UTC), None when only a day is known


def extract_article(html: str | bytes, url: str) -> Article | None:
    """Extract an article's text; None when trafilatura finds no main text. Never raises."""
    try:
        if not html or len(html) > MAX_ARTICLE_BYTES:
            return None
        document = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_images=False,
            include_tables=True,
            favor_precision=True,
            date_extraction_params=_DATE_PARAMS,
        )
        if document is None:
            return None
        text = _body_text(document)
        if not text:
            return None
        title = " ".join(strip_controls(document.title or "").split())
        # trafilatura keeps the page's <h1> as the first paragraph; the title is stored apart.
        first, _, rest = text.partition("\n\n")
        if title and first.strip() == title and rest:
            text = rest
        return Article(
            text=text,
            title=title,
            author=" ".join(strip_controls(document.author or "").split()),
            published_at=iso_to_utc(document.date),
        )
    except Exception:  # one odd page must not cost the whole feed poll
        logger.info("article extraction failed for %s", url, exc_info=True)
        return None


def _body_text(document: object) -> str:
    """Run trafilatura's extracted tree through clean_fragment, so feed and liveblog text look
    alike (blank line between paragraphs, captions and "mehr dazu" links dropped)."""
    try:
        from trafilatura.htmlprocessing import build_html_output

        text = clean_fragment(build_html_output(document))
    except Exception:  # internal helper moved in a later trafilatura: use its plain text
        logger.debug("trafilatura HTML output unavailable", exc_info=True)
        text = ""
    return text or strip_controls(getattr(document, "text", "") or "").strip()
