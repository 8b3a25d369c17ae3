"""The explicit list of extractors, looked up by name and described for ``tickerwatch sites``."""

from __future__ import annotations

from crawler.extractors.adapter import DomAdapter
from crawler.extractors.express import ExpressAdapter
from crawler.extractors.generic import GenericExtractor
from crawler.extractors.guardian import GuardianAdapter
from crawler.extractors.ndtv import NdtvAdapter
from crawler.extractors.platforms import PLATFORM_NAMES, PLATFORMS
from crawler.extractors.reach import ReachAdapter
from crawler.extractors.repubblica import RepubblicaAdapter
from crawler.extractors.structured import StructuredExtractor
from crawler.extractors.tagesschau import TagesschauAdapter

# Site adapters, sorted by name. Adding a site = one module + one line here.
ADAPTERS: tuple[DomAdapter, ...] = (
    ExpressAdapter(),
    GuardianAdapter(),
    NdtvAdapter(),
    ReachAdapter(),
    RepubblicaAdapter(),
    TagesschauAdapter(),
)
STRUCTURED = StructuredExtractor()
GENERIC = GenericExtractor()

NAMES: tuple[str, ...] = tuple(
    sorted([a.name for a in ADAPTERS] + [STRUCTURED.name, GENERIC.name] + list(PLATFORM_NAMES))
)


def get_adapter(name: str) -> DomAdapter:
    """The site adapter called ``name``; ValueError listing every valid name otherwise (a
    platform name is valid for ``--site`` but is no site adapter: the spider reads those)."""
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    raise ValueError(f"unknown site {name!r}; known: {', '.join(NAMES)}")


def describe_sites() -> list[dict[str, object]]:
    """One dict per extractor (name, kind, description, claimed markup, domains), in run order.

    Backs ``tickerwatch sites``: the embedded platforms (looked for when a page yields no
    entries of its own, crawler/spiders/embedded.py), then structured data, the site adapters
    and the generic fallback in the order they run.
    """
    rows: list[dict[str, object]] = [
        {
            "name": platform.name,
            "kind": "platform",
            "description": platform.description,
            "claims": platform.claims,
            "domains": [],
            "formats": platform.formats,
        }
        for platform in PLATFORMS
    ]
    rows += [
        {
            "name": STRUCTURED.name,
            "kind": "structured",
            "description": STRUCTURED.description,
            "claims": STRUCTURED.claims,
            "domains": [],
        }
    ]
    for adapter in ADAPTERS:
        rows.append(
            {
                "name": adapter.name,
                "kind": "site",
                "description": adapter.description,
                "claims": adapter.claims,
                "domains": list(adapter.domains),
            }
        )
    rows.append(
        {
            "name": GENERIC.name,
            "kind": "heuristic",
            "description": GENERIC.description,
            "claims": GENERIC.claims,
            "domains": [],
        }
    )
    return rows
