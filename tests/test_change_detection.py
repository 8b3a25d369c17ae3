"""Change detection must not mistake a render-window shift for an edit."""

import lxml.html

from crawler.extractors import extract_liveblog
from tests.conftest import REAL, needs_real

MIRROR = "mirror.co.uk/mirror_2024-08-05_uk-riots-live.html"
URL = "https://www.mirror.co.uk/news/uk-news/uk-riots-live-hotel-rotherham-33386398"


@needs_real
def test_entry_scrolling_out_of_the_dom_keeps_its_hash():
    raw = (REAL / MIRROR).read_text(encoding="utf-8")
    before = {e.key: e.raw_hash for e in extract_liveblog(raw, URL).entries}
    doc = lxml.html.fromstring(raw)
    rendered = doc.cssselect("div.live-event-entries > div.live-event-entry")
    oldest_rendered = rendered[-1].get("id")
    rendered[-1].drop_tree()
    after = {
        e.key: e.raw_hash
        for e in extract_liveblog(lxml.html.tostring(doc, encoding="unicode"), URL).entries
    }
    assert len(after) == len(before) == 428
    assert after[oldest_rendered] == before[oldest_rendered]
    assert after == before
