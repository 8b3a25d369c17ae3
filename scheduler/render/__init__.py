"""What was stored, rendered for people: the Atom feed of a source, the digest, and times and
names for tables.

May import ``crawler`` (the store's queries, the word diff); never the daemon or the CLI.
"""
