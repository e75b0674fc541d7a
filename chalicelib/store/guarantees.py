"""Guarantees: each version an item, the latest one marked for the contractor's list (a sparse index);
the few reads and writes the service needs, each a Query, Get or transaction, never a Scan
(docs/ARCHITECTURE.md, data)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import date
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.normalize import normalize_search_text
from chalicelib.domain.records import (
    AuditEntry,
    AuthKeyState,
    CertificateVersion,
    GuaranteeStatus,
    Outcome,
    RecordedChange,
    StatedTerms,
    VerificationEntry,
)
from chalicelib.domain.types import Delivery, GuaranteeType, WorkCategory
from chalicelib.store import audit, auth_keys, idempotency, verifications
from chalicelib.store.connection import condition_failed, raw_client, transact
from chalicelib.store.models import Contractor, Counter, GuaranteeVersion

CONTRACT_NUMBER_COUNTER = "contract_number"


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first."""


class VersionConflict(Exception):
    """The guarantee changed (another amendment, a cancellation) since the caller read it."""


def date_sort(day: date, contract_number: str) -> str:
    """A sort key of a date index: ISO date, then the number (unique; the newest number first on a day)."""
    return f"{day.isoformat()}#{contract_number}"


def amount_sort(yen: int, contract_number: str) -> str:
    """A sort key of an amount index: 14 digits (MAX_AMOUNT = 10^13 has 14), so strings sort as the amounts do."""
    return f"{yen:014d}#{contract_number}"


def works_key(contractor_id: str, obligee_id: str, project_name: str) -> str:
    """One contractor's works for one owner: the 工事名 folded as the search folds it, hashed (NFKC can stretch a
    200-character name past DynamoDB's 2,048-byte partition key; 22 characters of SHA-256 never collide here)."""
    digest = hashlib.sha256(normalize_search_text(project_name).encode()).digest()
    return f"{contractor_id}#{obligee_id}#{base64.urlsafe_b64encode(digest).decode()[:22]}"


def search_keys(v: CertificateVersion) -> dict[str, str | None]:
    """The keys of every search index a latest version is in, by attribute (None: not in that index). The one
    source for every writer (issue, new version, recorded change, cancellation) and the backfill, so an item's
    place in each index always follows what it states (docs/ARCHITECTURE.md, search and lists)."""
    t, n = v.terms, v.contract_number
    return {
        "latest_contractor_id": v.contractor_id,
        "latest_sort": date_sort(v.issued_on, n),
        "sort_contract_date": date_sort(v.contract_date, n),
        "sort_guarantee_amount": amount_sort(t.guarantee_amount, n),
        "sort_contract_amount": amount_sort(t.contract_amount_total, n),
        "contractor_obligee": f"{v.contractor_id}#{v.obligee_id}",
        "latest_obligee_id": v.obligee_id,
        "issued_month": v.issued_on.strftime("%Y-%m"),
        # Open guarantees only: the 中間前払 rule asks for an open 前払金保証 of the same works.
        "works_key": works_key(v.contractor_id, v.obligee_id, t.project_name)
        if v.status is GuaranteeStatus.ACTIVE else None,
    }


# The attributes search_keys writes: what leaves a version when it stops being the latest.
SEARCH_KEY_ATTRIBUTES = ("latest_contractor_id", "latest_sort", "sort_contract_date", "sort_guarantee_amount",
                         "sort_contract_amount", "contractor_obligee", "latest_obligee_id", "issued_month", "works_key")


def _search_key_actions(v: CertificateVersion) -> list[Action]:
    """SET each search key of `v` (REMOVE the absent ones): the item moves in every index as one update."""
    return [getattr(GuaranteeVersion, name).set(value) if value is not None
            else getattr(GuaranteeVersion, name).remove()
            for name, value in search_keys(v).items()]


def _new_item(v: CertificateVersion, *, latest: bool) -> GuaranteeVersion:
    """The item of a version being written for the first time: pynamodb's VersionAttribute sets its revision
    to 1 (and the write requires that none exists)."""
    t = v.terms
    item = GuaranteeVersion(
        v.contract_number,
        v.version,
        guarantee_type=v.guarantee_type.value,
        delivery=v.delivery.value,
        status=v.status.value,
        work_category=v.work_category.value,
        contractor_id=v.contractor_id,
        obligee_id=v.obligee_id,
        contractor_name=v.contractor_name,
        contractor_address=v.contractor_address,
        obligee_name=v.obligee_name,
        project_name=t.project_name,
        contract_date=v.contract_date,
        completion_date=t.completion_date,
        guarantee_period_end=t.guarantee_period_end,
        contract_amount_total=t.contract_amount_total,
        contract_amount_covered=t.contract_amount_covered,
        guarantee_amount=t.guarantee_amount,
        deposit_bank=t.deposit_bank,
        issued_on=v.issued_on,
        issued_at=v.issued_at,
        issued_by=v.issued_by,
        amended=v.amended,
        changes=list(v.changes) or None,
        recorded_changes=_recorded_json(v.recorded_changes),
        cancelled_on=v.cancelled_on,
        cancel_reason=v.cancel_reason,
        pdf_stored=v.pdf_stored,
        search_project=normalize_search_text(t.project_name),
        search_obligee=normalize_search_text(v.obligee_name),
    )
    if latest:
        for name, value in search_keys(v).items():
            setattr(item, name, value)
    return item


def latest_item(v: CertificateVersion) -> GuaranteeVersion:
    """A version's item as the latest one, every search key set: what commit_issue writes. For bulk loads that need
    no transaction (the benchmark's and the tests' worlds, written with a batch writer by their own code)."""
    return _new_item(v, latest=True)


def _record(item: GuaranteeVersion) -> CertificateVersion:
    return CertificateVersion(
        contract_number=item.contract_number,
        version=int(item.version),
        guarantee_type=GuaranteeType(item.guarantee_type),
        delivery=Delivery(item.delivery),
        work_category=WorkCategory(item.work_category),
        contractor_id=item.contractor_id,
        obligee_id=item.obligee_id,
        contractor_name=item.contractor_name,
        contractor_address=item.contractor_address,
        obligee_name=item.obligee_name,
        contract_date=item.contract_date,
        terms=StatedTerms(
            project_name=item.project_name,
            completion_date=item.completion_date,
            guarantee_period_end=item.guarantee_period_end,
            contract_amount_total=int(item.contract_amount_total),
            contract_amount_covered=int(item.contract_amount_covered),
            guarantee_amount=int(item.guarantee_amount),
            deposit_bank=item.deposit_bank,
        ),
        issued_on=item.issued_on,
        issued_at=item.issued_at,
        issued_by=item.issued_by,
        amended=bool(item.amended),
        changes=tuple(str(c) for c in item.changes or ()),
        recorded_changes=tuple(RecordedChange(date.fromisoformat(r["on"]), tuple(r["changes"]))
                               for r in item.recorded_changes or ()),
        status=GuaranteeStatus(item.status),
        cancelled_on=item.cancelled_on,
        cancel_reason=item.cancel_reason,
        revision=None if item.revision is None else int(item.revision),
        pdf_stored=bool(item.pdf_stored),
    )


def _recorded_json(entries: tuple[RecordedChange, ...]) -> list[dict[str, Any]] | None:
    return [{"on": r.recorded_on.isoformat(), "changes": list(r.changes)} for r in entries] or None


def allocate_contract_number(base: int) -> str:
    """Next 保証契約番号 from an atomic counter: unique under concurrency; a failed issue burns its number."""
    counter = Counter(CONTRACT_NUMBER_COUNTER)
    counter.update(actions=[Counter.value.add(1)])
    return str(base + int(counter.value))


def commit_issue(version: CertificateVersion, outcome: Outcome, event: AuditEntry,
                 auth_key: AuthKeyState | None) -> CertificateVersion:
    """Store version 1 (marked latest), its idempotency record, its audit event, the contractor's count and
    the 認証キー in one transaction: a failure leaves none of them. Returns the version as stored (revision 1)."""
    def write(tx: TransactWrite) -> None:
        tx.save(_new_item(version, latest=True), condition=GuaranteeVersion.contract_number.does_not_exist())
        idempotency.save_in(tx, outcome)
        audit.save_in(tx, event)
        tx.update(
            Contractor(version.contractor_id),
            actions=[Contractor.certificate_count.add(1)],
            condition=Contractor.contractor_id.exists(),
        )
        if auth_key is not None:
            auth_keys.create_in(tx, auth_key)

    try:
        transact(write)
    except TransactWriteError as exc:
        _raise_race_or(exc, outcome, None)
    return replace(version, revision=1)


def get_versions(contract_number: str, *, contractor_id: str | None = None) -> list[CertificateVersion]:
    """Every version of one guarantee, newest first (empty when the number is unknown). With `contractor_id`,
    only if the guarantee is that contractor's: DynamoDB filters the items out itself, so another contractor's
    number and an unknown number cost the caller the same (an empty answer, nothing to decode)."""
    condition = GuaranteeVersion.contractor_id == contractor_id if contractor_id is not None else None
    return [_record(i) for i in GuaranteeVersion.query(contract_number, filter_condition=condition,
                                                        scan_index_forward=False)]


def latest_version(contract_number: str) -> CertificateVersion | None:
    """The newest version only (one item read), for callers that need no history."""
    for item in GuaranteeVersion.query(contract_number, scan_index_forward=False, limit=1, page_size=1):
        return _record(item)
    return None


def open_guarantee_exists(contractor_id: str, obligee_id: str, project_name: str,
                          guarantee_type: GuaranteeType) -> bool:
    """Whether the contractor holds an open guarantee of this type for the same owner and works (工事名 compared
    as the search folds it): one keyed read of the `works` index, one entry at most, whatever the contractor's
    history. The index is eventually consistent: an advance issued a moment ago may not be seen yet, and the
    refusal's message says what to check before trying again."""
    return _open_guarantee_number(contractor_id, obligee_id, project_name, guarantee_type) is not None


def open_guarantee_of_works(contractor_id: str, obligee_id: str, project_name: str,
                            guarantee_type: GuaranteeType) -> CertificateVersion | None:
    """The open guarantee of this type for the same owner and works, as it stands (its latest version), or None:
    the `works` entry, then the guarantee's newest version (two keyed reads)."""
    number = _open_guarantee_number(contractor_id, obligee_id, project_name, guarantee_type)
    return None if number is None else latest_version(number)


def _open_guarantee_number(contractor_id: str, obligee_id: str, project_name: str,
                           guarantee_type: GuaranteeType) -> str | None:
    key = works_key(contractor_id, obligee_id, project_name)
    for entry in GuaranteeVersion.by_works.query(key, GuaranteeVersion.guarantee_type == guarantee_type.value,
                                                 limit=1, page_size=1):
        return str(entry.contract_number)
    return None


def _is_latest_and_open() -> Condition:
    # The revision is checked by pynamodb's VersionAttribute on every write of the item.
    return GuaranteeVersion.latest_contractor_id.exists() & (GuaranteeVersion.status == GuaranteeStatus.ACTIVE.value)


def _raise_race_or(exc: TransactWriteError, outcome: Outcome, otherwise: Exception | None) -> None:
    """A cancelled transaction: IdempotencyRace when a twin with the same key committed first (its record is
    there now: DynamoDB names failed conditions by position, and pynamodb orders operations by kind, so the
    record is looked up rather than its position guessed), else `otherwise`, else the error itself."""
    if condition_failed(exc) and idempotency.get(outcome.scope) is not None:
        raise IdempotencyRace() from exc
    if condition_failed(exc) and otherwise is not None:
        raise otherwise from exc
    raise exc


def _commit_change(write: Any, outcome: Outcome, event: AuditEntry) -> None:
    """Run one change of a guarantee with its idempotency record and audit event, all or nothing."""
    def write_all(tx: TransactWrite) -> None:
        write(tx)
        idempotency.save_in(tx, outcome)
        audit.save_in(tx, event)

    try:
        transact(write_all)
    except TransactWriteError as exc:
        _raise_race_or(exc, outcome, VersionConflict())


def _key_of(v: CertificateVersion) -> GuaranteeVersion:
    """The stored item of a version as far as a conditional update needs it: keys and revision."""
    item = GuaranteeVersion(v.contract_number, v.version)
    if v.revision is not None:
        item.revision = v.revision
    return item


def commit_new_version(latest: CertificateVersion, new: CertificateVersion, outcome: Outcome,
                       event: AuditEntry, *, verification: VerificationEntry | None) -> CertificateVersion:
    """Add version k+1 as the latest and take the list's marker off version k, unless k changed meanwhile; the
    owner's verification row as read (`verification`) shows the new version. Returns the new version as stored."""
    def write(tx: TransactWrite) -> None:
        verifications.refresh_in(tx, verification, new)
        tx.save(_new_item(new, latest=True), condition=GuaranteeVersion.contract_number.does_not_exist())
        tx.update(
            _key_of(latest),
            # Version k leaves every search index; k+1 entered them with its own keys.
            actions=[getattr(GuaranteeVersion, name).remove() for name in SEARCH_KEY_ATTRIBUTES],
            condition=_is_latest_and_open(),
        )

    _commit_change(write, outcome, event)
    return replace(new, revision=1)


def commit_in_place(latest: CertificateVersion, changed: CertificateVersion, outcome: Outcome,
                    event: AuditEntry, *, verification: VerificationEntry | None) -> None:
    """Change the latest version where no certificate is issued (a recorded change, a cancellation):
    the terms and the cancellation fields of `changed` are written over `latest`, unless it changed meanwhile;
    the owner's verification row as read (`verification`) shows `changed`."""
    t = changed.terms
    actions: list[Action] = [
        GuaranteeVersion.contract_amount_total.set(t.contract_amount_total),
        GuaranteeVersion.contract_amount_covered.set(t.contract_amount_covered),
        GuaranteeVersion.completion_date.set(t.completion_date),
        GuaranteeVersion.guarantee_period_end.set(t.guarantee_period_end),
        GuaranteeVersion.status.set(changed.status.value),
        # The caller says whether the stored PDF still prints this state (a recorded change: no).
        GuaranteeVersion.pdf_stored.set(changed.pdf_stored),
    ]
    if changed.recorded_changes != latest.recorded_changes:
        actions.append(GuaranteeVersion.recorded_changes.set(_recorded_json(changed.recorded_changes)))
    if changed.cancelled_on is not None:
        actions.append(GuaranteeVersion.cancelled_on.set(changed.cancelled_on))
    if changed.cancel_reason is not None:
        actions.append(GuaranteeVersion.cancel_reason.set(changed.cancel_reason))
    # A changed 請負金額 moves the item in its index; a cancellation takes it out of `works` (no longer open).
    actions += _search_key_actions(changed)

    def write(tx: TransactWrite) -> None:
        verifications.refresh_in(tx, verification, changed)
        tx.update(_key_of(latest), actions=actions, condition=_is_latest_and_open())

    _commit_change(write, outcome, event)


def mark_pdf_stored(version: CertificateVersion) -> CertificateVersion:
    """Remember that the PDF of this revision of the version is in S3. Not a change of the guarantee: no bump
    (a plain UpdateItem; pynamodb's model update would bump the VersionAttribute). Only while the item is still
    at the revision rendered: a change recorded meanwhile keeps the flag off, so its new PDF gets made."""
    values: dict[str, Any] = {":stored": {"BOOL": True}}
    condition = "attribute_exists(contract_number)"
    if version.revision is not None:
        condition += " AND revision = :revision"
        values[":revision"] = {"N": str(version.revision)}
    try:
        raw_client().update_item(
            TableName=GuaranteeVersion.Meta.table_name,
            Key={"contract_number": {"S": version.contract_number}, "version": {"N": str(version.version)}},
            UpdateExpression="SET pdf_stored = :stored",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if condition_failed(exc):
            return version
        raise
    return replace(version, pdf_stored=True)


def backfill_search_keys(raw: dict[str, Any], *, write: bool) -> str:
    """One item of a Scan of the table (scripts/backfill.py) brought to the search keys search_keys gives it,
    without a change of the guarantee (no revision bump: a plain UpdateItem, like mark_pdf_stored). Answers
    "current" (nothing to do), "stale" (to write; `write` False), "written", or "changed" (it changed since it was
    read: whoever changed it wrote its keys). An older version carries none: keys left on one (by a release that
    knew fewer indexes and amended after an earlier backfill) are removed. Idempotent: a second run finds every
    item "current"."""
    item = GuaranteeVersion.from_raw_data(raw)
    latest = item.latest_contractor_id is not None
    wanted = search_keys(_record(item)) if latest else dict.fromkeys(SEARCH_KEY_ATTRIBUTES)
    if all(getattr(item, name) == value for name, value in wanted.items()):
        return "current"
    if not write:
        return "stale"
    attributes = GuaranteeVersion.get_attributes()
    names = {f"#k{i}": attributes[name].attr_name for i, name in enumerate(wanted)}
    values: dict[str, Any] = {f":k{i}": {"S": value} for i, value in enumerate(wanted.values()) if value is not None}
    sets = [f"#k{i} = :k{i}" for i, value in enumerate(wanted.values()) if value is not None]
    removes = [f"#k{i}" for i, value in enumerate(wanted.values()) if value is None]
    expression = " ".join(part for part in ("SET " + ", ".join(sets) if sets else "",
                                            "REMOVE " + ", ".join(removes) if removes else "") if part)
    condition = "attribute_exists(latest_contractor_id)" if latest else "attribute_not_exists(latest_contractor_id)"
    if item.revision is None:
        condition += " AND attribute_not_exists(revision)"
    else:
        condition += " AND revision = :revision"
        values[":revision"] = {"N": str(item.revision)}
    try:
        raw_client().update_item(
            TableName=GuaranteeVersion.Meta.table_name,
            Key={"contract_number": {"S": item.contract_number}, "version": {"N": str(item.version)}},
            UpdateExpression=expression, ConditionExpression=condition,
            ExpressionAttributeNames=names, **({"ExpressionAttributeValues": values} if values else {}),
        )
    except ClientError as exc:
        if condition_failed(exc):
            return "changed"
        raise
    return "written"


def search_key_scan_filter() -> str:
    """A Scan filter keeping the items the backfill may have to touch: latest versions, and any carrying a key."""
    attributes = GuaranteeVersion.get_attributes()
    return " OR ".join(f"attribute_exists({attributes[name].attr_name})" for name in SEARCH_KEY_ATTRIBUTES)
