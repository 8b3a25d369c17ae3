"""The sources file: its types (``model``), reading it (``reading.load_config``), the
validation rules (``rules``), editing it (``edit``), the line index for error messages
(``lines``) and durations.

May import ``crawler`` (the URL policy, default source names); never the rest of ``scheduler``.
"""
