"""Stored answers of creating requests (Idempotency-Key), kept a week, with the emails still owed."""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.records import Outcome
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
        pending_emails=outcome.pending_emails or None,
    )


def _record(item: IdempotencyRecord) -> Outcome:
    return Outcome(scope=item.key, request_hash=item.request_hash, status_code=int(item.status_code),
                   response=item.response, created_at=item.created_at, pending_emails=item.pending_emails or [])


def save_in(tx: TransactWrite, outcome: Outcome) -> None:
    """The record commits with what the request created; a twin that committed first fails its condition."""
    tx.save(_item(outcome), condition=IdempotencyRecord.key.does_not_exist())


def get(scope: str) -> Outcome | None:
    try:
        return _record(IdempotencyRecord.get(scope, consistent_read=True))
    except IdempotencyRecord.DoesNotExist:
        return None


def claim_pending_emails(outcome: Outcome) -> list[dict[str, str]]:
    """Take the emails a request owes, once: a concurrent or later retry finds nothing left to send."""
    if not outcome.pending_emails:
        return []
    try:
        IdempotencyRecord(outcome.scope).update(actions=[IdempotencyRecord.pending_emails.remove()],
                                                condition=IdempotencyRecord.pending_emails.exists())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return []
        raise
    return list(outcome.pending_emails)
