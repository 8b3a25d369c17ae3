"""sports.ndtv.com live blogs (``li.liv-blg_li`` posts carrying schema.org microdata)."""

from __future__ import annotations

from crawler.extractors.adapter import DomAdapter, Selectors
from crawler.extractors.base import css

_MICRODATA = ".//*[@itemprop='liveBlogUpdate']"


class NdtvAdapter(DomAdapter):
    """NDTV posts: ``<li class="liv-blg_li" id=80_parent>`` around a microdata BlogPosting.

    The key is the post number, ``80``: the microdata ``url`` ends in ``#80`` and that is the
    site's own permalink anchor, so ``_parent`` is stripped. The visible "21:06 (IST)" clock
    has no date; the microdata ``datePublished`` (+05:30) is used instead.
    """

    name = "ndtv"
    description = "sports.ndtv.com live blogs (ul#blogDiv > li.liv-blg_li)"
    domains = ("ndtv.com",)
    claims = "ul#blogDiv > li.liv-blg_li[id]"
    sel = Selectors(
        marker="liv-blg_li",
        entry=css("ul#blogDiv > li.liv-blg_li[id]", relative=False),
        time=f"string({_MICRODATA}/*[@itemprop='datePublished']/@content)",
        updated=f"string({_MICRODATA}/*[@itemprop='dateModified']/@content)",
        # <div class="liv-blg_txt"><div class="liv-blg_ttl">headline</div>body…</div>
        title=css("div.liv-blg_ttl"),
        body=css("div.liv-blg_txt"),
        author=f"string({_MICRODATA}/*[@itemprop='author']/*[@itemprop='name']/@content)",
        timezone="Asia/Kolkata",
    )

    def key_for(self, raw_id: str) -> str:
        """``80_parent`` → ``80`` (the form of the microdata url fragment)."""
        return raw_id.removesuffix("_parent")
