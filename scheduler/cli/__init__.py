"""The ``tickerwatch`` command line: ``app`` holds the click group; one module per command family.

May import everything in ``scheduler`` and ``crawler``; nothing imports it.
"""
