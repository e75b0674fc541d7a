"""Stored answers of creating requests (Idempotency-Key), kept a week."""

from __future__ import annotations

from datetime import timedelta

from pynamodb.transactions import TransactWrite

from chalicelib.domain.records import Outcome
from chalicelib.store import outbox
from chalicelib.store.connection import get_or_none
from chalicelib.store.models import IdempotencyRecord

TTL = timedelta(days=7)


def _item(outcome: Outcome) -> IdempotencyRecord:
    return IdempotencyRecord(
        outcome.scope,
        request_hash=outcome.request_hash,
        status_code=outcome.status_code,
        response=outcome.response,
        created_at=outcome.created_at,
        expires_at=outcome.created_at + TTL,
    )


def _record(item: IdempotencyRecord) -> Outcome:
    return Outcome(scope=item.key, request_hash=item.request_hash, status_code=int(item.status_code),
                   response=item.response, created_at=item.created_at)


def save_in(tx: TransactWrite, outcome: Outcome) -> None:
    """The record commits with what the request created and the notices it owes (the outbox); a twin that
    committed first fails its condition, and so none of its notices are written twice."""
    tx.save(_item(outcome), condition=IdempotencyRecord.key.does_not_exist())
    outbox.save_in(tx, outcome.notices)


def get(scope: str) -> Outcome | None:
    item = get_or_none(IdempotencyRecord, scope, consistent_read=True)
    return None if item is None else _record(item)
