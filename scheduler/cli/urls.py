"""The URL arguments of ``poll`` and ``inspect``: the same rule as the sources file, checked
before the engine starts, so a bad URL is a usage error (exit 2) and is never fetched."""

from __future__ import annotations

import click

from crawler.net.policy import redact_url, source_url_problem
from crawler.text.terminal import safe_for_log


def check_urls(ctx: click.Context, param: click.Parameter, value):
    """click callback for a URL argument (one or many): http(s), no credentials."""
    for url in (value,) if isinstance(value, str) else value:
        problem = source_url_problem(url)
        if problem:
            raise click.BadParameter(f"{safe_for_log(redact_url(url))}: {problem}")
    return value
