"""The README is the manual: every command is in it, and the set-up commands it gives exist."""

import re

import click

from scheduler.cli.app import main
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented():
    missing = [
        name
        for name in main.commands
        if f"tickerwatch {name}" not in README
        and not re.search(rf"tickerwatch \[[^\]]*\] {name}\b", README)
    ]
    assert missing == []


def test_the_two_setup_commands_are_the_ones_ci_runs():
    ci = (REPO / ".ci" / "run").read_text()
    assert "python -m pytest -q" in README and "python -m pytest -q" in ci
    assert "pip install -e '.[test,postgres]'" in README
    assert "pip install --quiet -e '.[test,postgres]'" in ci


def _options() -> dict[str, set[str]]:
    """Every long option each command's --help shows (--help itself aside)."""
    found = {"": {o for p in main.params for o in p.opts + p.secondary_opts}}
    commands = dict(main.commands)
    for name, command in main.commands.items():  # command groups: each subcommand too
        if isinstance(command, click.Group):
            commands.update({f"{name} {sub}": c for sub, c in command.commands.items()})
    for name, command in commands.items():
        found[name] = {
            o
            for p in command.params
            if isinstance(p, click.Option) and not p.hidden
            for o in p.opts + p.secondary_opts
        }
    return {k: {o for o in v if o.startswith("--") and o != "--help"} for k, v in found.items()}


def test_every_option_is_documented_and_every_documented_option_exists():
    options = _options()
    missing = sorted(
        f"{name} {option}"
        for name, opts in options.items()
        for option in opts
        if not re.search(rf"{re.escape(option)}\b", README)
    )
    assert missing == []
    known = set().union(*options.values())
    lines = [line for line in README.splitlines() if "tickerwatch " in line]
    documented = {m for line in lines for m in re.findall(r"(?<![\w-])--[a-z][a-z-]*", line)}
    assert sorted(documented - known) == []


def test_each_commands_table_row_names_its_options():
    """The Commands table is where a new user looks first: a command's rows there (a command
    may have two, a short one and a detailed one) name every option its --help shows."""
    rows = [line for line in README.splitlines() if line.startswith("| `tickerwatch")]
    lacking = []
    for name, opts in _options().items():
        if not name:
            continue
        pattern = rf"tickerwatch (\[--db [A-Z]+\] )?{re.escape(name)}\b"
        mine = " ".join(row for row in rows if re.search(pattern, row))
        lacking += [f"{name} {o}" for o in sorted(opts - {"--db"}) if mine and o not in mine]
    assert lacking == []
