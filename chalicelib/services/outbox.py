"""Delivering what committed changes owe: emails and webhook deliveries (docs/ARCHITECTURE.md, outbox).

A notice is written to the outbox table in the change's own transaction, then its id is handed to SQS. The
consumer (`deliver_batch`, run by the queue's Lambda event source, or by `make run`'s poller) claims each
notice with a conditional update and records the result, so a redelivered message sends nothing twice.
Retries keep their schedule in the notice itself: a failed attempt sets `next_attempt_at`, and the sweep
(every minute, `sweep`) hands due notices to the queue again; SQS's 15-minute delay limit never matters,
and the same sweep hands over notices whose first hand-off failed or whose consumer died mid-delivery.
"""

from __future__ import annotations

import http.client
import json
import logging
import random as _random
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from chalicelib.adapters import key_material, mail, queue
from chalicelib.config import get_settings
from chalicelib.domain.clock import utc_now
from chalicelib.domain.outbox import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    NoticeKind,
    next_attempt,
    sign,
)
from chalicelib.domain.records import Notice
from chalicelib.logs import log_context
from chalicelib.store import outbox as outbox_store
from chalicelib.store import webhooks as webhook_store

logger = logging.getLogger(__name__)
SWEEP_LIMIT = 500
ENDPOINT_REVOKED = "endpoint revoked"  # parked at once: no retry can succeed


def new_id() -> str:
    return uuid.uuid4().hex


def email_notices(emails: Iterable[mail.Email], now: datetime) -> tuple[Notice, ...]:
    return tuple(Notice(new_id(), NoticeKind.EMAIL, mail.encode([e])[0], now) for e in emails)


def hand_off(notices: Iterable[Notice]) -> None:
    """Queue the notices a committed change owes. A failure is logged: the sweep queues them later."""
    ids = [n.notice_id for n in notices]
    if not ids:
        return
    try:
        queue.enqueue(ids)
    except Exception:
        logger.exception("outbox hand-off failed; the sweep will queue it", extra=log_context(count=len(ids)))


def _post_webhook(notice: Notice, now: datetime) -> str | None:
    """One delivery attempt; None when the receiver took it (2xx), else why not (no body, no secret)."""
    from chalicelib.adapters import webhook_http

    assert notice.obligee_id is not None and notice.endpoint_id is not None
    endpoint = webhook_store.get(notice.obligee_id, notice.endpoint_id)
    if endpoint is None or endpoint.revoked_at is not None:
        return ENDPOINT_REVOKED
    secret = key_material.decrypt_webhook_secret(endpoint.endpoint_id, endpoint.encrypted_secret)
    body = json.dumps(notice.payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body),
               DELIVERY_HEADER: notice.notice_id, EVENT_HEADER: str(notice.payload.get("type", ""))}
    try:
        status = webhook_http.post(endpoint.url, body, headers, get_settings().webhooks_allow_loopback)
    except webhook_http.UnsafeDestination:
        return "unsafe destination"
    except TimeoutError:
        return "timeout"
    except (OSError, http.client.HTTPException) as exc:
        return f"network error ({type(exc).__name__})"
    return None if 200 <= status < 300 else f"HTTP {status}"


def deliver(notice_id: str, now: datetime | None = None,
            random: Callable[[], float] = _random.random) -> str:
    """Claim one notice and try it once. Returns what happened: sent, retry, parked or skipped (sent
    already, not due, or being tried by another consumer)."""
    now = now or utc_now()
    notice = outbox_store.claim(notice_id, now)
    if notice is None:
        return "skipped"
    try:
        if notice.kind is NoticeKind.EMAIL:
            error = None if mail.send(mail.decode([notice.payload])[0]) else "not accepted by SES"
        else:
            error = _post_webhook(notice, now)
    except Exception as exc:  # noqa: BLE001 - any failed attempt counts toward the 24 h, then parks
        # The type only: a message may quote the receiver's URL.
        logger.exception("notice attempt failed", extra=log_context(notice_kind=notice.kind.value))
        error = f"error ({type(exc).__name__})"
    if error is None:
        outbox_store.mark_sent(notice_id, now)
        return "sent"
    retry_at = None if error == ENDPOINT_REVOKED else next_attempt(
        notice.window_start or notice.created_at, notice.attempts + 1, now, random)
    outbox_store.mark_failed(notice_id, error, retry_at)
    logger.warning("notice not delivered", extra=log_context(
        notice_kind=notice.kind.value, attempts=notice.attempts + 1, outcome="retry" if retry_at else "parked",
        error=error))
    return "retry" if retry_at else "parked"


def deliver_batch(bodies: Iterable[str], now: datetime | None = None) -> list[str]:
    """The queue consumer: one attempt per message. Nothing raises out of here: whatever could not be done
    stays due in the outbox, and the sweep queues it again."""
    results = []
    for body in bodies:
        notice_id = queue.notice_id_of(body)
        if notice_id is None:
            results.append("malformed")
            continue
        try:
            results.append(deliver(notice_id, now))
        except Exception:
            logger.exception("notice delivery failed; left for the sweep")
            results.append("error")
    return results


def sweep(now: datetime | None = None) -> int:
    """Queue every notice that is due (a retry, a lost hand-off, an abandoned claim). Returns how many."""
    ids = outbox_store.due_ids(now or utc_now(), SWEEP_LIMIT)
    if ids:
        queue.enqueue(ids)
    return len(ids)
