"""theguardian.com liveblogs (dotcom-rendering: one ``article#block-<id>`` per entry)."""

from __future__ import annotations

from crawler.extractors.adapter import DomAdapter, Selectors
from crawler.extractors.base import css, xp
from crawler.extractors.page import Page

# The pinned post is an id-less copy of one entry inside div#pinned-post; its header links to
# the entry it copies (``…?page=with:block-<id>#block-<id>``).
_PINNED_LINKS = "//div[@id='pinned-post']//article/header//a[contains(@href, '#block-')]/@href"
_PINNED_IDS = "//div[@id='pinned-post']//article[starts-with(@id, 'block-')]/@id"


class GuardianAdapter(DomAdapter):
    """Guardian entries: ``article#block-<24 hex>`` under ``div#liveblog-body``.

    The key is the block id without ``block-``: the JSON-LD ``liveBlogUpdate`` ``@id`` and the
    site's own JSON (``blocks[].id``) use that form, so DOM and LD merge by key; the permalink
    keeps the page's anchor ``#block-<id>``. The JSON-LD updates all carry the page headline
    and one ``datePublished``: each entry's own time and title come from its markup. 7 of 10
    entries on a real page have no headline; their title stays empty (a leading bold line
    stands in where there is one), never the page's headline.
    """

    name = "guardian"
    description = "theguardian.com liveblogs (dotcom-rendering article blocks)"
    domains = ("theguardian.com",)
    claims = "div#liveblog-body > article[id^=block-]"
    sel = Selectors(
        marker="liveblog-body",
        # the pinned copy (div#pinned-post > … > article, no id) is not a direct child
        entry=css("div#liveblog-body > article[id^=block-]", relative=False),
        key="substring-after(@id, 'block-')",
        anchor="string(@id)",
        # <header><a href="…#block-…"><time datetime="2023-05-15T11:50:54.000Z">4m ago</time>
        # <span>12.50 BST</span></a>…</header>: the ISO attribute, never the relative text
        time="string((.//time[@datetime][not(ancestor::footer)])[1]/@datetime)",
        # <footer>…<time datetime="…" title="Last updated …">Updated at 12.36 BST</time></footer>
        updated="string((footer//time[@datetime])[1]/@datetime)",
        # <header>…<h2>headline</h2></header>; without one, a first paragraph that is one short
        # bold line (<p><strong>…</strong></p>) is the headline
        title=(
            "(header//h2"
            " | *[not(self::header)][1][self::p][count(*) = 1][strong or b]"
            "[normalize-space(.) = normalize-space(*)][string-length(normalize-space(.)) < 120]"
            "/*)[1]"
        ),
        # the paragraphs, quotes and figures between the header and the share footer
        body="*[not(self::header or self::footer)]",
        # the pinned original links to its copy: <a href="…#pinned-post"> next to its time
        pinned="header//a[contains(@href, '#pinned-post')]",
        # <header><div><a>time</a></div><div><div><img alt="Name"></div><span>Name</span></div>:
        # the first contributor's byline (the picture is optional, the name is not)
        author="string((header/div[not(.//a)]/span)[1])",
        timezone="Europe/London",
    )

    def pinned_keys(self, page: Page) -> set[str]:
        """The entry div#pinned-post copies, named by the copy's link (or id, if it has one):
        for renders whose original carries no ``#pinned-post`` link."""
        if not page.has("pinned-post"):
            return set()
        ids = [href.rpartition("#")[2] for href in xp(_PINNED_LINKS)(page.doc)]
        ids += list(xp(_PINNED_IDS)(page.doc))
        return {i.removeprefix("block-") for i in ids if i.startswith("block-")}
