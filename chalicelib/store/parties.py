"""The registry: owners (発注者) and contractors (保証契約者)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.clock import utc_now
from chalicelib.domain.records import Contractor, ContractorEntry, Obligee
from chalicelib.domain.search import company_name_key
from chalicelib.domain.types import SubmissionMethod, WorkCategory
from chalicelib.store import models
from chalicelib.store.connection import get_or_none, update_if


def _obligee(item: models.Obligee) -> Obligee:
    return Obligee(
        obligee_id=item.obligee_id,
        name=item.name,
        e_guarantee_start_date=item.e_guarantee_start_date,
        eligible_work_categories=tuple(WorkCategory(str(c)) for c in item.eligible_work_categories),
        submission_methods=tuple(SubmissionMethod(str(m)) for m in item.submission_methods or ())
        or (SubmissionMethod(item.submission_method),),
        contact_email=item.contact_email,
        ratio_rules=item.ratio_rules,
    )


def _contractor(item: models.Contractor) -> Contractor:
    return Contractor(contractor_id=item.contractor_id, name=item.name, address=item.address, email=item.email,
                      certificate_count=int(item.certificate_count or 0))


def get_obligee(obligee_id: str) -> Obligee | None:
    item = get_or_none(models.Obligee, obligee_id)
    return None if item is None else _obligee(item)


def get_contractor(contractor_id: str) -> Contractor | None:
    item = get_or_none(models.Contractor, contractor_id)
    return None if item is None else _contractor(item)


def name_key(name: str, contractor_id: str) -> str:
    """A contractor's place in `by-name`: its name without 法人格 (folded), then its id (unique)."""
    return f"{company_name_key(name)}#{contractor_id}"


def contractors_by_name(prefix: str, limit: int, after: str | None) -> tuple[list[ContractorEntry], bool]:
    """One page of contractors in name order whose name (without 法人格: company_name_key) begins with `prefix`
    (every one for ""), after the previous page's last (its `name_position`), and whether more follow: one Query
    of limit + 1 entries of `by-name`, never a Scan (docs/ARCHITECTURE.md, the contractor lookup)."""
    start = None if after is None else {
        "name_shard": {"S": models.CONTRACTOR_NAME_SHARD}, "name_key": {"S": after},
        "contractor_id": {"S": after.rpartition("#")[2]},
    }
    items = list(models.Contractor.by_name.query(models.CONTRACTOR_NAME_SHARD,
                                                   models.Contractor.name_key.startswith(prefix) if prefix else None,
                                                   limit=limit + 1, page_size=limit + 1, last_evaluated_key=start))
    entries = [ContractorEntry(i.contractor_id, i.name, i.address, int(i.certificate_count or 0))
               for i in items[:limit]]
    return entries, len(items) > limit


def name_position(entry: ContractorEntry) -> str:
    """Where a contractor stands in `by-name` (the cursor of contractors_by_name)."""
    return name_key(entry.name, entry.contractor_id)


def save_obligee(obligee: Obligee) -> bool:
    """Register or replace an owner; returns whether it is new."""
    created = get_obligee(obligee.obligee_id) is None
    models.Obligee(
        obligee.obligee_id,
        name=obligee.name,
        e_guarantee_start_date=obligee.e_guarantee_start_date,
        eligible_work_categories=[c.value for c in obligee.eligible_work_categories],
        submission_method=obligee.submission_methods[0].value,
        submission_methods=[m.value for m in obligee.submission_methods],
        contact_email=obligee.contact_email,
        ratio_rules=obligee.ratio_rules or None,
        updated_at=utc_now(),
    ).save()
    return created


def save_contractor(contractor: Contractor) -> tuple[Contractor, bool]:
    """Register or update a contractor; returns it as stored (with its certificate count) and whether it is new."""
    created = get_contractor(contractor.contractor_id) is None
    item = models.Contractor(contractor.contractor_id)
    # An update, not a put: the certificate count kept by issuance must survive a change of address.
    item.update(
        actions=[
            models.Contractor.name.set(contractor.name),
            models.Contractor.address.set(contractor.address),
            models.Contractor.email.set(contractor.email),
            models.Contractor.updated_at.set(utc_now()),
            models.Contractor.certificate_count.set(models.Contractor.certificate_count | 0),
            models.Contractor.name_shard.set(models.CONTRACTOR_NAME_SHARD),
            models.Contractor.name_key.set(name_key(contractor.name, contractor.contractor_id)),
        ]
    )
    return _contractor(item), created


def unplaced_name(raw: dict[str, Any]) -> tuple[str, str] | None:
    """(id, name) of a raw contractor item (of a Scan's page) without its place in `by-name`, else None (also for
    an item with no name to place: only a counter)."""
    if "name" not in raw:
        return None
    item = models.Contractor.from_raw_data(raw)
    if item.name_shard == models.CONTRACTOR_NAME_SHARD and item.name_key == name_key(item.name, item.contractor_id):
        return None
    return item.contractor_id, item.name


def complete_name_key(contractor_id: str, name: str) -> bool:
    """The backfill of a contractor registered before the lookup (scripts/backfill.py): its place in
    `by-name`, unless it was renamed since it was read (a rename writes the key itself) or has its place already.
    Whether it was written."""
    key = name_key(name, contractor_id)
    written = update_if(models.Contractor(contractor_id),
                        [models.Contractor.name_shard.set(models.CONTRACTOR_NAME_SHARD),
                         models.Contractor.name_key.set(key)],
                        (models.Contractor.name == name) & (
                            models.Contractor.name_key.does_not_exist() | (models.Contractor.name_key != key)))
    return written is not None
