"""The diff rules on their own: new, changed, removed after two misses, scrolled out, suspicious."""

from crawler.diff.entries import diff_entries
from crawler.items import EntryItem, StoredEntry


def stored(key, id_, published, *, hash_="h", missing=0, removed=None):
    return StoredEntry(id_, key, hash_, "r", published, removed, missing, 1)


def entry(key, published, content_hash=None):
    return EntryItem(key=key, published_at=published, content_hash=content_hash)


STORE = {
    "a": stored("a", 1, "2024-01-01T10:00:00+00:00"),
    "b": stored("b", 2, "2024-01-01T11:00:00+00:00"),
    "c": stored("c", 3, "2024-01-01T12:00:00+00:00"),
}


def run(extracted, store=STORE, hashes=None, last=3):
    return diff_entries(store, extracted, content_hashes=hashes or {}, last_healthy_count=last)


def events(result):
    return sorted((d.event, d.key) for d in result.developments)


def test_new_and_unchanged():
    result = run(
        [
            entry("d", "2024-01-01T13:00:00+00:00"),
            entry("c", "2024-01-01T12:00:00+00:00"),
            entry("b", "2024-01-01T11:00:00+00:00"),
            entry("a", "2024-01-01T10:00:00+00:00"),
        ]
    )
    assert result.status == "ok"
    assert events(result) == [("new", "d")]


def test_changed_only_when_content_hash_differs():
    page = [
        entry("c", "2024-01-01T12:00:00+00:00"),
        entry("b", "2024-01-01T11:00:00+00:00"),
        entry("a", "2024-01-01T10:00:00+00:00"),
    ]
    assert events(run(page, hashes={"b": "h"})) == []
    assert events(run(page, hashes={"b": "other"})) == [("changed", "b")]


def test_missing_inside_window_counts_then_removes():
    page = [entry("c", "2024-01-01T12:00:00+00:00"), entry("a", "2024-01-01T10:00:00+00:00")]
    first = run(page, last=2)
    assert events(first) == [] and first.missing_counts == {"b": 1}
    store = dict(STORE, b=stored("b", 2, "2024-01-01T11:00:00+00:00", missing=1))
    second = run(page, store=store, last=2)
    assert events(second) == [("removed", "b")]


def test_older_than_window_is_scrolled_out_not_removed():
    page = [entry("c", "2024-01-01T12:00:00+00:00"), entry("b", "2024-01-01T11:00:00+00:00")]
    store = dict(STORE, a=stored("a", 1, "2024-01-01T10:00:00+00:00", missing=1))
    result = run(page, store=store)
    assert events(result) == [] and result.missing_counts == {"a": 0}


def test_without_times_storage_order_decides():
    store = {k: stored(k, i, None) for i, k in enumerate("abc", start=1)}
    result = run([entry("c", None), entry("a", None)], store=store, last=2)
    assert result.missing_counts == {"b": 1}
    result = run([entry("c", None), entry("b", None)], store=store, last=2)
    assert result.missing_counts == {} and result.scrolled_out == ["a"]


def test_empty_or_shrunken_page_is_suspicious_and_removes_nothing():
    assert run([]).status == "suspicious"
    shrunk = run([entry("c", "2024-01-01T12:00:00+00:00")], last=10)
    assert shrunk.status == "suspicious" and shrunk.missing_counts == {} and events(shrunk) == []


def test_removed_entry_that_returns_is_restored():
    store = dict(STORE, b=stored("b", 2, "2024-01-01T11:00:00+00:00", removed="2024-01-02"))
    page = [entry(k, STORE[k].published_at) for k in "cba"]
    assert events(run(page, store=store)) == [("restored", "b")]


def gone(key, published):
    return EntryItem(key=key, published_at=published, deleted=True)


def test_a_deletion_the_platform_states_is_removed_at_once():
    result = run(
        [
            entry("c", "2024-01-01T12:00:00+00:00"),
            gone("b", "2024-01-01T11:00:00+00:00"),
            entry("a", "2024-01-01T10:00:00+00:00"),
        ]
    )
    assert events(result) == [("removed", "b")]  # no two-poll wait
    assert result.missing_counts == {}  # and it is not "missing" either
    # Unknown keys, and entries already removed, produce nothing; a stated deletion is not
    # counted as found, and it is applied even on a suspicious poll.
    store = dict(STORE, b=stored("b", 2, "2024-01-01T11:00:00+00:00", removed="x"))
    quiet = run([gone("b", None), gone("zz", None), entry("c", "2024-01-01T12:00:00+00:00")], store)
    assert events(quiet) == [] and quiet.status == "suspicious"
    only = run([gone("a", None)], last=3)
    assert only.status == "suspicious" and events(only) == [("removed", "a")]


def test_a_partial_answer_moves_no_missing_counter_and_is_never_suspicious_for_its_size():
    """A platform's incremental answer lists only changes: ``a`` and ``c`` are absent from it
    though a newer and an older entry are listed, and stay untouched; its stated deletion
    goes at once; an empty answer is an ordinary healthy poll."""
    store = {**STORE, "b": stored("b", 2, "2024-01-01T11:00:00+00:00", missing=1)}
    delta = [entry("d", "2024-01-01T13:00:00+00:00"), gone("b", "2024-01-01T11:00:00+00:00")]
    delta.append(entry("a", "2024-01-01T10:00:00+00:00", content_hash="h2"))
    result = diff_entries(
        store, delta, content_hashes={"a": "h2"}, last_healthy_count=3, partial=True
    )
    assert result.status == "ok"
    assert events(result) == [("changed", "a"), ("new", "d"), ("removed", "b")]
    assert result.missing_counts == {} and result.scrolled_out == []
    empty = diff_entries(store, [], content_hashes={}, last_healthy_count=3, partial=True)
    assert (empty.status, empty.developments, empty.missing_counts) == ("ok", [], {})
    # The same answer read as a full page would count ``c`` missing and find it shrunken.
    assert run([entry("d", "2024-01-01T13:00:00+00:00")], store=store).status == "suspicious"
