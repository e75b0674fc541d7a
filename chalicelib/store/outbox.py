"""The outbox: notices owed by committed changes, and their delivery state (docs/ARCHITECTURE.md, outbox).

A notice is written in the same transaction as the change that owes it. A consumer claims it with one
conditional update (pending and due, or claimed by a consumer whose lease ran out), sends it, and records
the result; a notice marked sent is never claimed again, so a redelivered queue message sends nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.outbox import LEASE, DeliveryStatus, NoticeKind
from chalicelib.domain.records import Notice
from chalicelib.store.connection import get_or_none, page, update_if
from chalicelib.store.models import OutboxNotice

DUE = "due"
KEEP = timedelta(days=30)  # delivery history per endpoint; parked notices can be replayed within this


def _instant(at: datetime) -> str:
    """Fixed-width UTC text, so the due index sorts by time."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _item(n: Notice) -> OutboxNotice:
    due = n.next_attempt_at or n.created_at
    return OutboxNotice(
        n.notice_id,
        kind=n.kind.value,
        payload=n.payload,
        created_at=n.created_at,
        status=n.status.value,
        attempts=n.attempts,
        window_start=n.window_start or n.created_at,
        next_attempt_at=due,
        obligee_id=n.obligee_id,
        endpoint_id=n.endpoint_id,
        created_key=f"{_instant(n.created_at)}#{n.notice_id}" if n.endpoint_id else None,
        due_shard=DUE,
        due_at=_instant(due),
        expires_at=n.created_at + KEEP,
    )


def _record(item: OutboxNotice) -> Notice:
    return Notice(
        notice_id=item.notice_id,
        kind=NoticeKind(item.kind),
        payload=item.payload,
        created_at=item.created_at,
        obligee_id=item.obligee_id,
        endpoint_id=item.endpoint_id,
        status=DeliveryStatus(item.status),
        attempts=int(item.attempts or 0),
        window_start=item.window_start,
        next_attempt_at=item.next_attempt_at,
        last_error=item.last_error,
        sent_at=item.sent_at,
    )


def save_in(tx: TransactWrite, notices: tuple[Notice, ...]) -> None:
    for notice in notices:
        tx.save(_item(notice), condition=OutboxNotice.notice_id.does_not_exist())


def get(notice_id: str) -> Notice | None:
    item = get_or_none(OutboxNotice, notice_id, consistent_read=True)
    return None if item is None else _record(item)


def _conditional_update(notice_id: str, actions: list[Action], condition: Condition) -> OutboxNotice | None:
    return update_if(OutboxNotice(notice_id), actions, condition)


def claim(notice_id: str, now: datetime) -> Notice | None:
    """Take a due notice for one delivery attempt, or None: sent, parked, not yet due, or claimed by a live
    consumer. The lease's end is its due time, so the sweep recovers a consumer that died mid-delivery."""
    lease_until = now + LEASE
    due_now = (OutboxNotice.status == DeliveryStatus.PENDING.value) & (OutboxNotice.next_attempt_at <= now)
    abandoned = (OutboxNotice.status == DeliveryStatus.SENDING.value) & (OutboxNotice.lease_until < now)
    item = _conditional_update(notice_id, [
        OutboxNotice.status.set(DeliveryStatus.SENDING.value),
        OutboxNotice.lease_until.set(lease_until),
        OutboxNotice.due_at.set(_instant(lease_until)),
    ], due_now | abandoned)
    return None if item is None else _record(item)


def mark_sent(notice_id: str, now: datetime) -> None:
    _conditional_update(notice_id, [
        OutboxNotice.status.set(DeliveryStatus.SENT.value),
        OutboxNotice.sent_at.set(now),
        OutboxNotice.attempts.add(1),
        OutboxNotice.last_error.remove(),
        OutboxNotice.lease_until.remove(),
        OutboxNotice.due_shard.remove(),
        OutboxNotice.due_at.remove(),
    ], OutboxNotice.status == DeliveryStatus.SENDING.value)


def mark_failed(notice_id: str, error: str, retry_at: datetime | None) -> None:
    """One failed attempt: due again at `retry_at`, or parked (None)."""
    actions: list[Action] = [OutboxNotice.attempts.add(1), OutboxNotice.last_error.set(error[:200]),
                             OutboxNotice.lease_until.remove()]
    if retry_at is None:
        actions += [OutboxNotice.status.set(DeliveryStatus.PARKED.value), OutboxNotice.due_shard.remove(),
                    OutboxNotice.due_at.remove()]
    else:
        actions += [OutboxNotice.status.set(DeliveryStatus.PENDING.value),
                    OutboxNotice.next_attempt_at.set(retry_at), OutboxNotice.due_at.set(_instant(retry_at))]
    _conditional_update(notice_id, actions, OutboxNotice.status == DeliveryStatus.SENDING.value)


def replay(notice_id: str, endpoint_id: str, now: datetime) -> bool:
    """A parked delivery due again at once, with a fresh 24 h window; False if it is not parked (or not this
    endpoint's)."""
    item = _conditional_update(notice_id, [
        OutboxNotice.status.set(DeliveryStatus.PENDING.value),
        OutboxNotice.window_start.set(now),
        OutboxNotice.next_attempt_at.set(now),
        OutboxNotice.due_shard.set(DUE),
        OutboxNotice.due_at.set(_instant(now)),
    ], (OutboxNotice.status == DeliveryStatus.PARKED.value) & (OutboxNotice.endpoint_id == endpoint_id))
    return item is not None


def due_ids(now: datetime, limit: int) -> list[str]:
    """Notices due by `now` (waiting for a retry, never handed to the queue, or abandoned mid-delivery)."""
    return [i.notice_id for i in OutboxNotice.due.query(DUE, OutboxNotice.due_at <= _instant(now), limit=limit)]


def page_of_endpoint(endpoint_id: str, limit: int, before: str | None) -> tuple[list[tuple[Notice, str]], bool]:
    """One page of an endpoint's deliveries, newest first, older than `before` (the previous page's last
    position); each with its position, and whether more follow."""
    items, has_more = page(OutboxNotice.by_endpoint, endpoint_id, limit, past=before)
    return [(_record(i), i.created_key or "") for i in items], has_more
