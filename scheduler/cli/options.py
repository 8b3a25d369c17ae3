"""Options several commands share, defined once as decorators (as sqlite-utils does).

One output convention: ``--json`` switches any command to JSON; ``--format`` is for commands
with more than one other rendering (``entries``: table or CSV, ``digest``: Markdown or HTML).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any, TypeVar

import click

from scheduler.display import zone

F = TypeVar("F", bound=Callable[..., Any])


def json_option(help: str = "JSON instead of the table.") -> Callable[[F], F]:
    """``--json`` (the ``as_json`` argument); ``help`` says what the JSON holds."""
    return click.option("--json", "as_json", is_flag=True, help=help)


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
