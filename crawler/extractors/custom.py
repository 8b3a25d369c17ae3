"""An adapter built from CSS selectors in the sources file, for a site no adapter knows yet."""

from __future__ import annotations

from collections.abc import Mapping

from cssselect import SelectorError

from crawler.extractors.adapter import DomAdapter, Selectors
from crawler.extractors.base import css

# The keys a ``[source.selectors]`` table may have; ``entry`` is the only one required.
SELECTOR_KEYS = ("entry", "key", "time", "updated", "title", "body", "pinned", "author", "timezone")


def _field(selector: str) -> str:
    """``"time@datetime"`` reads an attribute, ``"time"`` the element's text (XPath string)."""
    path, _, attribute = selector.partition("@")
    target = css(path) if path else "."
    return f"string(({target}/@{attribute})[1])" if attribute else f"string(({target})[1])"


def custom_adapter(selectors: Mapping[str, str]) -> DomAdapter:
    """A DomAdapter from user CSS; raises ValueError naming the selector that does not parse."""
    unknown = sorted(set(selectors) - set(SELECTOR_KEYS))
    if unknown:
        raise ValueError(f"unknown selector {unknown[0]!r}; known: {', '.join(SELECTOR_KEYS)}")
    if not selectors.get("entry"):
        raise ValueError('selectors need at least entry = "<CSS of one entry container>"')
    try:
        fields = {
            "marker": "",
            "entry": css(selectors["entry"], relative=False),
            # The entry's own id attribute unless told otherwise (``key = "@data-post-id"``).
            "key": f"string(@{selectors.get('key', '@id').lstrip('@')})",
            "time": _field(selectors["time"]) if selectors.get("time") else "",
            "updated": _field(selectors["updated"]) if selectors.get("updated") else "",
            "title": css(selectors["title"]) if selectors.get("title") else "",
            "body": css(selectors["body"]) if selectors.get("body") else ".",
            "pinned": f"boolean({css(selectors['pinned'], relative=False)})"
            if selectors.get("pinned")
            else "",
            "author": _field(selectors["author"]) if selectors.get("author") else "",
            "timezone": selectors.get("timezone", "UTC"),
        }
    except SelectorError as error:
        raise ValueError(f"selector does not parse: {error}") from None

    class ConfiguredAdapter(DomAdapter):
        name = "selectors"
        description = "CSS selectors from the sources file"
        claims = selectors["entry"]
        sel = Selectors(**fields)

    return ConfiguredAdapter()
