"""Atom feeds per source: ``tickerwatch feed`` and the daemon's ``feeds_dir``, read back by feedparser."""

from __future__ import annotations

import time

import feedparser
from click.testing import CliRunner

from scheduler.cli.app import main
from tests.conftest import tickerwatch
from tests.daemon_process import DaemonProcess, liveblog_page
from tests.pages import jsonld_liveblog


def posts(*ids: int, edited: int | None = None) -> list[dict]:
    return [
        {
            "id": n,
            "headline": f"Meldung {n}",
            "body": f"Text über Kiew {n}."
            + (" Neue Angaben: zwei Verletzte." if n == edited else ""),
        }
        for n in sorted(ids, reverse=True)
    ]


def test_feed_has_one_entry_per_development_with_stable_ids(server, db_path, tmp_path):
    url = server.set("/live.html", jsonld_liveblog(posts(1, 2, 3, 4)))
    steps = [posts(1, 2, 3, 4), posts(1, 2, 3, 5, edited=2), posts(1, 2, 3, 5, edited=2)]
    for page in steps:
        server.set("/live.html", jsonld_liveblog(page))
        assert tickerwatch("poll", url, db=db_path).returncode == 0
    name = url.split("//")[1]
    first = CliRunner().invoke(main, ["--db", str(db_path), "feed", name])
    assert first.exit_code == 0, first.output
    parsed = feedparser.parse(first.stdout_bytes)
    assert parsed.version == "atom10" and not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == name and parsed.feed.link == url
    titles = [e.title for e in parsed.entries]
    assert titles[:3] == ["Removed: Meldung 4", "Edited: Meldung 2", "New: Meldung 5"]
    assert sorted(titles[3:]) == [f"New: Meldung {n}" for n in (1, 2, 3, 4)]
    assert len({e.id for e in parsed.entries}) == 7
    assert all(e.link.startswith("https://example.org/live#post-") for e in parsed.entries)
    edited = parsed.entries[1].content[0].value
    assert "<ins>Neue Angaben: zwei Verletzte.</ins>" in edited and "+4 words" in edited
    assert "Text über Kiew 4." in parsed.entries[0].content[0].value
    # The same developments give the same ids, whatever is written to a file.
    out = tmp_path / "feeds" / "live.atom"
    written = CliRunner().invoke(main, ["--db", str(db_path), "feed", name, "-o", str(out)])
    assert written.exit_code == 0
    again = feedparser.parse(out.read_bytes())
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]
    assert CliRunner().invoke(main, ["--db", str(db_path), "feed", "nope"]).exit_code == 2


def wait_for(predicate, deadline=60.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_daemon_rewrites_the_feed_file_after_each_poll_with_developments(server, db_path, tmp_path):
    entries = [("e0", "Meldung 0", "Text 0."), ("e1", "Meldung 1", "Text 1.")]
    url = server.set("/newsticker/liveblog-test-montag-1.html", liveblog_page(entries))
    feeds = tmp_path / "feeds"
    config = tmp_path / "sources.toml"
    config.write_text(
        f'feeds_dir = "{feeds}"\n[[source]]\nname = "ticker"\nurl = "{url}"\nevery = "1s"\n'
    )
    daemon = DaemonProcess(db_path, config)
    path = feeds / "ticker.atom"
    try:
        daemon.wait_for(r"^BASELINE ticker 2 entries", timeout=60)
        first = wait_for(lambda: path.exists() and feedparser.parse(path.read_bytes()))
        assert [e.title for e in first.entries] == ["New: Meldung 1", "New: Meldung 0"]
        mtime = path.stat().st_mtime_ns
        entries.append(("e2", "Meldung 2", "Text 2."))
        server.set("/newsticker/liveblog-test-montag-1.html", liveblog_page(entries))
        daemon.wait_for(r"^NEW ticker \S+ Meldung 2 ", timeout=60)
        second = wait_for(
            lambda: (
                (parsed := feedparser.parse(path.read_bytes())).entries
                and parsed.entries[0].title == "New: Meldung 2"
                and parsed
            )
        )
        assert len(second.entries) == 3 and not second.bozo
        assert path.stat().st_mtime_ns != mtime
        assert [p.name for p in feeds.iterdir()] == ["ticker.atom"]  # no temporary files left
        assert "Referer" not in daemon.text()  # Scrapy's warning about the missing middleware
    finally:
        assert daemon.stop() == 0


def test_feeds_dir_must_be_a_path(tmp_path):
    from scheduler.config.model import ConfigError
    from scheduler.config.reading import load_config

    path = tmp_path / "sources.toml"
    try:
        load_config(path, 'feeds_dir = 3\n[[source]]\nurl = "https://example.org/live"\n')
    except ConfigError as error:
        assert str(error) == f"{path}:1: feeds_dir must be a directory path"
    else:
        raise AssertionError("feeds_dir = 3 was accepted")
    assert load_config(path, 'feeds_dir = "feeds"\n').feeds_dir == "feeds"
