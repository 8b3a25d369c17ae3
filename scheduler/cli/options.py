"""Options several commands share, defined once as decorators (as sqlite-utils does).

One output convention: ``--json`` switches any command to JSON; ``--format`` is for commands
with more than one other rendering (``entries``: table or CSV, ``digest``: Markdown or HTML).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any, TypeVar

import click

from scheduler.config.model import Config, ConfigError
from scheduler.config.reading import load_config
from scheduler.render.display import zone

F = TypeVar("F", bound=Callable[..., Any])


def json_option(help: str = "JSON instead of the table.") -> Callable[[F], F]:
    """``--json`` (the ``as_json`` argument); ``help`` says what the JSON holds."""
    return click.option("--json", "as_json", is_flag=True, help=help)


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Sources file (default: $TICKERWATCH_CONFIG or data/sources.toml).",
)


def load_or_exit(path: Path) -> Config:
    """The sources file behind ``--config``; every problem printed as FILE:LINE, exit 2."""
    try:
        return load_config(path)
    except ConfigError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)


def output_option(help: str = "Write to this file instead of standard output.") -> Callable[[F], F]:
    """``-o/--output FILE`` (the ``output`` argument)."""
    return click.option(
        "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help=help
    )


source_option = click.option("--source", help="Only this source (by name).")

tz_option = click.option(
    "--tz",
    "tz_name",
    default="UTC",
    show_default=True,
    help="Show times in this zone: an IANA name (Europe/Berlin) or 'local'.",
)


def resolve_tz(name: str) -> tzinfo:
    """The zone behind ``--tz``; an unknown one is a usage error."""
    try:
        return zone(name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--tz") from None
