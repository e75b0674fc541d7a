"""Idempotent creating requests: a retry with the same Idempotency-Key gets the first answer and
changes nothing; the record commits in the same transaction as what the request created, with the
emails the request owes, which are then claimed once and sent."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import mail as notify
from chalicelib.domain.principal import Principal
from chalicelib.errors import BadRequest, Unprocessable
from chalicelib.store import guarantees as store
from chalicelib.store.models import IdempotencyRecord

logger = logging.getLogger(__name__)

IDEMPOTENCY_TTL = timedelta(days=7)
_MAX_IDEMPOTENCY_KEY = 128


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_scope(principal: Principal, operation: str, idempotency_key: str | None) -> str:
    """The record key of a creating request; a missing or absurd header is refused up front."""
    key = (idempotency_key or "").strip()
    if not key:
        raise BadRequest(
            "Idempotency-Key ヘッダーは必須です。再送時にも同じ値を指定してください。",
            code="idempotency_key_required",
            errors=[{"field": "Idempotency-Key", "message": "Idempotency-Key ヘッダーは必須です"}],
        )
    if len(key) > _MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise BadRequest(
            "Idempotency-Key は128文字以内の印字可能な文字列としてください。",
            code="idempotency_key_invalid",
            errors=[{"field": "Idempotency-Key", "message": "Idempotency-Key は128文字以内としてください"}],
        )
    return f"{principal.actor}#{operation}#{key}"


def replay(record: IdempotencyRecord, body_hash: str) -> tuple[int, dict[str, Any]]:
    """The stored answer for a retried request; the same key with another body is refused."""
    if record.request_hash != body_hash:
        raise Unprocessable(
            "この Idempotency-Key は別の内容のリクエストで使用済みです。新しいキーを指定してください。",
            code="idempotency_key_reused",
        )
    deliver_pending_emails(record)
    return int(record.status_code), json.loads(record.response)


def new_record(scope: str, body_hash: str, status: int, response: dict[str, Any], now: datetime,
               emails: list[notify.Email]) -> IdempotencyRecord:
    """The stored answer of a creating request, with the emails it owes (sent after the commit)."""
    return IdempotencyRecord(
        scope,
        request_hash=body_hash,
        status_code=status,
        response=json.dumps(response, ensure_ascii=False),
        created_at=now,
        expires_at=IDEMPOTENCY_TTL,
        pending_emails=notify.encode(emails),
    )


def deliver_pending_emails(record: IdempotencyRecord) -> None:
    """Send what a committed request owes, at most once across retries."""
    try:
        pending = store.claim_pending_emails(record)
    except Exception:  # the change is committed; a retry with the same key will send what is still owed
        logger.exception("pending emails not claimed", extra={"scope": record.key.split("#", 1)[-1]})
        return
    for email in notify.decode(pending) if pending else []:
        notify.send(email)


@dataclass(frozen=True)
class Attempt:
    """One creating request, identified by its caller, operation and Idempotency-Key."""

    scope: str
    body_hash: str

    def record(self, status: int, response: dict[str, Any], now: datetime,
               emails: list[notify.Email]) -> IdempotencyRecord:
        return new_record(self.scope, self.body_hash, status, response, now, emails)


def run_once(principal: Principal, operation: str, idempotency_key: str | None, body: Any,
             perform: Callable[[Attempt], tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    """Perform a creating request once per Idempotency-Key; a retry (even a concurrent one) replays."""
    attempt = Attempt(idempotency_scope(principal, operation, idempotency_key), request_hash(body))
    existing = store.get_idempotency(attempt.scope)
    if existing is not None:
        return replay(existing, attempt.body_hash)
    try:
        return perform(attempt)
    except store.IdempotencyRace:
        # A concurrent twin committed first; answer as it did (a number we drew is burned, never reused).
        winner = store.get_idempotency(attempt.scope)
        assert winner is not None
        return replay(winner, attempt.body_hash)
