"""``python -m scheduler.cli``: the same as the ``tickerwatch`` command."""

from scheduler.cli.app import main

main()
