"""Text primitives shared by every stage: HTML cleaning, timestamps, URLs, terminal-safe strings.

The bottom layer: imports nothing else of ``crawler``.
"""
