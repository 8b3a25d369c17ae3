"""The network side of a poll: the SSRF policy (pure functions) and download failures as one line.

May import ``crawler.text`` only.
"""
