"""Storage of 認証キー state and the guessing counters, each change one atomic DynamoDB call.

An attempt first claims a guess with a conditional update (the pessimistic count), so however many
requests arrive at once, no more guesses are evaluated than the lock allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters import aws
from chalicelib.store.guarantees import transact
from chalicelib.store.models import AuditEvent, AuthKey, Throttle, Verification

MAX_CONSECUTIVE_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
MAX_TOTAL_FAILURES = 20
MAX_ACCOUNT_FAILURES_PER_HOUR = 100


@dataclass(frozen=True)
class Claim:
    """Outcome of claiming a guess: the key state if the guess may be evaluated, else why not."""

    key: AuthKey | None
    refused: str | None = None  # "missing" | "other_owner" | "locked" | "disabled"
    retry_after: int = 0


def claim_attempt(region: str, contract_number: str, now: datetime, obligee_id: str | None) -> Claim:
    """Count the attempt as a failure up front (undone on success) unless the key is locked or disabled.

    A streak of failures is consecutive while each follows the last within LOCK_DURATION: the 5th locks
    the contract until LOCK_DURATION after it, and a failure after a quiet LOCK_DURATION (or a lapsed
    lock) starts a new streak. One conditional update in the usual case; a second only to restart a
    stale streak, guarded by the failure time it saw so concurrent claims cannot both restart it.
    Only the owner the certificate is addressed to counts: another owner's attempts can never succeed,
    so they neither lock the contract nor learn from a lock that it exists (refused "other_owner").
    """
    table = AuthKey.Meta.table_name
    cutoff = _ts(now - LOCK_DURATION)
    base = ("attribute_exists(contract_number) AND obligee_id = :obligee AND disabled = :false"
            " AND total_failures < :max_total")
    continue_streak = {
        "UpdateExpression": "ADD consecutive_failures :one, total_failures :one SET last_failure_at = :now",
        "ConditionExpression": f"{base} AND consecutive_failures < :max_consecutive"
                               " AND (consecutive_failures = :zero OR last_failure_at > :lock_cutoff)",
        "ExpressionAttributeValues": {":zero": {"N": "0"}, ":max_consecutive": {"N": str(MAX_CONSECUTIVE_FAILURES)},
                                      ":lock_cutoff": {"S": cutoff}},
    }
    old: dict[str, Any] | None = None
    for _ in range(3):
        if old is None:
            request = continue_streak
        else:  # a stale streak: this failure is the first of a new one
            request = {
                "UpdateExpression": "ADD total_failures :one SET consecutive_failures = :one, last_failure_at = :now",
                "ConditionExpression": f"{base} AND last_failure_at = :seen",
                "ExpressionAttributeValues": {":seen": old["last_failure_at"]},
            }
        try:
            result = aws.client("dynamodb", region).update_item(
                TableName=table,
                Key={"contract_number": {"S": contract_number}},
                UpdateExpression=request["UpdateExpression"],
                ConditionExpression=request["ConditionExpression"],
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":now": {"S": _ts(now)},
                    ":obligee": {"S": obligee_id or ""},
                    ":false": {"BOOL": False},
                    ":max_total": {"N": str(MAX_TOTAL_FAILURES)},
                    **request["ExpressionAttributeValues"],
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            if not old:
                return Claim(None, "missing")
            key = AuthKey.from_raw_data(old)
            if key.obligee_id != obligee_id:
                return Claim(key, "other_owner")
            if key.disabled or key.total_failures >= MAX_TOTAL_FAILURES:
                return Claim(key, "disabled")
            assert key.last_failure_at is not None
            remaining = (key.last_failure_at + LOCK_DURATION - now).total_seconds()
            if key.consecutive_failures >= MAX_CONSECUTIVE_FAILURES and remaining > 0:
                return Claim(key, "locked", max(1, math.ceil(remaining)))
            if request is not continue_streak:
                old = None  # another request moved the streak on meanwhile: judge afresh
            continue
        return Claim(AuthKey.from_raw_data(result["Attributes"]))
    return Claim(None if old is None else AuthKey.from_raw_data(old), "locked", 1)  # contended: try again


def _ts(moment: datetime) -> str:
    # The same text form pynamodb's UTCDateTimeAttribute stores, so comparisons are by time.
    return AuthKey.last_failure_at.serialize(moment)


def account_window(username: str, now: datetime) -> tuple[str, int]:
    """The hour window of an account's failures and the seconds until it ends."""
    window_end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return f"{username}#{now.strftime('%Y%m%d%H')}", max(1, int((window_end - now).total_seconds()))


def count_account_failure(username: str, now: datetime) -> int:
    """Add one failure to the account's current window; returns the window's count."""
    window, _ = account_window(username, now)
    item = Throttle(window)
    item.update(actions=[Throttle.failures.add(1), Throttle.expires_at.set(timedelta(hours=2))])
    return int(item.failures)


def record_success(
    region: str, key: AuthKey, username: str, verification: Verification, event: AuditEvent, now: datetime
) -> bool:
    """Undo the claimed failure, remember the verification and audit it, unless the account is over its
    hourly limit (then nothing is written and False is returned)."""
    window, _ = account_window(username, now)
    def write(tx: TransactWrite) -> None:
        tx.condition_check(
            Throttle, window,
            condition=Throttle.failures.does_not_exist() | (Throttle.failures < MAX_ACCOUNT_FAILURES_PER_HOUR),
        )
        tx.update(
            key,
            actions=[AuthKey.consecutive_failures.set(0), AuthKey.total_failures.add(-1)],
            condition=AuthKey.generation == key.generation,
        )
        tx.save(verification)
        tx.save(event)

    try:
        transact(region, write)
    except Exception as exc:  # noqa: BLE001 - inspected below
        if _cancelled_by_condition(exc):
            return False
        raise
    return True


def _cancelled_by_condition(exc: Exception) -> bool:
    reasons: Any = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def get_auth_key(contract_number: str) -> AuthKey | None:
    try:
        return AuthKey.get(contract_number, consistent_read=True)
    except AuthKey.DoesNotExist:
        return None


def replace_key(region: str, key: AuthKey, digest: str, encrypted: bytes, event: AuditEvent,
                now: datetime) -> None:
    """A re-issued key: the old digest is gone in the same write, counters and lock start afresh."""
    def write(tx: TransactWrite) -> None:
        tx.update(
            key,
            actions=[
                AuthKey.digest.set(digest),
                AuthKey.encrypted_key.set(encrypted),
                AuthKey.generation.add(1),
                AuthKey.consecutive_failures.set(0),
                AuthKey.total_failures.set(0),
                AuthKey.last_failure_at.remove(),
                AuthKey.disabled.set(False),
                AuthKey.updated_at.set(now),
            ],
            condition=AuthKey.generation == key.generation,
        )
        tx.save(event)

    transact(region, write)


def verifications_of(obligee_id: str, limit: int, start_key: dict[str, Any] | None
                     ) -> tuple[list[Verification], bool]:
    items = list(Verification.query(obligee_id, scan_index_forward=False, limit=limit + 1,
                                    last_evaluated_key=start_key, page_size=limit + 1))
    return items[:limit], len(items) > limit
