"""URLs as keys: the same link reached through two campaigns is one item."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "at_", "wt_", "mc_", "pk_", "mtm_", "ns_", "hsa_", "_hs")
_TRACKING_PARAMS = frozenset(
    "fbclid gclid gclsrc dclid msclkid yclid igshid twclid ttclid li_fat_id mkt_tok _ga _gl "
    "ocid icid cmpid cmp xtor smid ref_src ref_url s_cid sr_share spm __twitter_impression "
    "rss wt_zmc".split()
)


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
