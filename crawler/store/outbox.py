"""Delivery records of the notification outbox: at most one message per poll and target.

The target is stored as a hash: notification URLs carry tokens that do not belong in a
database people browse with datasette.
"""

from __future__ import annotations

import hashlib

from crawler.store.db import Store, utcnow


def target_id(target: str) -> str:
    return hashlib.sha1(target.encode("utf-8")).hexdigest()[:16]


def delivery_state(store: Store, poll_id: int, target: str) -> str | None:
    row = store.conn.execute(
        "SELECT state FROM deliveries WHERE poll_id = ? AND target = ?",
        (poll_id, target_id(target)),
    ).fetchone()
    return row[0] if row else None


def begin_delivery(store: Store, poll_id: int, target: str) -> bool:
    """Claim one delivery; False when it already has a record (sent, or being sent elsewhere).

    Committed before the message leaves: a crash after this line can never resend it. The
    claim is the insert on the primary key, so of several workers that read the same pending
    event on PostgreSQL exactly one gets the row and sends; the others see zero rows.
    """
    with store.transaction() as conn:
        claimed = conn.execute(
            "INSERT INTO deliveries (poll_id, target, state, updated_at) "
            "VALUES (?, ?, 'sending', ?) ON CONFLICT (poll_id, target) DO NOTHING",
            (poll_id, target_id(target), utcnow()),
        )
        return claimed.rowcount == 1


def end_delivery(store: Store, poll_id: int, target: str, *, sent: bool) -> None:
    """Sent: close it. Refused by the target: forget it, so the retry sends it cleanly."""
    with store.transaction() as conn:
        if sent:
            conn.execute(
                "UPDATE deliveries SET state = 'sent', updated_at = ? "
                "WHERE poll_id = ? AND target = ?",
                (utcnow(), poll_id, target_id(target)),
            )
        else:
            conn.execute(
                "DELETE FROM deliveries WHERE poll_id = ? AND target = ?",
                (poll_id, target_id(target)),
            )


def interrupted_deliveries(store: Store, *, before: str | None = None) -> list[int]:
    """Deliveries a crash cut off mid-send become "uncertain" (not resent); their poll ids.

    ``before``: only those begun before this time. Workers share the table, and a "sending"
    row of a live worker is a message on its way, not an interrupted one.
    """
    since = before or "9999"
    with store.transaction() as conn:
        polls = [
            row[0]
            for row in conn.execute(
                "SELECT poll_id FROM deliveries WHERE state = 'sending' AND updated_at < ?",
                (since,),
            )
        ]
        conn.execute(
            "UPDATE deliveries SET state = 'uncertain', updated_at = ? "
            "WHERE state = 'sending' AND updated_at < ?",
            (utcnow(), since),
        )
    return polls
