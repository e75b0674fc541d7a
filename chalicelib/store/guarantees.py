"""The few reads and writes the service needs on guarantees, each one Query/Get, never a Scan."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import caches
from chalicelib.adapters import aws
from chalicelib.store.models import (
    AuditEvent,
    AuthKey,
    Contractor,
    Counter,
    GuaranteeVersion,
    IdempotencyRecord,
    Obligee,
    Verification,
)

CONTRACT_NUMBER_COUNTER = "contract_number"


@functools.lru_cache(maxsize=4)
def transaction_connection(region: str) -> Connection:
    # Built like the models' connections (region; endpoint from AWS_ENDPOINT_URL via botocore).
    connection = Connection(region=region)
    connection._local.session = aws.session()._session
    return connection


@caches.on_reset
def reset_connections() -> None:
    transaction_connection.cache_clear()


_CONFLICT_RETRIES = 3


def transact(region: str, write: Callable[[TransactWrite], None]) -> None:
    """One TransactWriteItems. DynamoDB cancels a transaction that collides with another on the same
    item (e.g. two issues for one contractor's count) with TransactionConflict: that, and only that,
    is tried again, briefly; a failed condition is the caller's to judge."""
    for attempt in range(_CONFLICT_RETRIES):
        try:
            with TransactWrite(connection=transaction_connection(region)) as tx:
                write(tx)
            return
        except TransactWriteError as exc:
            codes = {r.code for r in exc.cancellation_reasons if r is not None and r.code != "None"}
            if codes != {"TransactionConflict"} or attempt == _CONFLICT_RETRIES - 1:
                raise
            time.sleep(0.02 * (2**attempt) * (1 + random.random()))  # noqa: S311 - jitter, not security


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first."""


def allocate_contract_number(base: int) -> str:
    """Next 保証契約番号 from an atomic counter: unique under concurrency; a failed issue burns its number."""
    counter = Counter(CONTRACT_NUMBER_COUNTER)
    counter.update(actions=[Counter.value.add(1)])
    return str(base + int(counter.value))


def claim_pending_emails(record: IdempotencyRecord) -> str | None:
    """Take the emails a request owes, once: a concurrent or later retry finds nothing left to send."""
    if not record.pending_emails:
        return None
    pending = record.pending_emails
    try:
        record.update(actions=[IdempotencyRecord.pending_emails.remove()],
                      condition=IdempotencyRecord.pending_emails.exists())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return pending


def get_idempotency(key: str) -> IdempotencyRecord | None:
    try:
        return IdempotencyRecord.get(key, consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return None


def commit_issue(
    region: str,
    version: GuaranteeVersion,
    idempotency: IdempotencyRecord,
    event: AuditEvent,
    auth_key: AuthKey | None,
) -> None:
    """Store version 1, its idempotency record, its audit event, the contractor's count and the 認証キー
    in one transaction: a failure leaves none of them."""
    def write(tx: TransactWrite) -> None:
        tx.save(version, condition=GuaranteeVersion.contract_number.does_not_exist())
        tx.save(idempotency, condition=IdempotencyRecord.key.does_not_exist())
        tx.save(event, condition=AuditEvent.event_key.does_not_exist())
        tx.update(
            Contractor(version.contractor_id),
            actions=[Contractor.certificate_count.add(1)],
            condition=Contractor.contractor_id.exists(),
        )
        if auth_key is not None:
            tx.save(auth_key, condition=AuthKey.contract_number.does_not_exist())

    try:
        transact(region, write)
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons
        if len(reasons) > 1 and reasons[1] is not None and reasons[1].code == "ConditionalCheckFailed":
            raise IdempotencyRace() from exc
        raise


def get_version(contract_number: str, version: int) -> GuaranteeVersion | None:
    try:
        return GuaranteeVersion.get(contract_number, version)
    except GuaranteeVersion.DoesNotExist:
        return None


def get_versions(contract_number: str) -> list[GuaranteeVersion]:
    """Every version of one guarantee, newest first."""
    return list(GuaranteeVersion.query(contract_number, scan_index_forward=False))


def query_contractor_page(
    contractor_id: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[GuaranteeVersion], bool]:
    """One page of a contractor's latest versions, newest first; reads limit + 1 to know if more follow."""
    items = list(
        GuaranteeVersion.by_contractor.query(
            contractor_id, scan_index_forward=False, limit=limit + 1, last_evaluated_key=start_key,
            page_size=limit + 1,
        )
    )
    return items[:limit], len(items) > limit


def iter_contractor_certificates(contractor_id: str) -> Iterator[GuaranteeVersion]:
    """All of a contractor's latest versions, newest first (for filtered search within its own partition)."""
    return GuaranteeVersion.by_contractor.query(contractor_id, scan_index_forward=False)


def index_key(item: GuaranteeVersion) -> dict[str, Any]:
    """The index position of an item, to resume a listing after it."""
    return {
        "latest_contractor_id": {"S": item.latest_contractor_id},
        "latest_sort": {"S": item.latest_sort},
        "contract_number": {"S": item.contract_number},
        "version": {"N": str(item.version)},
    }


def get_contractor(contractor_id: str) -> Contractor | None:
    try:
        return Contractor.get(contractor_id)
    except Contractor.DoesNotExist:
        return None


def get_obligee(obligee_id: str) -> Obligee | None:
    try:
        return Obligee.get(obligee_id)
    except Obligee.DoesNotExist:
        return None


def audit_page(contract_number: str, limit: int, start_key: dict[str, Any] | None
               ) -> tuple[list[AuditEvent], bool]:
    """One page of a guarantee's audit trail, newest first."""
    items = list(AuditEvent.query(contract_number, scan_index_forward=False, limit=limit + 1,
                                  last_evaluated_key=start_key, page_size=limit + 1))
    return items[:limit], len(items) > limit


class VersionConflict(Exception):
    """The guarantee changed (another amendment, a cancellation) since the caller read it."""


def _is_latest_and_unchanged(latest: GuaranteeVersion) -> Any:
    return (
        GuaranteeVersion.latest_contractor_id.exists()
        & (GuaranteeVersion.revision == int(latest.revision or 0))
        & (GuaranteeVersion.status == "active")
    )


def _commit_change(region: str, write: Any, record: IdempotencyRecord, event: AuditEvent) -> None:
    """Run one change of a guarantee with its idempotency record and audit event, all or nothing.
    The record is the second operation of every such transaction."""
    def write_all(tx: TransactWrite) -> None:
        write(tx)
        tx.save(record, condition=IdempotencyRecord.key.does_not_exist())
        tx.save(event, condition=AuditEvent.event_key.does_not_exist())

    try:
        transact(region, write_all)
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons
        failed = [i for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"]
        if not failed:
            raise
        if failed == [len(reasons) - 2]:
            raise IdempotencyRace() from exc
        raise VersionConflict() from exc


def commit_new_version(region: str, latest: GuaranteeVersion, new: GuaranteeVersion, record: IdempotencyRecord,
                       event: AuditEvent) -> None:
    """Add version k+1 and move the list's marker to it; the old version stays as it was."""
    def write(tx: TransactWrite) -> None:
        tx.save(new, condition=GuaranteeVersion.contract_number.does_not_exist())
        tx.update(
            latest,
            actions=[GuaranteeVersion.latest_contractor_id.remove(), GuaranteeVersion.latest_sort.remove()],
            condition=_is_latest_and_unchanged(latest),
        )

    _commit_change(region, write, record, event)


def commit_in_place(region: str, latest: GuaranteeVersion, actions: list[Any], record: IdempotencyRecord,
                    event: AuditEvent) -> None:
    """Change the latest version where no certificate is issued (recorded change, cancellation)."""
    def write(tx: TransactWrite) -> None:
        tx.update(latest, actions=[*actions, GuaranteeVersion.revision.add(1)],
                  condition=_is_latest_and_unchanged(latest))

    _commit_change(region, write, record, event)


def verification_of(obligee_id: str, contract_number: str) -> Verification | None:
    try:
        return Verification.get(obligee_id, contract_number)
    except Verification.DoesNotExist:
        return None
