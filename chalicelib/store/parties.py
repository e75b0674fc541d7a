"""Writes of the registry: owners and contractors."""

from __future__ import annotations

import json

from chalicelib.domain.clock import utc_now
from chalicelib.domain.parties import ContractorData, ObligeeData
from chalicelib.store.guarantees import get_contractor, get_obligee
from chalicelib.store.models import Contractor, Obligee


def save_obligee(obligee_id: str, data: ObligeeData) -> tuple[Obligee, bool]:
    """Register or replace an owner; returns the item and whether it is new."""
    created = get_obligee(obligee_id) is None
    item = Obligee(
        obligee_id,
        name=data.name,
        e_guarantee_start_date=data.e_guarantee_start_date.isoformat() if data.e_guarantee_start_date else None,
        eligible_work_categories=[c.value for c in data.eligible_work_categories],
        submission_method=data.submission_method.value,
        contact_email=data.contact_email,
        ratio_rules=json.dumps(data.ratio_rules) if data.ratio_rules else None,
        updated_at=utc_now(),
    )
    item.save()
    return item, created


def save_contractor(contractor_id: str, data: ContractorData) -> tuple[Contractor, bool]:
    """Register or update a contractor; returns the item and whether it is new."""
    created = get_contractor(contractor_id) is None
    item = Contractor(contractor_id)
    # An update, not a put: the certificate count kept by issuance must survive a change of address.
    item.update(
        actions=[
            Contractor.name.set(data.name),
            Contractor.address.set(data.address),
            Contractor.email.set(data.email),
            Contractor.updated_at.set(utc_now()),
            Contractor.certificate_count.set(Contractor.certificate_count | 0),
        ]
    )
    return item, created
