"""URLs as keys: the same link reached through two campaigns is one item."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "at_", "wt_", "mc_", "pk_", "mtm_", "ns_", "hsa_", "_hs")
_TRACKING_PARAMS = frozenset(
    "fbclid gclid gclsrc dclid msclkid yclid igshid twclid ttclid li_fat_id mkt_tok _ga _gl "
    "ocid icid cmpid cmp xtor smid ref_src ref_url s_cid sr_share spm __twitter_impression "
    "rss wt_zmc".split()
)


# Characters no URL may carry raw: C0/C1 controls (ESC, BEL: terminal escape sequences), DEL,
# line and paragraph separators, bidi overrides, lone surrogates.
_URL_UNSAFE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def safe_url(url: str) -> str:
    """``url`` with every character that could drive a terminal or forge a line percent-encoded
    (as a browser would send them), so a stored or printed link is inert text."""
    if not url or not _URL_UNSAFE_RE.search(url):
        return url
    return _URL_UNSAFE_RE.sub(lambda m: quote(m.group(0), errors="surrogatepass"), url)


def canonical_url(url: str, drop_fragment: bool = False) -> str:
    """Strip tracking parameters so the same link seen via two campaigns keys the same item."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
        query = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
        ]
        netloc = parts.netloc.lower()
        scheme = parts.scheme.lower()
        if (scheme, netloc.rsplit(":", 1)[-1]) in (("http", "80"), ("https", "443")):
            netloc = netloc.rsplit(":", 1)[0]
        fragment = "" if drop_fragment else parts.fragment
        return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), fragment))
    except ValueError:
        return url.strip()
