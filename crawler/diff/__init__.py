"""Pure decisions, no I/O: stored entries + extracted entries → developments (``entries``),
whether a poll's extraction still looks like the source's last healthy one (``health``), and
word diffs of two revisions (``words``).

May import ``crawler.items`` and ``crawler.text`` only.
"""
