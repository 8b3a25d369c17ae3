"""Tickerwatch's service side: the poll engine (one long-lived crawler), the daemon and its
scheduling, notifications, the command line (``cli/``) and the sources file (``config/``).

May import anything in ``crawler``; nothing in ``crawler`` imports it.
"""
