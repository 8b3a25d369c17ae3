"""repubblica.it "diretta" liveblogs (GEDI CMS)."""

from __future__ import annotations

from crawler.extractors.adapter import DomAdapter, Selectors
from crawler.extractors.base import css, xp
from crawler.extractors.page import Page

_TITLE = css("h2.liveblog__post__title")


class RepubblicaAdapter(DomAdapter):
    """``section.liveblog__post`` entries, id ``<articleId>_event<N>``.

    The ``time@datetime`` ends in ``Z`` but is Rome wall time (LD gives 15:48:45Z for a post
    shown as 16:48Z), so the offset is ignored and the time marked untrusted: the LD time,
    matched by order/time since LD items carry no id, replaces it. The "Punti chiave" index
    is navigation; the posts it links to are flagged pinned (key posts), never duplicated.
    """

    name = "repubblica"
    description = "repubblica.it liveblogs (div.liveblog > section.liveblog__post)"
    domains = ("repubblica.it",)
    claims = "div.liveblog section.liveblog__post[id]"
    sel = Selectors(
        marker="liveblog__post",
        entry=css("div.liveblog section.liveblog__post[id]", relative=False),
        # <time class="liveblog__post__pubdate" datetime="2023-11-02T16:48Z"> (Rome time, not UTC)
        time="string(" + css("time.liveblog__post__pubdate") + "/@datetime)",
        # The source has <h2 class="liveblog__post__title"><p>headline</p></h2>; an HTML parser
        # closes the h2 at the <p>, leaving an empty h2 followed by the headline paragraph.
        title=f"{_TITLE}[normalize-space()] | {_TITLE}[not(normalize-space())]"
        "/following-sibling::*[1][self::p]",
        body=css("div.liveblog__post__content"),
        exclude=_TITLE,
        timezone="Europe/Rome",
        ignore_offset=True,
        time_trusted=False,
    )

    def pinned_keys(self, page: Page) -> set[str]:
        """Posts listed in the "Punti chiave" index (``div.liveblog__index li a[href="#…"]``)."""
        hrefs = xp(css("div.liveblog__index li a", relative=False) + "/@href")(page.doc)
        return {h.split("#", 1)[1] for h in hrefs if "#" in h}
