"""``tickerwatch history NAME KEY``: every revision of one entry, each as a word diff of the last.

On a terminal removed words are red and added ones green; in a pipe they are marked
``[-old-]{+new+}`` (as ``git diff --word-diff`` does), so a mail or a chat keeps the meaning.
"""

from __future__ import annotations

import sys

import click

from crawler.diff.words import Piece, changed, marked, revision_text, summary, word_diff
from crawler.store.queries import entry_history, entry_keys, key_for_link
from crawler.text.terminal import json_line, safe_for_log, safe_lines
from scheduler.cli.options import json_option, resolve_tz, tz_option
from scheduler.cli.reading import check_source, open_readonly
from scheduler.render.display import show_time


def coloured(pieces: list[Piece]) -> str:
    styles = {"removed": {"fg": "red", "strikethrough": True}, "added": {"fg": "green"}}
    return "".join(
        click.style(safe_lines(p.text), **styles[p.op]) if p.op in styles else safe_lines(p.text)
        for p in pieces
    )


def _text(pieces: list[Piece], colour: bool) -> str:
    return coloured(pieces) if colour else safe_lines(marked(pieces))


@click.command()
@click.argument("name")
@click.argument("key")
@json_option("The revisions and their diffs as JSON.")
@tz_option
@click.pass_obj
def history(obj: dict, name: str, key: str, as_json: bool, tz_name: str) -> None:
    """Every revision of the entry KEY of source NAME, with what each edit changed.

    KEY is the entry's key, its link or the link's #anchor (as `entries` shows them).
    """
    zone = resolve_tz(tz_name)
    store = open_readonly(obj["db"])
    check_source(store, name, param_hint="NAME")
    entry, revisions = entry_history(store, name, key)
    if entry is None and (linked := key_for_link(store, name, key)) is not None:
        entry, revisions = entry_history(store, name, linked)
    if entry is None:
        keys = ", ".join(safe_for_log(k) for k in entry_keys(store, name))
        raise click.BadParameter(
            f"{safe_for_log(name)} has no entry {safe_for_log(key)!r}; newest keys: {keys}",
            param_hint="KEY",
        )
    steps = []
    previous = None
    for rev in revisions:
        step = dict(rev)
        if previous is not None:
            step["title_diff"] = word_diff(previous["title"], rev["title"])
            step["body_diff"] = word_diff(previous["body"], rev["body"])
            step["summary"] = summary(
                revision_text(previous["title"], previous["body"]),
                revision_text(rev["title"], rev["body"]),
            )
        steps.append(step)
        previous = rev
    if as_json:
        for step in steps:
            for part in ("title_diff", "body_diff"):
                if part in step:
                    step[part] = [[p.op, p.text] for p in step[part]]
        click.echo(json_line({**entry, "revisions": steps}))
        return
    colour = sys.stdout.isatty()
    click.echo(
        f"{safe_for_log(entry['source'])}  {safe_for_log(entry['key'])}  "
        f"{safe_for_log(entry['url'] or '-')}"
    )
    for step in steps:
        when = show_time(step["seen_at"], zone)
        click.echo(
            f"\nr{step['revision']}  {when}  {safe_for_log(step.get('summary', 'first seen'))}"
        )
        if "title_diff" in step:
            title = _text(step["title_diff"], colour) if changed(step["title_diff"]) else None
            body = _text(step["body_diff"], colour)
        else:
            title, body = safe_for_log(step["title"] or ""), safe_lines(step["body"] or "")
        if title:
            click.echo(f"  title: {title}", color=colour)
        click.echo("\n".join(f"  {line}".rstrip() for line in body.split("\n")), color=colour)
    if entry["removed_at"]:
        click.echo(f"\nremoved  {show_time(entry['removed_at'], zone)}")


COMMANDS = (history,)
