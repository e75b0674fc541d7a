"""JSON shapes of the API, built from records (one place, so every route, and the portal, says the same)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.records import CertificateVersion


def certificate_summary(item: CertificateVersion) -> dict[str, Any]:
    """A row of 保証工事一覧."""
    kind = item.guarantee_type
    return {
        "contract_number": item.contract_number,
        "guarantee_type": kind.value,
        "label": kind.label,
        "issued_on": item.issued_on.isoformat(),
        "amended": item.amended,
        "version": item.version,
        "status": item.status.value,
        "delivery": item.delivery.value,
        "obligee_id": item.obligee_id,
        "obligee_name": item.obligee_name,
        "project_name": item.terms.project_name,
        "contract_amount_total": item.terms.contract_amount_total,
        "contract_amount_covered": item.terms.contract_amount_covered,
        "guarantee_amount": item.terms.guarantee_amount,
        # The period as it stands (注2), the same in the list, the certificate, its PDF and D-Sure.
        "completion_date": item.terms.completion_date.isoformat(),
        "guarantee_period_end": item.terms.guarantee_period_end.isoformat(),
    }


def certificate_content(item: CertificateVersion) -> dict[str, Any]:
    """Everything the certificate of this version states."""
    kind = item.guarantee_type
    return {
        **certificate_summary(item),
        "guarantee_type_name": kind.name_ja,
        "work_category": item.work_category.value,
        "contractor": {
            "contractor_id": item.contractor_id,
            "name": item.contractor_name,
            "address": item.contractor_address,
        },
        "obligee": {"obligee_id": item.obligee_id, "name": item.obligee_name},
        "contract_date": item.contract_date.isoformat(),
        "deposit_bank": item.terms.deposit_bank if kind.is_advance else None,
        "changes": list(item.changes),
        "cancelled_on": item.cancelled_on.isoformat() if item.cancelled_on else None,
        "cancel_reason": item.cancel_reason,
        "revision": item.revision or 1,  # bumped by every change of this version (send as expected_revision)
    }


def certificate_detail(versions: list[CertificateVersion], shown: CertificateVersion | None = None) -> dict[str, Any]:
    """One version in full (the latest unless another is asked for), plus the history (newest first)."""
    return {
        **certificate_content(shown or versions[0]),
        "latest_version": versions[0].version,
        "versions": [
            {
                "version": v.version,
                "issued_on": v.issued_on.isoformat(),
                "amended": v.amended,
                "changes": list(v.changes),
                "recorded_changes": [{"recorded_on": r.recorded_on.isoformat(), "changes": list(r.changes)}
                                     for r in v.recorded_changes],
            }
            for v in versions
        ],
    }
