"""Worlds of certificates written straight to the store (no issue path, no PDF): many at once for the search's tests,
each item exactly as the service writes it (store/guarantees.latest_item), with a batch writer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.domain.records import CertificateVersion, GuaranteeStatus, StatedTerms
from chalicelib.domain.types import Delivery, GuaranteeType, WorkCategory

OBLIGEE_NAMES = {"sakaiminato": "境港市長", "pref-demo": "○○県知事", "tottori": "鳥取市長"}


def version(number: str, contractor_id: str = "contractor-1", *, issued_on: date, contract_date: date | None = None,
            guarantee_amount: int = 40_000_000, contract_amount: int = 100_000_000, obligee_id: str = "sakaiminato",
            project_name: str = "境港市道 改良工事", guarantee_type: GuaranteeType = GuaranteeType.ADVANCE_PAYMENT,
            status: GuaranteeStatus = GuaranteeStatus.ACTIVE, delivery: Delivery = Delivery.ELECTRONIC,
            amended_to: int = 1) -> CertificateVersion:
    """A latest version as the service would hold it (version `amended_to`, marked 変更 past 1)."""
    completion = date(issued_on.year + 1, 3, 31)
    return CertificateVersion(
        contract_number=number, version=amended_to, guarantee_type=guarantee_type, delivery=delivery,
        work_category=WorkCategory.CONSTRUCTION, contractor_id=contractor_id, obligee_id=obligee_id,
        contractor_name=f"{contractor_id} 株式会社", contractor_address="境港市上道町3000番地",
        obligee_name=OBLIGEE_NAMES[obligee_id], contract_date=contract_date or issued_on,
        terms=StatedTerms(project_name=project_name, completion_date=completion, guarantee_period_end=completion,
                          contract_amount_total=contract_amount, contract_amount_covered=contract_amount,
                          guarantee_amount=guarantee_amount,
                          deposit_bank="山陰銀行 境港支店" if guarantee_type.is_advance else None),
        issued_on=issued_on, issued_at=datetime(issued_on.year, issued_on.month, issued_on.day, 3, tzinfo=UTC),
        issued_by="world", amended=amended_to > 1, status=status,
        cancelled_on=issued_on if status is GuaranteeStatus.CANCELLED else None,
        cancel_reason="工事中止" if status is GuaranteeStatus.CANCELLED else None,
    )


def store(versions: Iterable[CertificateVersion], *, count: bool = True) -> list[CertificateVersion]:
    """Write each as the latest version of its guarantee (its earlier versions, if it was amended, as plain ones,
    in no index) and add them to their contractors' counters; returns them as written."""
    from chalicelib.store.guarantees import latest_item
    from chalicelib.store.models import Contractor, GuaranteeVersion

    written = list(versions)
    with GuaranteeVersion.batch_write() as batch:
        for v in written:
            batch.save(latest_item(v))
            for older in range(1, v.version):  # an amended guarantee's earlier versions: in no index
                batch.save(GuaranteeVersion(**_plain(replace(v, version=older, amended=older > 1))))
    if count:
        for contractor_id, n in Counter(v.contractor_id for v in written).items():
            Contractor(contractor_id).update(actions=[Contractor.certificate_count.add(n)])
    return written


def _plain(v: CertificateVersion) -> dict[str, Any]:
    from chalicelib.store.guarantees import SEARCH_KEY_ATTRIBUTES, latest_item

    item = latest_item(v)
    values = {name: getattr(item, name) for name in item.get_attributes()}
    for name in (*SEARCH_KEY_ATTRIBUTES, "revision"):
        values.pop(name, None)
    return {"hash_key": values.pop("contract_number"), "range_key": values.pop("version"), **values}


def old_shape(v: CertificateVersion) -> dict[str, Any]:
    """The raw item of a latest version as the service wrote it before the search indexes (issue 20): the list's two
    keys only, none of the new ones (for the backfill's tests)."""
    from chalicelib.store.guarantees import SEARCH_KEY_ATTRIBUTES, latest_item

    item = latest_item(v)
    for name in SEARCH_KEY_ATTRIBUTES:
        if name not in ("latest_contractor_id", "latest_sort"):
            setattr(item, name, None)
    item.revision = 1
    return item.serialize()
