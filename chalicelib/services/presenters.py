"""JSON shapes of the API, built from records (one place, so every route, and the portal, says the same)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.files import LINK_SECONDS
from chalicelib.domain.advance import AdvanceRepayment
from chalicelib.domain.amendment import AmendmentPlan
from chalicelib.domain.outbox import DeliveryStatus, WebhookEvent
from chalicelib.domain.policy import rules_by_category
from chalicelib.domain.records import (
    AuditEntry,
    CertificateVersion,
    Contractor,
    ContractorEntry,
    MachineClientEntry,
    Notice,
    Obligee,
    VerificationEntry,
    WebhookEndpoint,
)
from chalicelib.domain.search import CertificateRow
from chalicelib.domain.status import current_status

if TYPE_CHECKING:
    from chalicelib.adapters.identity import SignIn


def utc_text(moment: datetime) -> str:
    """An instant as the API writes it: ISO 8601 in UTC with Z."""
    return moment.isoformat().replace("+00:00", "Z")


def certificate_row(row: CertificateRow, *, with_contractor: bool = False) -> dict[str, Any]:
    """A row of 保証工事一覧 (and of every search): the same columns as its CSV line; `with_contractor`, whose it is
    too (surety staff searching across contractors)."""
    kind = row.guarantee_type
    whose = {"contractor_id": row.contractor_id, "contractor_name": row.contractor_name} if with_contractor else {}
    return {
        **whose,
        "contract_number": row.contract_number,
        "guarantee_type": kind.value,
        "label": kind.label,
        "issued_on": row.issued_on.isoformat(),
        "amended": row.amended,
        "version": row.version,
        "status": current_status(row.status, row.guarantee_period_end).value,  # 満了 derived today
        "delivery": row.delivery.value,
        "obligee_id": row.obligee_id,
        "obligee_name": row.obligee_name,
        "project_name": row.project_name,
        "contract_amount_total": row.contract_amount_total,
        "contract_amount_covered": row.contract_amount_covered,
        "guarantee_amount": row.guarantee_amount,
        # The period as it stands (注2), the same in the list, the certificate, its PDF and the owner's verification.
        "completion_date": row.completion_date.isoformat(),
        "guarantee_period_end": row.guarantee_period_end.isoformat(),
    }


def certificate_summary(item: CertificateVersion) -> dict[str, Any]:
    """A version as a row of 保証工事一覧."""
    return certificate_row(CertificateRow.of(item))


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


def recorded_change(recorded: CertificateVersion, plan: AmendmentPlan, changes: list[str],
                    repayment: AdvanceRepayment | None = None) -> dict[str, Any]:
    """What a change without a certificate did (注2, 注3), said plainly: every field before and after, in words too,
    and for a smaller price of an advance, what is repaid (前金払の条)."""
    t = recorded.terms
    return {"contract_number": recorded.contract_number, "version": recorded.version,
            "revision": recorded.revision, "certificate_issued": False, "changes": changes,
            "changed": {k: {"before": v[0], "after": v[1]} for k, v in plan.changed.items()},
            "completion_date": t.completion_date.isoformat(),
            "guarantee_period_end": t.guarantee_period_end.isoformat(),
            "period_shortened": plan.period_shortened,
            "advance_repayment": repayment.as_json() if repayment is not None else None}


def csv_link(url: str, rows: int) -> dict[str, Any]:
    """Where a CSV too large to answer inline waits (the 303's Location too), for a few minutes."""
    return {"url": url, "expires_in": LINK_SECONDS, "rows": rows}


def pdf_link(item: CertificateVersion, url: str) -> dict[str, Any]:
    """A short-lived link to a version's certificate PDF."""
    return {"contract_number": item.contract_number, "version": item.version, "url": url,
            "expires_in": LINK_SECONDS}


def auth_key(item: CertificateVersion, display: str, generation: int, notice_url: str, obligee: Obligee | None,
             reissued_on: date | None) -> dict[str, Any]:
    """The 認証キー for display, with a link to the key notice made for exactly this key, and how the owner
    wants the notice (its methods, its 契約窓口, the advice the notice prints: domain/submission)."""
    from chalicelib.domain.submission import submission_advice
    from chalicelib.domain.types import SubmissionMethod

    methods = obligee.submission_methods if obligee else tuple(SubmissionMethod)
    contact = obligee.contact_email if obligee else ""
    return {
        "contract_number": item.contract_number,
        "auth_key": display,
        "generation": generation,
        "reissued_on": reissued_on.isoformat() if reissued_on else None,
        "notice_pdf_url": notice_url,
        "expires_in": LINK_SECONDS,
        "submission": {
            "methods": [m.value for m in methods],
            "contact_email": contact,
            "advice": submission_advice(item.guarantee_type, methods, contact,
                                        subject="「認証キー等のお知らせ」(PDF)"),
        },
    }


def verification(versions: list[CertificateVersion], verified_at: datetime, pdf_url: str) -> dict[str, Any]:
    """The owner's verification answer: the certificate as it stands, when it was verified, and its PDF."""
    return {
        "certificate": certificate_detail(versions),
        "verified_at": utc_text(verified_at),
        "pdf_url": pdf_url,
        "expires_in": LINK_SECONDS,
    }


def verified_item(entry: VerificationEntry) -> dict[str, Any]:
    """A row of 確認済み一覧: what the owner verified, the guarantee as it stands (the columns a clerk matches against
    a 前払金請求書), and whether it changed since."""
    state = entry.state
    assert state is not None
    return {
        "contract_number": entry.contract_number,
        "version": state.version,
        "verified_version": entry.verified_version,
        "verified_at": utc_text(entry.verified_at),
        "changed_since_verified": entry.changed_since_verified,
        "status": current_status(state.status, state.guarantee_period_end).value,
        "project_name": state.project_name,
        "label": state.guarantee_type.label,
        "guarantee_type": state.guarantee_type.value,
        "contractor_name": state.contractor_name,
        "guarantee_amount": state.guarantee_amount,
        "issued_on": state.issued_on.isoformat(),
    }


def audit_event(entry: AuditEntry) -> dict[str, Any]:
    """An event of a trail (a guarantee's or an owner's integration settings')."""
    return {
        "type": entry.type,
        "at": utc_text(entry.at),
        "actor": entry.actor,
        "role": entry.role,
        "org_id": entry.org_id,
        "result": entry.result,
        "request_id": entry.request_id,
        "detail": entry.detail,
    }


def obligee(item: Obligee) -> dict[str, Any]:
    """An owner as registered."""
    return {
        "obligee_id": item.obligee_id,
        "name": item.name,
        "e_guarantee_start_date": item.e_guarantee_start_date.isoformat() if item.e_guarantee_start_date else None,
        "eligible_work_categories": [c.value for c in item.eligible_work_categories],
        # One method as a string (as registered before an owner could accept both), else the list.
        "submission_method": (item.submission_methods[0].value if len(item.submission_methods) == 1
                              else [m.value for m in item.submission_methods]),
        "submission_methods": [m.value for m in item.submission_methods],
        "contact_email": item.contact_email,
        "ratio_rules": item.ratio_rules,  # as registered
        # The rules that apply, by kind of work (defaults with the overrides laid over; null: not offered).
        "amount_rules": rules_by_category(item.ratio_rules),
    }


def contractor(item: Contractor, *, with_count: bool = False) -> dict[str, Any]:
    """A contractor as registered; with its number of certificates for the surety's console."""
    shown = {"contractor_id": item.contractor_id, "name": item.name, "address": item.address, "email": item.email}
    return {**shown, "certificate_count": item.certificate_count} if with_count else shown


def contractor_entry(item: ContractorEntry) -> dict[str, Any]:
    """A contractor as the console's lookup lists it."""
    return {"contractor_id": item.contractor_id, "name": item.name, "address": item.address,
            "certificate_count": item.certificate_count}


def webhook_endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An owner's webhook receiver (never its secret)."""
    return {
        "endpoint_id": endpoint.endpoint_id,
        "url": endpoint.url,
        "created_at": utc_text(endpoint.created_at),
        "status": "revoked" if endpoint.revoked_at else "active",
        "revoked_at": utc_text(endpoint.revoked_at) if endpoint.revoked_at else None,
    }


def webhook_event(notice_id: str, event: WebhookEvent, at: datetime, contract_number: str,
                  data: dict[str, Any]) -> dict[str, Any]:
    """The body of a webhook delivery (docs/ARCHITECTURE.md, webhooks): never a key or a link."""
    return {"id": notice_id, "type": event.value, "created_at": utc_text(at),
            "data": {"contract_number": contract_number, **data}}


def delivery(notice: Notice) -> dict[str, Any]:
    """A delivery as its owner sees it (the event, its status and attempts; never the secret)."""
    return {
        "delivery_id": notice.notice_id,
        "event": notice.payload.get("type"),
        "contract_number": (notice.payload.get("data") or {}).get("contract_number"),
        "status": notice.status.value,
        "attempts": notice.attempts,
        "created_at": utc_text(notice.created_at),
        "next_attempt_at": utc_text(notice.next_attempt_at)
        if notice.next_attempt_at and notice.status is DeliveryStatus.PENDING else None,
        "last_error": notice.last_error,
        "sent_at": utc_text(notice.sent_at) if notice.sent_at else None,
    }


def machine_client(entry: MachineClientEntry) -> dict[str, Any]:
    """An owner's system's client (its secret only once, at registration)."""
    return {
        "client_id": entry.client_id,
        "obligee_id": entry.obligee_id,
        "name": entry.name,
        "scopes": list(entry.scopes),
        "created_at": utc_text(entry.created_at),
        "status": "revoked" if entry.revoked_at else "active",
    }


def signed_in(signed: SignIn) -> dict[str, Any]:
    """A completed login: the ID token, its lifetime, the caller's role and organisation."""
    return {
        "id_token": signed.id_token,
        "expires_in": signed.expires_in,
        "role": signed.principal.role,
        "org_id": signed.principal.org_id,
    }
