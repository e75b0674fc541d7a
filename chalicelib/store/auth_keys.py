"""Storage of 認証キー state and its guessing counters, each change one atomic DynamoDB call; the account's
counts are store/throttle.py's, what owners verified store/verifications.py's.

An attempt first claims a guess with a conditional update (the pessimistic count), so however many
requests arrive at once, no more guesses are evaluated than the lock allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.policy import GUESSING_LIMITS
from chalicelib.domain.records import AuditEntry, AuthKeyState, CertificateVersion, Notice, VerificationEntry
from chalicelib.store import audit, outbox, throttle, verifications
from chalicelib.store.connection import condition_failed, get_or_none, raw_client, transact, update_if
from chalicelib.store.models import AuthKey

LIMITS = GUESSING_LIMITS  # the policy; this module only enforces it atomically


class Refusal(StrEnum):
    """Why a guess was not claimed."""

    MISSING = "missing"  # no key for the number (unknown, or a paper guarantee)
    OTHER_OWNER = "other_owner"  # addressed to another owner
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Claim:
    """Outcome of claiming a guess: the key state if the guess may be evaluated, else why not."""

    key: AuthKeyState | None
    refused: Refusal | None = None
    retry_after: int = 0


def _state(item: AuthKey) -> AuthKeyState:
    return AuthKeyState(
        contract_number=item.contract_number, obligee_id=item.obligee_id, contractor_id=item.contractor_id,
        digest=item.digest, encrypted_key=item.encrypted_key, generation=int(item.generation),
        consecutive_failures=int(item.consecutive_failures), total_failures=int(item.total_failures),
        last_failure_at=item.last_failure_at, disabled=bool(item.disabled), secret_version=item.secret_version,
        # Keys made before key_issued_at was kept: their last write was the key's (issue or reissue).
        issued_at=item.key_issued_at or item.updated_at,
    )


def _raw_state(attributes: dict[str, Any]) -> AuthKeyState:
    return _state(AuthKey.from_raw_data(attributes))


def create_in(tx: TransactWrite, key: AuthKeyState) -> None:
    """A new guarantee's key, written with the guarantee."""
    now = datetime.now(UTC)
    tx.save(AuthKey(
        key.contract_number, obligee_id=key.obligee_id, contractor_id=key.contractor_id, digest=key.digest,
        secret_version=key.secret_version, encrypted_key=key.encrypted_key, generation=key.generation,
        consecutive_failures=0, total_failures=0, disabled=False, key_issued_at=now, updated_at=now,
    ), condition=AuthKey.contract_number.does_not_exist())


def claim_attempt(contract_number: str, now: datetime, obligee_id: str | None) -> Claim:
    """Count the attempt as a failure up front (undone on success) unless the key is locked or disabled.

    A streak of failures is consecutive while each follows the last within the lock duration: the 5th locks
    the contract until the lock duration after it, and a failure after a quiet lock duration (or a lapsed
    lock) starts a new streak. One conditional update in the usual case; a second only to restart a
    stale streak, guarded by the failure time it saw so concurrent claims cannot both restart it.
    Only the owner the certificate is addressed to counts: another owner's attempts can never succeed,
    so they neither lock the contract nor learn from a lock that it exists (refused "other_owner").
    """
    table = AuthKey.Meta.table_name
    cutoff = _ts(now - LIMITS.lock_duration)
    base = ("attribute_exists(contract_number) AND obligee_id = :obligee AND disabled = :false"
            " AND total_failures < :max_total")
    continue_streak: dict[str, Any] = {
        "UpdateExpression": "ADD consecutive_failures :one, total_failures :one SET last_failure_at = :now",
        "ConditionExpression": f"{base} AND consecutive_failures < :max_consecutive"
                               " AND (consecutive_failures = :zero OR last_failure_at > :lock_cutoff)",
        "ExpressionAttributeValues": {":zero": {"N": "0"}, ":max_consecutive": {"N": str(LIMITS.lock_after)},
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
            result = raw_client().update_item(
                TableName=table,
                Key={"contract_number": {"S": contract_number}},
                UpdateExpression=request["UpdateExpression"],
                ConditionExpression=request["ConditionExpression"],
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":now": {"S": _ts(now)},
                    ":obligee": {"S": obligee_id or ""},
                    ":false": {"BOOL": False},
                    ":max_total": {"N": str(LIMITS.disable_after)},
                    **request["ExpressionAttributeValues"],
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise
            old = exc.response.get("Item")
            if not old:
                return Claim(None, Refusal.MISSING)
            key = _raw_state(old)
            if key.obligee_id != obligee_id:
                return Claim(key, Refusal.OTHER_OWNER)
            if key.disabled or key.total_failures >= LIMITS.disable_after:
                return Claim(key, Refusal.DISABLED)
            assert key.last_failure_at is not None
            remaining = (key.last_failure_at + LIMITS.lock_duration - now).total_seconds()
            if key.consecutive_failures >= LIMITS.lock_after and remaining > 0:
                return Claim(key, Refusal.LOCKED, max(1, math.ceil(remaining)))
            if request is not continue_streak:
                old = None  # another request moved the streak on meanwhile: judge afresh
            continue
        return Claim(_raw_state(result["Attributes"]))
    return Claim(None if old is None else _raw_state(old), Refusal.LOCKED, 1)  # contended: try again


def _ts(moment: datetime) -> str:
    # The same text form pynamodb's UTCDateTimeAttribute stores, so comparisons are by time.
    return AuthKey.last_failure_at.serialize(moment)


def _update_in(tx: TransactWrite, key: AuthKeyState, actions: list[Action]) -> None:
    """Inside a transaction: change the key, only while it is the generation that was read."""
    tx.update(AuthKey(key.contract_number), actions=actions, condition=AuthKey.generation == key.generation)


class SuccessRefused(StrEnum):
    ACCOUNT_LIMITED = "account_limited"  # the account reached its hourly limit meanwhile
    GUARANTEE_CHANGED = "guarantee_changed"  # the guarantee changed since its latest version was read
    KEY_CHANGED = "key_changed"  # the key was reissued meanwhile: the typed key is the old one


def record_success(key: AuthKeyState, username: str, verification: VerificationEntry, latest: CertificateVersion,
                   event: AuditEntry, now: datetime) -> SuccessRefused | None:
    """Undo the claimed failure, remember the verification (with the list's columns from `latest`, while it is still
    the latest version) and audit it; or, when a condition no longer holds, write nothing and say which (the
    position of a failed condition is not reliable: pynamodb orders the operations by kind, so the account's
    window and the version are read again)."""
    window, _ = throttle.account_window(username, now)

    def write(tx: TransactWrite) -> None:
        throttle.check_below_in(tx, window, LIMITS.account_failures_per_hour)
        _update_in(tx, key, [AuthKey.consecutive_failures.set(0), AuthKey.total_failures.add(-1)])
        verifications.save_in(tx, verification, latest)
        audit.save_in(tx, event)

    try:
        transact(write)
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
        if throttle.failures(window) >= LIMITS.account_failures_per_hour:
            return SuccessRefused.ACCOUNT_LIMITED
        if not verifications.still_latest(latest):
            return SuccessRefused.GUARANTEE_CHANGED
        return SuccessRefused.KEY_CHANGED
    return None


def get_auth_key(contract_number: str) -> AuthKeyState | None:
    item = get_or_none(AuthKey, contract_number, consistent_read=True)
    return None if item is None else _state(item)


def replace_key(key: AuthKeyState, digest: str, encrypted: bytes, event: AuditEntry, now: datetime,
                notices: tuple[Notice, ...] = (), *, secret_version: str) -> None:
    """A re-issued key: the old digest is gone in the same write, counters and lock start afresh; the
    notices it owes (the owner's webhooks) are written to the outbox in the same transaction."""
    def write(tx: TransactWrite) -> None:
        _update_in(tx, key, [
            AuthKey.digest.set(digest),
            AuthKey.secret_version.set(secret_version),
            AuthKey.encrypted_key.set(encrypted),
            AuthKey.generation.add(1),
            AuthKey.consecutive_failures.set(0),
            AuthKey.total_failures.set(0),
            AuthKey.last_failure_at.remove(),
            AuthKey.disabled.set(False),
            AuthKey.key_issued_at.set(now),
            AuthKey.updated_at.set(now),
        ])
        audit.save_in(tx, event)
        outbox.save_in(tx, notices)

    try:
        transact(write)
    except TransactWriteError as exc:
        if condition_failed(exc):  # the generation moved on: another reissue won
            raise KeyChanged() from exc
        raise


class KeyChanged(Exception):
    """The key was reissued by another request since it was read."""


def release_claim(key: AuthKeyState) -> None:
    """Give back the failure a claim counted up front, for an attempt that was never judged (the account was
    over its limit): a right key must not count against its contract. Only while the key is the one claimed."""
    update_if(AuthKey(key.contract_number), [AuthKey.consecutive_failures.add(-1), AuthKey.total_failures.add(-1)],
              (AuthKey.generation == key.generation) & (AuthKey.consecutive_failures > 0))
