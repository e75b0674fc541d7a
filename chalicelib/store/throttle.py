"""Failures per owner account and hour: the account's limit on guessing 認証キー (docs/ARCHITECTURE.md, 認証キー
and guessing), counted atomically; the limit itself is the policy's (chalicelib.domain.policy.GUESSING_LIMITS)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.transactions import TransactWrite

from chalicelib.store.connection import get_or_none
from chalicelib.store.models import Throttle

KEEP = timedelta(hours=2)  # a window's count outlives its hour a little, then expires (TTL)


def account_window(username: str, now: datetime) -> tuple[str, int]:
    """The hour window of an account's failures and the seconds until it ends."""
    window_end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return f"{username}#{now.strftime('%Y%m%d%H')}", max(1, int((window_end - now).total_seconds()))


def count_failure(username: str, now: datetime) -> int:
    """Add one failure to the account's current window; returns the window's count."""
    window, _ = account_window(username, now)
    item = Throttle(window)
    item.update(actions=[Throttle.failures.add(1), Throttle.expires_at.set(now + KEEP)])
    return int(item.failures)


def check_below_in(tx: TransactWrite, window: str, limit: int) -> None:
    """Inside a transaction: the window holds fewer than `limit` failures (else the transaction is cancelled)."""
    tx.condition_check(Throttle, window, condition=Throttle.failures.does_not_exist() | (Throttle.failures < limit))


def failures(window: str) -> int:
    """The window's count as it stands (read consistently)."""
    counted = get_or_none(Throttle, window, consistent_read=True)
    return int(counted.failures or 0) if counted is not None else 0
