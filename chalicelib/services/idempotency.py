"""Idempotent creating requests: a retry with the same Idempotency-Key gets the first answer and
changes nothing; the record commits in the same transaction as what the request created, with the
notices the request owes in the outbox (docs/ARCHITECTURE.md, idempotency, outbox)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.adapters import mail
from chalicelib.domain.limits import MAX_IDEMPOTENCY_KEY
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Notice, Outcome
from chalicelib.domain.validation import ValidationFailed
from chalicelib.errors import ApiError, BadRequest, Unprocessable
from chalicelib.services import outbox
from chalicelib.store import idempotency as idempotency_store
from chalicelib.store.guarantees import IdempotencyRace


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
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise BadRequest(
            f"Idempotency-Key は{MAX_IDEMPOTENCY_KEY}文字以内の印字可能な文字列としてください。",
            code="idempotency_key_invalid",
            errors=[{"field": "Idempotency-Key",
                     "message": f"Idempotency-Key は{MAX_IDEMPOTENCY_KEY}文字以内としてください"}],
        )
    return f"{principal.actor}#{operation}#{key}"


def replay(outcome: Outcome, body_hash: str) -> tuple[int, dict[str, Any]]:
    """The stored answer for a retried request; the same key with another body is refused."""
    if outcome.request_hash != body_hash:
        raise Unprocessable(
            "この Idempotency-Key は別の内容のリクエストで使用済みです。新しいキーを指定してください。",
            code="idempotency_key_reused",
        )
    return outcome.status_code, outcome.response


@dataclass(frozen=True)
class Attempt:
    """One creating request, identified by its caller, operation and Idempotency-Key."""

    scope: str
    body_hash: str

    def outcome(self, status: int, response: dict[str, Any], now: datetime, emails: list[mail.Email],
                webhooks: tuple[Notice, ...] = ()) -> Outcome:
        """The answer to store with the change, and the notices (emails, webhook deliveries) it owes: they
        are written to the outbox in the change's transaction."""
        return Outcome(self.scope, self.body_hash, status, response, now,
                       outbox.email_notices(emails, now) + webhooks)


def run_once(principal: Principal, operation: str, idempotency_key: str | None, body: Any,
             perform: Callable[[Attempt], tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    """Perform a creating request once per Idempotency-Key; a retry (even a concurrent one) replays."""
    attempt = Attempt(idempotency_scope(principal, operation, idempotency_key), request_hash(body))
    existing = idempotency_store.get(attempt.scope)
    if existing is not None:
        return replay(existing, attempt.body_hash)
    try:
        return perform(attempt)
    except IdempotencyRace:
        # A concurrent twin committed first; answer as it did (a number we drew is burned, never reused).
        winner = idempotency_store.get(attempt.scope)
        assert winner is not None
        return replay(winner, attempt.body_hash)
    except (ApiError, ValidationFailed):
        # A twin may have committed between our first look and our read of the guarantee (its change is why
        # we conflict, or find nothing left to change): a retry gets the first answer, whatever the order.
        winner = idempotency_store.get(attempt.scope)
        if winner is None:
            raise
        return replay(winner, attempt.body_hash)
