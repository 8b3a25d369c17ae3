"""``tickerwatch sites``: the extractors and platforms, in the order they run."""

from __future__ import annotations

import json

import click

from scheduler.cli.options import json_option


@click.command()
@json_option("One JSON array instead of the table.")
def sites(as_json: bool) -> None:
    """List the extractors in the order they run: structured data, site adapters, heuristic."""
    from crawler.extractors import describe_sites

    rows = describe_sites()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max(len(str(row["name"])) for row in rows)
    for row in rows:
        click.echo(f"{row['name']:<{width}}  {row['kind']:<10}  {row['description']}")
        pad = " " * (width + 14)
        click.echo(f"{pad}markup:  {row['claims']}")
        if row.get("formats"):
            click.echo(f"{pad}formats: {row['formats']}")
        if row["domains"]:
            click.echo(f"{pad}domains: {', '.join(row['domains'])}")  # type: ignore[arg-type]


COMMANDS = (sites,)
