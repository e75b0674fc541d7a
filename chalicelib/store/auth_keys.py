"""Storage of 認証キー state and the guessing counters, each change one atomic DynamoDB call.

An attempt first claims a guess with a conditional update (the pessimistic count), so however many
requests arrive at once, no more guesses are evaluated than the lock allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.store.guarantees import transaction_connection
from chalicelib.store.models import AuditEvent, AuthKey, Throttle, Verification

MAX_CONSECUTIVE_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
MAX_TOTAL_FAILURES = 20
MAX_ACCOUNT_FAILURES_PER_HOUR = 100


@dataclass(frozen=True)
class Claim:
    """Outcome of claiming a guess: the key state if the guess may be evaluated, else why not."""

    key: AuthKey | None
    refused: str | None = None  # "missing" | "locked" | "disabled"
    retry_after: int = 0


def claim_attempt(region: str, contract_number: str, now: datetime) -> Claim:
    """Count the attempt as a failure up front (undone on success) unless the key is locked or disabled."""
    table = AuthKey.Meta.table_name
    try:
        result = aws.client("dynamodb", region).update_item(
            TableName=table,
            Key={"contract_number": {"S": contract_number}},
            UpdateExpression="ADD consecutive_failures :one, total_failures :one SET last_failure_at = :now",
            ConditionExpression=(
                "attribute_exists(contract_number) AND disabled = :false AND total_failures < :max_total"
                " AND (consecutive_failures < :max_consecutive OR last_failure_at < :lock_cutoff)"
            ),
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":now": {"S": _ts(now)},
                ":false": {"BOOL": False},
                ":max_total": {"N": str(MAX_TOTAL_FAILURES)},
                ":max_consecutive": {"N": str(MAX_CONSECUTIVE_FAILURES)},
                ":lock_cutoff": {"S": _ts(now - LOCK_DURATION)},
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
        if key.disabled or key.total_failures >= MAX_TOTAL_FAILURES:
            return Claim(key, "disabled")
        assert key.last_failure_at is not None
        remaining = key.last_failure_at + LOCK_DURATION - now
        return Claim(key, "locked", max(1, int(remaining.total_seconds()) + 1))
    return Claim(AuthKey.from_raw_data(result["Attributes"]))


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
    try:
        with TransactWrite(connection=transaction_connection(region)) as tx:
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
    with TransactWrite(connection=transaction_connection(region)) as tx:
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


def verifications_of(obligee_id: str, limit: int, start_key: dict[str, Any] | None
                     ) -> tuple[list[Verification], bool]:
    items = list(Verification.query(obligee_id, scan_index_forward=False, limit=limit + 1,
                                    last_evaluated_key=start_key, page_size=limit + 1))
    return items[:limit], len(items) > limit
