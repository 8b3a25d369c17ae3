"""Tests for crawler.text.cleaning: entry HTML to text, change hashing, storage- and log-safe strings."""

from __future__ import annotations

import pytest

from crawler.text.cleaning import clean_fragment, content_hash, normalise_for_hash, strip_controls
from crawler.text.terminal import csv_cell, safe_for_log
from crawler.text.urls import canonical_url

# ARD/tagesschau markup: p.textabsatz, an image block with credit, a "mehr dazu" link.
TAGESSCHAU = """
<div class="absatzbild absatzbild--l"><div class="absatzbild__media">
  <div class="ts-picture__wrapper">
  <picture><img src="https://images.tagesschau.de/x.jpg" alt="Scholz im Bundestag"
   title="Scholz im Bundestag | dpa"></picture></div></div>
  <div class="absatzbild__info">
  <p class="absatzbild__info__text">Scholz im Bundestag</p></div></div>
<p class="textabsatz m-ten columns twelve">Die Ampel hat sich&nbsp;auf einen
   Haushalt   geeinigt. Das teilte  ein Sprecher mit.</p>
<p class="textabsatz">Weitere Details sollen am Nachmittag folgen.
   <a href="https://www.tagesschau.de/inland/haushalt-100.html">mehr dazu</a></p>
<p class="textabsatz">
  <a href="https://www.tagesschau.de/inland/haushalt-102.html">Mehr zum Thema</a></p>
<ul><li>Einsparungen: 17 Milliarden</li><li>Schuldenbremse bleibt</li></ul>
"""

# Reach (Mirror/Express) entry: headline, body, a social embed placeholder, a "Read more" line.
REACH = """
<div class="entry-content"><h3>Loud bang heard at Plymouth scene</h3>
<p>Local reporters have said a &quot;loud bang&quot; was heard.</p>
<div class="embed-placeholder" data-provider="twitter"><p>Twitter Post</p></div>
<p>Embed</p>
<p>Read more:
  <b><a href="https://www.mirror.co.uk/news/x-33400342">Plymouth protests erupt</a></b></p>
<div class="image-container"><figure class="image--embedded"><amp-img src="a.jpg"></amp-img>
</figure><figcaption>
  <span class="credit"> (Image: Anadolu via Getty Images)</span></figcaption></div>
<p>Please enable JavaScript to view this content.</p>
<div class="social-share"><a href="https://facebook.com/sharer">Share</a></div>
<script>window.twttr = {}</script>
</div>
"""

# GEDI/repubblica entry: a "Leggi anche" link paragraph.
REPUBBLICA = """
<div class="liveblog__post__content"><p>L'esercito israeliano ha detto di aver colpito
obiettivi a Gaza.</p><p><strong>Leggi anche:</strong> <a href="/esteri/x">Gaza, la diretta</a></p>
<p>Dieser Inhalt ist nicht verfügbar.</p><div id="cookie-consent">Accetta i cookie</div></div>
"""


def test_tagesschau_entry():
    assert clean_fragment(TAGESSCHAU) == (
        "Die Ampel hat sich auf einen Haushalt geeinigt. Das teilte ein Sprecher mit.\n\n"
        "Weitere Details sollen am Nachmittag folgen.\n\n"
        "Einsparungen: 17 Milliarden\nSchuldenbremse bleibt"
    )


def test_reach_entry_drops_embeds_read_more_and_credits():
    assert clean_fragment(REACH) == (
        'Loud bang heard at Plymouth scene\n\nLocal reporters have said a "loud bang" was heard.'
    )


def test_repubblica_entry_drops_leggi_anche():
    assert clean_fragment(REPUBBLICA) == (
        "L'esercito israeliano ha detto di aver colpito obiettivi a Gaza."
    )


def test_feed_style_bracketed_mehr_link_goes():
    html = (
        '<p><a href="x"><img src="y"/></a> <br/>Text des Teasers. '
        '<em>Von A. B.</em>[<a href="x">mehr</a>]</p>'
    )
    assert clean_fragment(html) == "Text des Teasers. Von A. B."


def test_text_after_a_dropped_element_stays():
    assert clean_fragment("<img src='x.jpg'/>  Líder na pesquisa") == "Líder na pesquisa"


def test_tweet_text_is_kept():
    html = (
        '<blockquote class="twitter-tweet">'
        "<p>Buses diverted.<br>No buses on Royal Parade</p></blockquote>"
    )
    assert clean_fragment(html) == "Buses diverted.\nNo buses on Royal Parade"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain text, no markup", "plain text, no markup"),
        ("line one\nline two\n\nnew &amp; paragraph", "line one\nline two\n\nnew & paragraph"),
        ("a < b and c > d", "a < b and c > d"),
        ("<p>unclosed <b>bold <div>next", "unclosed bold\n\nnext"),
        ("<html><body><p>whole document</p></body></html>", "whole document"),
        ("", ""),
        ("   ", ""),
        ("<script>alert(1)</script>", ""),
        ("<<<>>>", "<<<>>>"),
        ("\x00<p>x\x1b</p>", "x"),
        ("<div>" * 200 + "deep", "deep"),
        ("<div>" * 3000 + "too deep", ""),  # libxml2 drops what lies below depth 256
    ],
)
def test_robust_to_odd_input(raw, expected):
    assert clean_fragment(raw) == expected


def test_never_raises_on_garbage():
    for raw in [None, 42, b"<p>bytes</p>", "\ud800<p>lone surrogate</p>", "<!--", "<![CDATA[x"]:
        assert isinstance(clean_fragment(raw), str)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "phrase",
    [
        "vor 5 Minuten",
        "vor einer Stunde",
        "vor 2 Std.",
        "vor 3 Min.",
        "gerade eben",
        "21 mins ago",
        "1 hour ago",
        "an hour ago",
        "just now",
        "2h ago",
        "5 minuti fa",
        "un'ora fa",
        "il y a 3 minutes",
        "hace 10 minutos",
    ],
)
def test_relative_times_do_not_change_the_hash(phrase):
    assert content_hash("Titel", f"Update {phrase}: Polizei vor Ort") == content_hash(
        "Titel", "Update : Polizei vor Ort"
    )


def test_normalise_for_hash_whitespace_nbsp_zero_width():
    assert normalise_for_hash(" a\u00a0b\u200b c \n\n d ") == "a b c d"
    assert content_hash("T", "a  b") == content_hash("T ", "a\u00a0b")
    assert content_hash("T", "a b") != content_hash("T", "a c")
    assert content_hash("ab", "") != content_hash("a", "b")  # the separator keeps fields apart


def test_normalise_keeps_real_numbers():
    assert normalise_for_hash("5 Minuten nach dem Anpfiff") == "5 Minuten nach dem Anpfiff"
    assert normalise_for_hash("1 hour of talks") == "1 hour of talks"


def test_strip_controls():
    assert strip_controls("a\x00b\x07c\td\ne\r\nf\rg\x1b") == "abc\td\ne\nf\ng"
    raw = b"caf\xc3\xa9 \xff\xfe ok".decode("utf-8", "surrogateescape")
    cleaned = strip_controls(raw)
    cleaned.encode("utf-8")  # storable
    assert cleaned == "café \ufffd\ufffd ok"
    assert strip_controls("\ud83d\ude00") == "\U0001f600"  # a split pair is joined
    assert strip_controls("Zürich „Zitat“ 😀") == "Zürich „Zitat“ 😀"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]52;c;ZXZpbCBjbGlwYm9hcmQ=\x07after", "after"),  # OSC 52 clipboard write
        ("\x1b]0;title\x1b\\after", "after"),
        ("\x1b]8;;http://evil\x07link\x1b]8;;\x07", "link"),
        ("\x9b2Jcleared", "cleared"),
        ("a\rb", "a\\rb"),
        ("ok\n2024-01-01 INFO forged line", "ok\\n2024-01-01 INFO forged line"),
        ("abc\u202edcba", "abc\\u202edcba"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("nul\x00bel\x07", "nul\\x00bel\\x07"),
        ("tab\there", "tab here"),
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_safe_for_log(raw, expected):
    assert safe_for_log(raw) == expected


def test_safe_for_log_surrogates_and_limit():
    raw = b"bad \xff byte".decode("utf-8", "surrogateescape")
    out = safe_for_log(raw)
    out.encode("utf-8")
    assert "\\udcff" in out
    assert safe_for_log("x" * 50, limit=10) == "x" * 9 + "…"
    assert safe_for_log("short", limit=10) == "short"
    assert safe_for_log(None) == ""  # type: ignore[arg-type]


def test_safe_for_log_output_is_one_printable_line():
    hostile = "\x1b[2J\x1b]52;c;AAAA\x07x\r\ny\u202ez\x00\x85"
    out = safe_for_log(hostile)
    assert all(ch.isprintable() for ch in out)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://example.org/a?id=7&utm_source=rss&utm_medium=feed&fbclid=x#top",
            "https://example.org/a?id=7#top",
        ),
        ("HTTPS://Example.ORG:443/a?gclid=1&at_medium=rss", "https://example.org/a"),
        (
            "http://www.heise.de/meldung/x-3088438.html?wt_mc=rss.developer.beitrag.atom",
            "http://www.heise.de/meldung/x-3088438.html",
        ),
        ("https://example.org", "https://example.org/"),
        ("", ""),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_drop_fragment():
    assert canonical_url("https://example.org/a#live-1", drop_fragment=True) == (
        "https://example.org/a"
    )


def test_csv_cell_keeps_paragraphs_and_drops_escapes():
    cell = csv_cell("First paragraph.\r\n\r\nSecond \x1b[31mred\x1b[0m\x07 one.")
    assert cell == "First paragraph.\n\nSecond red\\x07 one."
    assert csv_cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert csv_cell(3) == 3
