"""The ``tickerwatch`` command line: ``app`` holds the click group; one module per command
family, registered there; options several commands share are decorators in ``options``.

May import everything in ``scheduler`` and ``crawler``; nothing imports it.
"""
