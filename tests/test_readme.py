"""The README is the manual: every command is in it, and the set-up commands it gives exist."""

import re

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
    assert "pip install -e '.[test]'" in README and "pip install --quiet -e '.[test]'" in ci
