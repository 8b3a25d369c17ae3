"""The sources file: types and reading (``model``), validation rules, editing, line index, durations.

May import ``crawler`` (for names and extractor lists); never the daemon or the CLI.
"""
