"""Liveblog entry extraction: structured data, site adapters and a generic heuristic.

Public entry point: :func:`extract_liveblog` (see ``extract.py``); the extractor list and
``describe_sites`` live in ``registry.py``; the result types in ``base.py``; one module per
site adapter (pure data), the generic heuristic in ``generic/``.

May import ``crawler.items``, ``crawler.memo`` and ``crawler.text``; never the store, the
feeds, spiders or pipelines.
"""

from crawler.extractors.base import Extraction
from crawler.extractors.extract import extract_liveblog
from crawler.extractors.registry import NAMES, describe_sites

__all__ = ["NAMES", "Extraction", "describe_sites", "extract_liveblog"]
