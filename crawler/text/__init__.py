"""Text primitives shared by every stage: HTML cleaning, timestamps and printed clocks, URLs,
terminal-safe strings.

The bottom layer: imports nothing else of ``crawler``.
"""
