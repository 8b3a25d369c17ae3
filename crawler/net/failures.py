"""Download failures as one line a user can act on: a stable error class, then the detail.

The poll row's ``error`` starts with the class ("timeout", "response too large", "refused",
"TLS certificate rejected", …) so operators and tests can group failures without parsing
Scrapy's and Twisted's exception zoo, whose names change between versions.
"""

from __future__ import annotations


class ResponseHeadersTooLarge(Exception):
    """Too many or too large response headers (crawler/net/download.py)."""


# (class-name or message fragment, error class), first match wins; lower-cased comparison.
_RULES: tuple[tuple[str, str], ...] = (
    ("refused:", "refused"),
    ("responseheaderstoolarge", "response headers too large"),
    ("max redirections reached", "too many redirects"),
    ("during decompression", "response too large"),
    ("larger than download max size", "response too large"),
    # Scrapy 2.19 cancels a body that grows past DOWNLOAD_MAXSIZE without any message; nothing
    # else in Tickerwatch cancels downloads (timeouts are DownloadTimeoutError).
    ("downloadcancellederror", "response too large"),
    ("certificate", "TLS certificate rejected"),
    ("sslerror", "TLS handshake failed"),
    ("tls", "TLS handshake failed"),
    ("timeouterror", "timeout"),
    ("took longer than", "timeout"),
    ("dataloss", "incomplete response"),
    ("data loss", "incomplete response"),
    ("responsenevercompletelyreceived", "incomplete response"),
    ("responsefailed", "incomplete response"),
    ("connectionlost", "incomplete response"),
    ("connectionrefused", "connection refused"),
    ("cannotresolvehost", "unknown host"),
    ("dnslookup", "unknown host"),
    ("httperror", "HTTP error"),
)


def classify_error(error: BaseException) -> str:
    """``"<class>: <ExceptionName>: <message>"``, at most 500 characters."""
    error = _own_cause(error) or error
    name = error.__class__.__name__
    text = str(error) or name
    haystack = f"{name} {text} {error!r}".lower()
    label = next((label for needle, label in _RULES if needle in haystack), None)
    if label == "refused" and text.startswith("refused:"):
        return text[:500]
    line = f"{name}: {text}"
    return (f"{label}: {line}" if label else line)[:500]


def _own_cause(error: BaseException | None, depth: int = 0) -> BaseException | None:
    """Our own exception inside Scrapy's and Twisted's wrappers (``DownloadFailedError`` from
    ``ResponseFailed([Failure(…)])``), so the line names the cause, not the wrapping."""
    if error is None or depth > 4:
        return None
    if isinstance(error, ResponseHeadersTooLarge):
        return error
    inner = [getattr(r, "value", None) for r in getattr(error, "reasons", None) or ()]
    for candidate in (error.__cause__, error.__context__, *inner):
        found = _own_cause(candidate, depth + 1)
        if found is not None:
            return found
    return None
