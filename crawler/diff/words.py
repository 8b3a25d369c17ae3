"""Word-level diff of two versions of an entry's text, and the one-phrase summary of it.

Pure (no I/O): ``history``, the feeds, the digest and the ``CHANGED`` log line all read an
edit through these functions, so they describe the same edit in the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\S+\s*")
SNIPPET_WORDS = 8  # words of an edit quoted in a summary


@dataclass(frozen=True)
class Piece:
    """A run of text that both versions share (``same``), or only the old or the new has."""

    op: str  # "same" | "removed" | "added"
    text: str


def revision_text(title: str | None, body: str | None) -> str:
    """An entry version as one text (title, then body): what a summary compares."""
    return "\n".join(part for part in (title, body) if part)


def word_diff(old: str | None, new: str | None) -> list[Piece]:
    """The new text as runs of kept, removed and added words (whitespace kept as written)."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            pieces.append(Piece("removed", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", "".join(b[j1:j2])))
    return pieces


def changed(pieces: list[Piece]) -> bool:
    return any(p.op != "same" for p in pieces)


def marked(pieces: list[Piece]) -> str:
    """``[-old-]{+new+}``, as ``git diff --word-diff`` writes it: readable in a pipe or a mail."""
    out = []
    for number, piece in enumerate(pieces):
        text, space = piece.text.rstrip(), piece.text[len(piece.text.rstrip()) :]
        if piece.op == "same":
            out.append(piece.text)
        elif piece.op == "removed":
            replaced = number + 1 < len(pieces) and pieces[number + 1].op == "added"
            out.append(f"[-{text}-]{'' if replaced else space}")
        else:
            out.append(f"{{+{text}+}}{space}")
    return "".join(out)


def _words(pieces: list[Piece], op: str) -> int:
    return sum(len(p.text.split()) for p in pieces if p.op == op)


def summary(old: str | None, new: str | None) -> str:
    """``+12 words: "… neue Angaben …"``: how many words came and went, and the longest run
    of them (of the added ones if any)."""
    pieces = word_diff(old, new)
    added, removed = _words(pieces, "added"), _words(pieces, "removed")
    if not added and not removed:
        return "whitespace only"
    counts = " ".join(f"{sign}{n}" for sign, n in (("+", added), ("-", removed)) if n)
    unit = "word" if added + removed == 1 else "words"
    runs = [p for p in pieces if p.op == ("added" if added else "removed")]
    first = max(runs, key=lambda p: len(p.text.split()))
    words = first.text.split()
    quote = " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")
    at_start = pieces[0] is first
    at_end = pieces[-1] is first and len(words) <= SNIPPET_WORDS
    quote = ("" if at_start else "… ") + quote + ("" if at_end or quote.endswith("…") else " …")
    sign = "" if added else "removed: "
    return f'{counts} {unit}: {sign}"{quote}"'
