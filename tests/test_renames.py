"""A publisher re-keying an entry (a slug id retitled, an id re-rendered) is one ``changed``:
the pure rule on its own, then through real polls of a page on 127.0.0.1."""

from __future__ import annotations

from crawler.diff.entries import diff_entries
from crawler.diff.renames import follow_renames
from crawler.items import EntryItem, StoredEntry
from tests.conftest import FIXTURES, tickerwatch
from tests.conftest import query as rows

T1, T2, T3 = (f"2024-04-25T18:0{n}:00+00:00" for n in (1, 2, 3))
BODY = "Die Polizei hat am Abend die Innenstadt gesperrt, nachdem ein Paket gefunden wurde."


def stored(key, id_, published, position, *, missing=0):
    return StoredEntry(id_, key, "h", "r", published, None, missing, 1, position)


def entry(key, published, position, body=BODY):
    return EntryItem(key=key, published_at=published, position=position, body=body)


STORE = {
    "paket-gefunden": stored("paket-gefunden", 1, T1, 2),
    "lage-ruhig": stored("lage-ruhig", 2, T2, 1),
    "neue-meldung": stored("neue-meldung", 3, T3, 0),
}
BODIES = {1: BODY, 2: "Die Lage ist ruhig.", 3: "Eine neue Meldung mit anderem Text."}


def diff(extracted, store=STORE, bodies=BODIES):
    result = diff_entries(store, extracted, content_hashes={}, last_healthy_count=3)
    asked: list[list[int]] = []

    def texts(ids):
        asked.append(ids)
        return {i: bodies[i] for i in ids}

    pairs = follow_renames(result, store, extracted, texts)
    return result, pairs, asked


def events(result):
    return sorted((d.event, d.key) for d in result.developments)


def test_a_retitled_slug_entry_is_one_changed_with_the_new_key():
    page = [
        entry("neue-meldung", T3, 0, "Eine neue Meldung mit anderem Text."),
        entry("lage-ruhig", T2, 1, "Die Lage ist ruhig."),
        entry("verdaechtiges-paket-gefunden", T1, 2, BODY + " Entwarnung."),
    ]
    result, pairs, asked = diff(page)
    assert pairs == [("paket-gefunden", "verdaechtiges-paket-gefunden")]
    assert events(result) == [("changed", "verdaechtiges-paket-gefunden")]
    changed = result.developments[0]
    assert changed.stored.id == 1 and changed.entry.key == "verdaechtiges-paket-gefunden"
    assert "paket-gefunden" not in result.missing_counts
    assert asked == [[1]]  # only the vanished entry at the same time had its body read


def test_a_different_body_at_the_same_time_is_removed_plus_new():
    page = [
        entry("neue-meldung", T3, 0),
        entry("lage-ruhig", T2, 1),
        entry("etwas-anderes", T1, 2, "Ganz andere Nachricht über das Wetter morgen früh."),
    ]
    result, pairs, _ = diff(page)
    assert pairs == []
    assert events(result) == [("new", "etwas-anderes")]
    assert result.missing_counts == {"paket-gefunden": 1}


def test_the_same_body_at_another_time_is_a_new_entry():
    page = [
        entry("nochmal", "2024-04-25T19:00:00+00:00", 0),
        entry("neue-meldung", T3, 1),
        entry("lage-ruhig", T2, 2),
    ]
    result, pairs, asked = diff(page)
    assert pairs == [] and asked == []
    assert ("new", "nochmal") in events(result)


def test_a_removal_due_this_poll_is_not_reported_for_a_renamed_key():
    store = dict(STORE, **{"paket-gefunden": stored("paket-gefunden", 1, T1, 2, missing=1)})
    page = [entry("neue-meldung", T3, 0), entry("lage-ruhig", T2, 1), entry("paket", T1, 2)]
    result, pairs, _ = diff(page, store=store)
    assert pairs == [("paket-gefunden", "paket")]
    assert events(result) == [("changed", "paket")]


def _slug_page(title: str, extra: str = "") -> bytes:
    """An ARD-style liveblog whose entry ids are slugs of their headlines (as on sportschau)."""
    page = (FIXTURES / "generic" / "tagesschau_stand_date_only.html").read_text(encoding="utf-8")
    slug = "-".join(title.lower().split())
    page = page.replace('id="lb-6"', f'id="{slug}"')
    page = page.replace("Selenskyj dankt für Flugabwehr</h2>", f"{title}</h2>")
    page = page.replace("für neue Systeme bedankt.", f"für neue Systeme bedankt.{extra}")
    return page.encode("utf-8")


def test_a_retitled_slug_entry_through_real_polls(server, db_path):
    url = server.set(
        "/newsticker/liveblog-ukraine-dienstag-512.html", _slug_page("Selenskyj dankt")
    )
    first = tickerwatch("poll", url, db=db_path)
    assert first.returncode == 0, first.stderr
    assert rows(db_path, "SELECT count(*) FROM entries")[0][0] == 3
    server.set(
        "/newsticker/liveblog-ukraine-dienstag-512.html",
        _slug_page("Selenskyj dankt Partnern", " Er nannte Deutschland."),
    )
    second = tickerwatch("poll", url, db=db_path)
    assert second.returncode == 0, second.stderr
    lines = [line for line in second.stdout.splitlines() if line.split(" ")[0].isupper()]
    assert [line.split(" ")[0] for line in lines] == ["CHANGED"], second.stdout
    assert rows(
        db_path, "SELECT key, revision, title FROM entries WHERE key LIKE 'selenskyj%'"
    ) == [("selenskyj-dankt-partnern", 2, "Selenskyj dankt Partnern")]
    assert rows(db_path, "SELECT event FROM events ORDER BY id")[-1] == ("changed",)
    assert rows(db_path, "SELECT count(*) FROM entries")[0][0] == 3
    for _ in range(2):  # later polls: nothing new, nothing removed
        again = tickerwatch("poll", url, db=db_path)
        assert not [line for line in again.stdout.splitlines() if line[:3] in ("NEW", "REM")]
    assert rows(db_path, "SELECT count(*) FROM entries WHERE removed_at IS NOT NULL") == [(0,)]
