"""Notices owed by a change (emails, webhook deliveries): the retry schedule and the webhook signature
(docs/ARCHITECTURE.md, outbox). Pure: the caller passes the time and the randomness."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum


class NoticeKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (the first attempt is due at once)
    SENDING = "sending"  # claimed by a consumer until its lease ends
    SENT = "sent"
    PARKED = "parked"  # gave up after RETRY_WINDOW: the dead letters, listed per endpoint and replayable


class WebhookEvent(StrEnum):
    """What an owner's system is told about a certificate it verified."""

    AMENDED = "certificate.amended"  # a new version was issued
    TERMS_CHANGED = "certificate.terms_changed"  # 保証期間 or 工期末日 changed without a new certificate
    CANCELLED = "certificate.cancelled"
    KEY_REISSUED = "certificate.key_reissued"  # the payload never carries the key


FIRST_RETRY = timedelta(seconds=30)
MAX_INTERVAL = timedelta(hours=1)
RETRY_WINDOW = timedelta(hours=24)  # after this, a notice still failing is parked
LEASE = timedelta(seconds=60)  # a consumer that died mid-delivery loses its claim after this


def _nominal_delay(failures: int) -> timedelta:
    """30 s after the first failure, doubling, capped at 1 h."""
    delay: timedelta = min(FIRST_RETRY * (2 ** max(failures - 1, 0)), MAX_INTERVAL)
    return delay


def retry_delay(failures: int, random: Callable[[], float]) -> timedelta:
    """Exponential backoff with jitter: each delay drawn from [50 %, 100 %] of its nominal value so that
    failing receivers are not hit in lockstep."""
    return _nominal_delay(failures) * (0.5 + 0.5 * float(random()))


def next_attempt(created_at: datetime, failures: int, now: datetime,
                 random: Callable[[], float]) -> datetime | None:
    """When to try again after the `failures`-th failure, or None: park it (past the 24 h window)."""
    at = now + retry_delay(failures, random)
    return None if at > created_at + RETRY_WINDOW else at


def nominal_schedule() -> list[timedelta]:
    """The attempts' nominal offsets from the first one (no jitter), for the documentation and the report."""
    offsets, at, failures = [timedelta(0)], timedelta(0), 0
    while True:
        failures += 1
        at += _nominal_delay(failures)
        if at > RETRY_WINDOW:
            return offsets
        offsets.append(at)


SIGNATURE_HEADER = "X-Denshi-Hosho-Signature"
DELIVERY_HEADER = "X-Denshi-Hosho-Delivery"
EVENT_HEADER = "X-Denshi-Hosho-Event"
REPLAY_WINDOW = timedelta(minutes=5)


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_valid(secret: bytes, header: str, body: bytes, now: int,
                    window: timedelta = REPLAY_WINDOW) -> bool:
    """What a receiver does: parse, refuse a timestamp outside the replay window, compare in constant time."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > window.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={given}")
