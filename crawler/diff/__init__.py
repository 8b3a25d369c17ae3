"""Pure decisions, no I/O: stored entries + extracted entries → developments, and whether a
poll's extraction still looks like the source's last healthy one.

May import ``crawler.items`` and ``crawler.text`` only.
"""
