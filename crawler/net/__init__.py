"""The network side of a poll: the SSRF policy (pure functions), the download handler with
bounded headers, and download failures as one line.

May import ``crawler.items``, ``crawler.memo`` and ``crawler.text``; in practice it imports
nothing of crawler.
"""
