"""The registry: owners (発注者) and contractors (保証契約者)."""

from __future__ import annotations

from chalicelib.domain.clock import utc_now
from chalicelib.domain.records import Contractor, Obligee
from chalicelib.domain.types import SubmissionMethod, WorkCategory
from chalicelib.store import models
from chalicelib.store.connection import get_or_none


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


def list_contractors() -> list[Contractor]:
    """Every registered contractor (the registry is small: a few hundred at most), by id."""
    return sorted((_contractor(i) for i in models.Contractor.scan()), key=lambda c: c.contractor_id)


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
        ]
    )
    return _contractor(item), created
