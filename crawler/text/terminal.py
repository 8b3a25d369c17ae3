"""Terminal-safe text: anything scraped, before it reaches a log line, a table or a notification."""

from __future__ import annotations

import json
import re

# CSI, OSC (incl. OSC 52 clipboard writes), DCS/SOS/PM/APC strings, and two-byte escapes;
# both the 7-bit (ESC x) and 8-bit (C1) introducers. Unterminated strings run to the end.
_ANSI_RE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LOG_UNSAFE_RE = re.compile(rf"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")
_LOG_NAMED = {"\n": "\\n", "\r": "\\r", "\t": " "}


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _LOG_NAMED:
        return _LOG_NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_for_log(text: str, limit: int | None = None) -> str:
    """Make untrusted text safe for one log line: no escapes, no newlines, no bidi tricks."""
    if text is None:
        return ""
    text = _ANSI_RE.sub("", str(text))
    text = _LOG_UNSAFE_RE.sub(_escape_char, text)
    if limit is not None and limit >= 1 and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


LINE_TEXT = 80  # characters of the body that name an entry without a title


def safe_lines(text: str | None) -> str:
    """``safe_for_log`` line by line: paragraphs stay on lines of their own (history, digest)."""
    return "\n".join(safe_for_log(line) for line in (text or "").split("\n"))


def entry_text(title: str | None, body: str | None, limit: int = LINE_TEXT) -> str:
    """What names an entry in a line: its title, else the start of its cleaned body.

    Most Guardian posts and many tickers have no headline of their own; a development line
    or notification that reads only ``-`` says nothing. The body's start is whitespace-
    collapsed and cut at a word boundary near ``limit`` characters, with "…". "" when the
    entry has neither (an image-only post): the caller shows ``-``.
    """
    if title and title.strip():
        return title
    text = " ".join((body or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    word = cut.rsplit(" ", 1)[0]
    return (word if len(word) >= limit // 2 else cut).rstrip(" ,;:.-–—") + "…"


# What JSON leaves unescaped with ensure_ascii=False but a terminal or a line reader must not
# see raw: C1 controls, line/paragraph separators, bidi overrides, lone surrogates.
_JSON_UNSAFE_RE = re.compile(rf"[\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")


def json_line(payload: object) -> str:
    """One JSON object on one line, non-ASCII kept as UTF-8 (``ü``, not ``\\u00fc``), every
    character that could forge a line or drive a terminal escaped."""
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


# A spreadsheet reads a cell that starts with one of these as a formula (CSV injection).
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV field for a terminal or a spreadsheet: no escapes or other controls, but a body's
    paragraphs kept as line breaks inside the quoted field (what spreadsheets and ``csv``
    readers expect, rather than a literal ``\\n``); a leading ``=``, ``+``, ``-`` or ``@`` quoted
    with ``'`` so no formula runs."""
    if not isinstance(value, str):
        return value
    text = safe_lines(value.replace("\r\n", "\n"))
    return "'" + text if text.startswith(_FORMULA_LEADS) else text
