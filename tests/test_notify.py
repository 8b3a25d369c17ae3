"""The notification outbox against a real database: baseline silent, retries, never twice."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.items import Development, EntryItem, PollItem
from crawler.store.recording import record_poll
from scheduler.notify import Notifier, message_for

URL = "http://127.0.0.1:1/live.html"


def poll(store, *keys):
    entries = [
        EntryItem(
            key=k,
            title=f"Title {k}",
            body=f"body {k}",
            content_hash=k,
            raw_hash=k,
            url=f"{URL}#{k}",
        )
        for k in keys
    ]
    item = PollItem(
        source_url=URL, kind="liveblog", source_name="live", entries=entries, body_hash="x"
    )
    return record_poll(store, item)


class FakeSender:
    def __init__(self):
        self.sent, self.fail = [], set()

    def __call__(self, target, title, body):
        if target in self.fail:
            return False
        self.sent.append((target, title, body))
        return True


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def pending(store):
    return store.conn.execute("SELECT count(*) FROM events WHERE notified_at IS NULL").fetchone()[0]


def test_baseline_is_silent_then_each_poll_notified_once(store):
    sender = FakeSender()
    notifier = Notifier(store.path, {"live": ("json://a/",)}, sender=sender)
    poll(store, "a", "b", "c")
    assert notifier.run_once() == 3 and sender.sent == []  # the baseline: no flood
    poll(store, "a", "b", "c", "d", "e")
    assert notifier.run_once() == 2
    assert len(sender.sent) == 1  # one message per poll and target
    target, title, body = sender.sent[0]
    assert title == "live: 2 developments" and "NEW live - Title e" in body
    assert notifier.run_once() == 0 and len(sender.sent) == 1 and pending(store) == 0
    notifier.close()


def test_failure_is_retried_with_backoff_and_delivered_targets_are_not_resent(store):
    sender, clock = FakeSender(), Clock()
    notifier = Notifier(
        store.path, {"live": ("json://ok/", "json://down/")}, sender=sender, clock=clock
    )
    poll(store, "a")
    notifier.run_once()
    poll(store, "a", "b")
    sender.fail.add("json://down/")
    assert notifier.run_once() == 0 and pending(store) == 1
    assert [t for t, *_ in sender.sent] == ["json://ok/"]
    notifier.run_once()  # still backing off: no new attempt
    sender.fail.clear()
    assert notifier.run_once() == 0
    clock.now = 6.0
    assert notifier.run_once() == 1
    assert [t for t, *_ in sender.sent] == ["json://ok/", "json://down/"]  # ok/ not twice
    assert pending(store) == 0
    notifier.close()


def test_events_of_sources_without_targets_are_closed_unsent(store):
    sender = FakeSender()
    notifier = Notifier(store.path, {}, sender=sender)
    poll(store, "a")
    poll(store, "a", "b")
    notifier.run_once()
    assert sender.sent == [] and pending(store) == 0
    notifier.close()


def test_message_fields_are_escaped():
    title, body = message_for("src", [Development("new", "k", title="Evil\n\x1b[31mline", url="u")])
    assert "\n" not in title and "\x1b" not in title and "\x1b" not in body


def test_template_and_markup_in_scraped_text_stay_literal():
    """Messages are plain formatting of escaped fields: nothing scraped is ever a template."""
    hostile = "{{7*7}} {source} %(x)s ${x} <script>alert(1)</script> {0}"
    title, body = message_for("src", [Development("new", "k", title=hostile, url="u")])
    assert hostile in title and hostile in body
    assert "49" not in title + body


class Receiver:
    """A POST endpoint on 127.0.0.1 that apprise's json:// target can reach."""

    def __init__(self):
        self.bodies = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                owner.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_apprise_json_target_end_to_end(store):
    pytest.importorskip("apprise")
    receiver = Receiver()
    try:
        notifier = Notifier(store.path, {"live": (f"json://127.0.0.1:{receiver.port}/",)})
        poll(store, "a")
        poll(store, "a", "b")
        assert notifier.run_once() == 2
        assert len(receiver.bodies) == 1
        assert receiver.bodies[0]["title"].startswith("NEW live: Title b")
        assert "Title b" in receiver.bodies[0]["message"]
        notifier.close()
    finally:
        receiver.httpd.shutdown()


def test_two_notifiers_on_one_postgres_outbox_send_once(pg_url):
    """Workers on PostgreSQL share the outbox: a delivery another notifier is still sending
    keeps its event open, neither skipped (closed unsent) nor sent a second time. (A SQLite
    file has one daemon, which settles a "sending" record it finds as cut off by a crash.)"""
    from crawler.store.db import Store

    store = Store(pg_url)
    poll(store, "a")
    poll(store, "a", "b")
    sent = []
    second = Notifier(pg_url, {"live": ("t://x",)}, sender=lambda *m: sent.append(m) or True)
    passes = []

    def send_while_second_passes(*message) -> bool:
        passes.append(second.run_once())  # the second notifier runs while this one sends
        sent.append(message)
        return True

    first = Notifier(pg_url, {"live": ("t://x",)}, sender=send_while_second_passes)
    try:
        assert first.run_once() == 2  # the baseline, closed unsent, and "b"
        assert passes == [0], "the second notifier closed or sent an event in flight"
        assert second.run_once() == 0 and len(sent) == 1 and sent[0][0] == "t://x"
    finally:
        first.close()
        second.close()
        store.close()


def test_a_delivery_is_claimed_once_across_connections(store):
    from crawler.store.db import Store
    from crawler.store.outbox import begin_delivery, end_delivery

    poll(store, "a")
    other = Store(store.path)
    try:
        poll_id = store.conn.execute("SELECT max(id) FROM polls").fetchone()[0]
        assert begin_delivery(store, poll_id, "t://y")
        assert not begin_delivery(other, poll_id, "t://y")  # claimed: never two senders
        end_delivery(store, poll_id, "t://y", sent=False)
        assert begin_delivery(other, poll_id, "t://y")  # refused: free to claim again
    finally:
        other.close()
