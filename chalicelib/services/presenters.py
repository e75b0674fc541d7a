"""JSON shapes of the API, built from stored items (one place, so every route says the same)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.types import GuaranteeType
from chalicelib.store.models import GuaranteeVersion


def certificate_summary(item: GuaranteeVersion) -> dict[str, Any]:
    """A row of 保証工事一覧."""
    kind = GuaranteeType(item.guarantee_type)
    return {
        "contract_number": item.contract_number,
        "guarantee_type": kind.value,
        "label": kind.label,
        "issued_on": item.issued_on,
        "amended": bool(item.amended),
        "version": int(item.version),
        "status": item.status,
        "delivery": item.delivery,
        "obligee_id": item.obligee_id,
        "obligee_name": item.obligee_name,
        "project_name": item.project_name,
        "contract_amount_total": int(item.contract_amount_total),
        "contract_amount_covered": int(item.contract_amount_covered),
        "guarantee_amount": int(item.guarantee_amount),
    }


def certificate_content(item: GuaranteeVersion) -> dict[str, Any]:
    """Everything the certificate of this version states."""
    kind = GuaranteeType(item.guarantee_type)
    return {
        **certificate_summary(item),
        "guarantee_type_name": kind.name_ja,
        "work_category": item.work_category,
        "contractor": {
            "contractor_id": item.contractor_id,
            "name": item.contractor_name,
            "address": item.contractor_address,
        },
        "obligee": {"obligee_id": item.obligee_id, "name": item.obligee_name},
        "contract_date": item.contract_date,
        "completion_date": item.completion_date,
        "guarantee_period_end": item.guarantee_period_end,
        "deposit_bank": item.deposit_bank if kind.is_advance else None,
        "changes": list(item.changes or []),
        "cancelled_on": item.cancelled_on,
        "cancel_reason": item.cancel_reason,
    }


def certificate_detail(versions: list[GuaranteeVersion], shown: GuaranteeVersion | None = None) -> dict[str, Any]:
    """One version in full (the latest unless another is asked for), plus the history (newest first)."""
    return {
        **certificate_content(shown or versions[0]),
        "latest_version": int(versions[0].version),
        "versions": [
            {
                "version": int(v.version),
                "issued_on": v.issued_on,
                "amended": bool(v.amended),
                "changes": list(v.changes or []),
            }
            for v in versions
        ],
    }
