"""A digest of what happened: per source, newest first, each entry once, edits as diffs.

Made to be pasted into a newsroom chat or a mail, as Markdown or as HTML. An entry with several
developments in the window appears once, as its last state: new (however often it was edited
since), edited (one diff from before the window to now), removed or restored. A source's
baseline (the entries its page already had at the first poll) is counted, not listed.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo

from crawler.diff.words import Piece, revision_text, summary, word_diff
from crawler.text.terminal import entry_text, safe_lines
from scheduler.render.atom import diff_html, paragraphs
from scheduler.render.display import show_time

MARKDOWN_MARKS = {"removed": ("~~", "~~"), "added": ("**", "**")}


@dataclass
class Item:
    """One entry's developments in the window, newest state first."""

    state: str  # "new" | "changed" | "removed" | "restored"
    key: str
    title: str | None
    body: str | None
    url: str | None
    when: str  # the entry's publication time, else the development's
    edits: int = 0
    old_title: str | None = None
    old_body: str | None = None

    @property
    def name(self) -> str:
        return entry_text(self.title, self.body) or self.key

    @property
    def diff(self) -> tuple[list[Piece], list[Piece]]:
        return word_diff(self.old_title, self.title), word_diff(self.old_body, self.body)

    @property
    def change(self) -> str:
        return summary(
            revision_text(self.old_title, self.old_body), revision_text(self.title, self.body)
        )


@dataclass
class SourceDigest:
    name: str
    url: str
    items: list[Item] = field(default_factory=list)
    baseline: int = 0

    def counts(self) -> str:
        labels = {"new": "new", "changed": "edited", "removed": "removed", "restored": "restored"}
        found = [f"{n} {labels[s]}" for s in labels if (n := sum(i.state == s for i in self.items))]
        if self.baseline:
            found.append(f"{self.baseline} already on the page at the first poll")
        return ", ".join(found) or "nothing"


def collect(rows: list[dict]) -> list[SourceDigest]:
    """Developments (newest first, as ``queries.developments`` returns them) grouped per source
    and folded per entry."""
    sources: dict[str, SourceDigest] = {}
    items: dict[tuple[str, str], Item] = {}
    for row in map(_safe, rows):
        digest = sources.setdefault(row["source"], SourceDigest(row["source"], row["source_url"]))
        if row["baseline"]:
            digest.baseline += 1
            continue
        item = items.get((row["source"], row["key"]))
        if item is None:  # the newest development of this entry: its state and its text
            item = Item(
                state=row["event"],
                key=row["key"],
                title=row["title"],
                body=row["body"],
                url=row["url"],
                # A new entry is dated by its publication, any later development by itself.
                when=(row["published_at"] if row["event"] == "new" else None) or row["created_at"],
            )
            items[(row["source"], row["key"])] = item
            digest.items.append(item)
        elif row["event"] == "new" and item.state == "changed":
            item.state = "new"  # new in the window: shown as it reads now
            item.when = row["published_at"] or row["created_at"]
        if row["event"] == "changed":
            item.edits += 1
            item.old_title, item.old_body = row["old_title"], row["old_body"]
    for digest in sources.values():
        digest.items.sort(key=lambda i: i.when, reverse=True)
    return [d for d in sources.values() if d.items or d.baseline]


def _safe(row: dict) -> dict:
    """Scraped text without control characters or escapes, paragraphs kept (it may be printed
    to a terminal, pasted into a chat or opened as HTML)."""
    clean = dict(row)
    for name in ("title", "body", "old_title", "old_body", "key", "url"):
        if clean.get(name):
            clean[name] = safe_lines(clean[name])
    return clean


def _md_link(title: str, url: str | None) -> str:
    label = title.replace("[", "\\[").replace("]", "\\]")
    return f"[{label}]({url.replace(')', '%29')})" if url else label


def _md_text(text: str | None) -> str:
    return "\n".join(f"  {line}" for line in (text or "").split("\n") if line.strip())


def _md_diff(pieces: list[Piece]) -> str:
    out = []
    for piece in pieces:
        if piece.op == "same":
            out.append(piece.text)
        else:
            start, end = MARKDOWN_MARKS[piece.op]
            text = piece.text.rstrip()
            out.append(f"{start}{text}{end}{piece.text[len(text) :]}")
    return _md_text("".join(out))


@dataclass(frozen=True)
class _Markup:
    """How one output format writes the parts of an item; the walk over items is shared."""

    escape: Callable[[str], str]
    link: Callable[[Item], str]
    removed: Callable[[str, str], str]  # (when, link) -> the whole item
    head: Callable[[str, str], str]  # (when and label, link and edits)
    change: Callable[[str], str]
    diff: Callable[[list[Piece]], str]
    text: Callable[[str | None], str]
    close: tuple[str, ...]


def _item_lines(item: Item, zone: tzinfo, markup: _Markup) -> list[str]:
    """One item: removed on one line, else its head, then its diff (edited) or its text."""
    link = markup.link(item)
    when = markup.escape(show_time(item.when, zone))
    if item.state == "removed":
        return [markup.removed(when, link)]
    label = {"changed": " · edited", "restored": " · restored"}.get(item.state, "")
    extra = f" (edited {item.edits}×)" if item.state == "new" and item.edits else ""
    lines = [markup.head(f"{when}{label}", f"{link}{extra}")]
    if item.state == "changed" and item.old_body is not None:
        title_diff, body_diff = item.diff
        lines.append(markup.change(item.change))
        if item.old_title != item.title:
            lines.append(markup.diff(title_diff))
        lines.append(markup.diff(body_diff))
    else:
        lines.append(markup.text(item.body))
    return [*lines, *markup.close]


_MARKDOWN = _Markup(
    escape=lambda text: text,
    link=lambda item: _md_link(item.name, item.url),
    removed=lambda when, link: f"- **{when} · removed** ~~{link}~~",
    head=lambda when, link: f"- **{when}** {link}",
    change=lambda change: f"  *{change}*",
    diff=_md_diff,
    text=_md_text,
    close=(),
)


def _html_link(item: Item) -> str:
    title = html.escape(item.name)
    return f'<a href="{html.escape(item.url)}">{title}</a>' if item.url else title


_HTML = _Markup(
    escape=html.escape,
    link=_html_link,
    removed=lambda when, link: f"<li><strong>{when} · removed</strong> <del>{link}</del></li>",
    head=lambda when, link: f"<li><strong>{when}</strong> {link}",
    change=lambda change: f"<p><em>{html.escape(change)}</em></p>",
    diff=diff_html,
    text=paragraphs,
    close=("</li>",),
)


def markdown(digests: list[SourceDigest], heading: str, zone: tzinfo) -> str:
    lines = [f"# {heading}", ""]
    for digest in digests:
        lines += [f"## {digest.name}", "", f"{digest.url} · {digest.counts()}", ""]
        for item in digest.items:
            lines += _item_lines(item, zone, _MARKDOWN)
        lines.append("")
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"


def html_digest(digests: list[SourceDigest], heading: str, zone: tzinfo) -> str:
    esc = html.escape
    out = [f"<h1>{esc(heading)}</h1>"]
    for digest in digests:
        out.append(f"<h2>{esc(digest.name)}</h2>")
        out.append(
            f'<p><a href="{esc(digest.url)}">{esc(digest.url)}</a> · {esc(digest.counts())}</p>'
        )
        out.append("<ul>")
        for item in digest.items:
            out += _item_lines(item, zone, _HTML)
        out.append("</ul>")
    return "\n".join(out) + "\n"
