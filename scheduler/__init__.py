"""Tickerwatch's daemon side: the poll engine, the command line, configuration and scheduling."""
