"""Text cleaning: entry HTML to plain text, change hashing, storable strings."""

from __future__ import annotations

import hashlib
import html as htmllib
import logging
import re
import unicodedata

from lxml import etree
from lxml import html as lxml_html

logger = logging.getLogger(__name__)

# Elements whose whole subtree is never entry text. Figures go too: captions and credits
# ("Bild: dpa", "(Image: Getty)") change without news and would show up as edits.
_DROP_TAGS = frozenset(
    "script style noscript iframe embed object template svg canvas video audio source picture "
    "img button form input select textarea nav aside figure figcaption head title meta link "
    "amp-img amp-ad amp-iframe".split()
)
# class/id tokens of share bars, consent walls, ads and embed placeholders (Reach, ARD, GEDI).
_DROP_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|social|cookie|consent|gdpr|newsletter|advert|ad-slot|"
    r"ad-container|adv|embed-placeholder|json-placeholder|credit|copyright|absatzbild|"
    r"liveEventEmbeddedContent|related|teaser|paywall|sr-only|visually-hidden)(?:$|[\s_-])",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    "p div section article header footer main blockquote pre h1 h2 h3 h4 h5 h6 ul ol dl dd dt "
    "table thead tbody tfoot tr hr address details summary center".split()
)
_LINE_TAGS = frozenset(("li", "br", "td", "th"))

_READ_MORE = (
    r"mehr dazu|mehr zum thema|mehr|lesen sie mehr|lesen sie auch|weiterlesen|auch interessant|"
    r"read more|continue reading|related|see also|more on this|more on this story|"
    r"leggi anche|leggi|approfondimenti|lire aussi|leia mais|leia também|lea también"
)
# A link whose whole text is a "read more" phrase: the link goes, the sentence stays.
_READ_MORE_LINK_RE = re.compile(rf"^\W*(?:{_READ_MORE})\W*$", re.IGNORECASE)
# A paragraph that opens with such a phrase and is otherwise a link: the paragraph goes.
_READ_MORE_PARA_RE = re.compile(rf"^\W*(?:{_READ_MORE})\b\W*", re.IGNORECASE)
# Whole-paragraph placeholders left behind by embeds and consent walls.
_PLACEHOLDER_RE = re.compile(
    r"^\W*(?:embed|twitter post|instagram post|facebook post|tiktok post|youtube video|"
    r"x post|bluesky post|"
    r"please enable javascript.*|you need to enable javascript.*|"
    r"(?:this|der|dieser) (?:content|inhalt) is(?:t)? (?:not|nicht) (?:available|verfügbar).*|"
    r"dieser inhalt ist nicht verfügbar.*|externer inhalt.*|inhalte von drittanbietern.*|"
    r"um (?:diesen|den) inhalt (?:anzuzeigen|zu sehen).*|"
    r"we use cookies.*|wir verwenden cookies.*|diese (?:web)?seite verwendet cookies.*|"
    r"accept (?:all )?cookies.*|alle akzeptieren|zustimmen|"
    r"per visualizzare questo contenuto.*|contenuto non disponibile.*)\W*$",
    re.IGNORECASE,
)
_EMPTY_BRACKETS_RE = re.compile(r"\[\s*\]|\(\s*\)")
_WS_RE = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH_RE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_PARA, _LINE = "\x00P", "\x00L"


def _is_dropped(el: etree._Element) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag.lower() in _DROP_TAGS:
        return True
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    attrs = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(attrs.strip()) and bool(_DROP_CLASS_RE.search(attrs))


def _walk(el: etree._Element, out: list[str]) -> None:
    """Emit text, line and paragraph markers in document order, skipping dropped subtrees."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag and _is_dropped(el):
        if el.tail:
            out.append(el.tail)  # "<img/> Text": the text after a dropped element stays
        return
    if tag in _BLOCK_TAGS:
        out.append(_PARA)
    elif tag in _LINE_TAGS:
        out.append(_LINE)
    if tag == "a" and _READ_MORE_LINK_RE.match(el.text_content() or ""):
        pass  # "[mehr]" / "read more" links: the link text goes, the tail stays
    elif tag in ("p", "li") and _is_read_more_block(el):
        out.append(_PARA)  # the whole "Read more: <a>Headline</a>" paragraph goes
        if el.tail:
            out.append(el.tail)
        return
    else:
        if tag and el.text:
            out.append(el.text)
        for child in el:
            _walk(child, out)
    if tag in _BLOCK_TAGS:
        out.append(_PARA)
    elif tag in ("li", "td", "th"):
        out.append(_LINE)
    if el.tail:
        out.append(el.tail)


def _is_read_more_block(el: etree._Element) -> bool:
    """True for a paragraph like "Mehr zum Thema: <a>…</a>" whose only content is links."""
    text = el.text_content()
    m = _READ_MORE_PARA_RE.match(text)
    if not m:
        return False
    link_text = "".join(a.text_content() for a in el.iter("a"))
    rest = text[m.end() :].replace(link_text, "", 1) if link_text else text[m.end() :]
    return bool(link_text.strip()) and len(re.sub(r"\W", "", rest)) <= 2


def _assemble(parts: list[str]) -> str:
    """Turn the marker stream into paragraphs ("\\n\\n") of lines ("\\n"), dropping placeholders."""
    paragraphs: list[str] = []
    for raw_para in "".join(parts).split(_PARA):
        lines = []
        for raw_line in raw_para.split(_LINE):
            line = _WS_RE.sub(" ", raw_line.replace("\n", " ").replace("\r", " "))
            line = _EMPTY_BRACKETS_RE.sub("", _ZERO_WIDTH_RE.sub("", line)).strip()
            if line and not _PLACEHOLDER_RE.match(line):
                lines.append(line)
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _clean_plain(text: str) -> str:
    paras = re.split(r"\n\s*\n", htmllib.unescape(text))
    return _assemble([_PARA.join(p.replace("\n", _LINE) for p in paras)])


def clean_fragment(html: str) -> str:
    """Turn one entry's HTML fragment (or plain text) into clean text; "" when nothing usable.

    An own lxml walk rather than trafilatura: trafilatura returns None for one-line entries,
    keeps "mehr dazu" links and joins paragraphs with single newlines, and is not faster.
    """
    if not html or not isinstance(html, str):
        return ""
    try:
        html = strip_controls(html)
        if "<" not in html:
            return _clean_plain(html)
        root = lxml_html.fromstring(f"<div>{html}</div>")
        body = root.find(".//body") if root.tag == "html" else None
        out: list[str] = []
        _walk(body if body is not None else root, out)
        return _assemble(out)
    except Exception:  # broken input must never take a poll down
        logger.debug("clean_fragment failed", exc_info=True)
        return ""


# --- change detection -------------------------------------------------------------------

_NUM = r"(?:\d+|ein(?:e|er|em)?|an?|one|un(?:o|a)?|un')"
_RELATIVE_TIME_RE = re.compile(
    r"(?:"
    # German: vor 5 Minuten, vor einer Stunde, vor 2 Std., vor 3 Min.
    rf"\bvor\s+{_NUM}\s*(?:sekunden?|sek\.?|minuten?|min\.?|stunden?|std\.?|tag(?:en)?|h)(?!\w)"
    r"|\bgerade\s+eben\b|\bsoeben\b"
    # English: 21 mins ago, 1 hour ago, 2h ago, an hour ago, just now
    rf"|\b{_NUM}\s*(?:seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\s+ago\b"
    r"|\bjust\s+now\b|\bmoments?\s+ago\b"
    # Italian: 5 minuti fa, un'ora fa, 2 ore fa, poco fa, adesso
    rf"|\b{_NUM}\s*(?:secondi|secondo|minuti|minuto|min|ore|ora|giorni|giorno)\s+fa\b"
    r"|\bpoco\s+fa\b"
    # French / Spanish / Portuguese: il y a 5 minutes, hace 5 minutos, há 5 minutos
    r"|\b(?:il\s+y\s+a|hace|há)\s+\d+\s*(?:min(?:ute)?s?|minutos?|heures?|horas?|h)\b"
    r")",
    re.IGNORECASE,
)
_ALL_WS_RE = re.compile(r"\s+")


def normalise_for_hash(text: str) -> str:
    """Reduce text to what counts as content, so "vor 5 Minuten" ticking on is never an edit."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\u00a0", " "))
    text = _ZERO_WIDTH_RE.sub("", text)
    text = _RELATIVE_TIME_RE.sub(" ", text)
    return _ALL_WS_RE.sub(" ", text).strip()


def content_hash(title: str, body: str) -> str:
    """sha1 hex of the normalised title and body; equal hashes mean "no edit"."""
    data = f"{normalise_for_hash(title or '')}\x1f{normalise_for_hash(body or '')}"
    return hashlib.sha1(data.encode("utf-8", "surrogatepass")).hexdigest()


def stored_raw_hash(title: str, raw: str) -> str:
    """The raw hash stored per entry: the extractor's fragment hash (or the fragment) with the
    title folded in, since a title from structured data is not in the fragment. The clean
    pipeline writes it; the incremental extractor and the feed parser compare with it."""
    return hashlib.sha1(f"{title}\x1f{raw}".encode("utf-8", "surrogatepass")).hexdigest()


# --- storage safety -------------------------------------------------------------

_C0_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def strip_controls(text: str) -> str:
    """Make text storable: no NUL/C0 controls (\\r becomes \\n), no lone surrogates."""
    if not text:
        return ""
    text = _C0_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Pairs that arrived as two code points are joined; lone ones become U+FFFD.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
