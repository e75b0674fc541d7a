"""変更契約 and 解約・返還: new certificate versions, recorded changes, cancellation.

Every version is kept. A change that issues a certificate adds version k+1 and moves the list's marker
in one transaction; a recorded change or a cancellation updates the latest version in place. Both carry
the revision they read, so concurrent changes of the same version: one wins, the others get 409.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.adapters import mail as notify
from chalicelib.config import get_settings
from chalicelib.domain.amendment import AmendmentPlan, describe_changes, plan_amendment
from chalicelib.domain.clock import japan_today, utc_now
from chalicelib.domain.principal import Principal
from chalicelib.domain.types import GuaranteeType
from chalicelib.domain.validation import ValidationFailed
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.services import documents
from chalicelib.services.idempotency import Attempt, deliver_pending_emails, run_once
from chalicelib.services.issuance import audit_event, check_owner_amount_rule, field_errors, stated_terms
from chalicelib.services.presenters import certificate_content
from chalicelib.store import guarantees as store
from chalicelib.store.models import GuaranteeVersion

logger = logging.getLogger(__name__)

_COPIED = (
    "guarantee_type", "delivery", "status", "work_category", "contractor_id", "obligee_id", "contractor_name",
    "contractor_address", "obligee_name", "contract_date", "search_obligee",
)


def _issue_body(item: GuaranteeVersion) -> dict[str, Any]:
    """The guarantee as it stands, in the shape of an issue request (for validating a change)."""
    return {
        "guarantee_type": item.guarantee_type,
        "contractor_id": item.contractor_id,
        "obligee_id": item.obligee_id,
        "work_category": item.work_category,
        "project_name": item.project_name,
        "contract_date": item.contract_date,
        "completion_date": item.completion_date,
        "contract_amount_total": int(item.contract_amount_total),
        "contract_amount_covered": int(item.contract_amount_covered),
        "guarantee_amount": int(item.guarantee_amount),
        "guarantee_period_end": item.guarantee_period_end,
        "deposit_bank": item.deposit_bank,
        "delivery": item.delivery,
    }


def _latest_open(number: str) -> GuaranteeVersion:
    versions = store.get_versions(number)
    if not versions:
        raise NotFound()
    latest = versions[0]
    if latest.status == "cancelled":
        raise Conflict("解約済みの保証は変更できません。", code="guarantee_cancelled",
                       extra={"current_version": int(latest.version)})
    return latest


def _conflict(number: str) -> Conflict:
    versions = store.get_versions(number)
    return Conflict("他の変更が先に登録されました。最新の内容を確認してから再度変更してください。",
                    code="version_conflict", extra={"current_version": int(versions[0].version)})


def amend(principal: Principal, number: str, body: dict[str, Any], idempotency_key: str | None,
          request_id: str) -> tuple[int, dict[str, Any]]:
    return run_once(principal, f"amend:{number}", idempotency_key, body,
                    lambda attempt: _amend(attempt, principal, number, body, request_id))


def _amend(attempt: Attempt, principal: Principal, number: str, body: dict[str, Any],
           request_id: str) -> tuple[int, dict[str, Any]]:
    latest = _latest_open(number)
    try:
        plan = plan_amendment(_issue_body(latest), body)
    except ValidationFailed as exc:
        raise ValidationError(errors=field_errors(exc.errors)) from exc
    if plan.expected_version != int(latest.version):
        raise Conflict("確認された版は最新ではありません。最新の内容を確認してから再度変更してください。",
                       code="version_conflict", extra={"current_version": int(latest.version)})
    obligee = store.get_obligee(latest.obligee_id)
    if obligee is not None:
        check_owner_amount_rule(plan.state, obligee)

    settings = get_settings()
    now = utc_now()
    changes = describe_changes(plan.changed)
    detail = {"version": int(latest.version), "changed": {k: list(v) for k, v in plan.changed.items()}}
    try:
        if plan.issues_certificate:
            new = _new_version(latest, plan, changes, principal)
            status, response = 201, {**certificate_content(new), "certificate_issued": True}
            detail["version"] = int(new.version)
            emails = _amended_emails(new, changes)
            record = attempt.record(status, response, now, emails)
            event = audit_event(number, "amended", principal, request_id, detail=detail)
            store.commit_new_version(settings.region, latest, new, record, event)
            documents.store_certificate_pdf_quietly(new)
        else:
            state = plan.state
            actions = [
                GuaranteeVersion.contract_amount_total.set(state.contract_amount_total),
                GuaranteeVersion.contract_amount_covered.set(state.contract_amount_covered),
                GuaranteeVersion.completion_date.set(state.completion_date.isoformat()),
                GuaranteeVersion.guarantee_period_end.set(state.guarantee_period_end.isoformat()),
            ]
            status = 200
            response = {"contract_number": number, "version": int(latest.version), "certificate_issued": False,
                        "changes": changes}
            record = attempt.record(status, response, now, [])
            event = audit_event(number, "change_recorded", principal, request_id, detail=detail)
            store.commit_in_place(settings.region, latest, actions, record, event)
    except store.VersionConflict:
        raise _conflict(number) from None
    deliver_pending_emails(record)
    logger.info("guarantee amended", extra={"contract_number": number, "request_id": request_id,
                                            "certificate_issued": plan.issues_certificate})
    return status, response


def _new_version(latest: GuaranteeVersion, plan: AmendmentPlan, changes: list[str],
                 principal: Principal) -> GuaranteeVersion:
    issued_on = japan_today().isoformat()
    version = int(latest.version) + 1
    return GuaranteeVersion(
        latest.contract_number,
        version,
        **{name: getattr(latest, name) for name in _COPIED},
        **stated_terms(plan.state),
        issued_on=issued_on,
        issued_at=utc_now(),
        issued_by=principal.actor,
        amended=True,
        changes=changes,
        revision=0,
        latest_contractor_id=latest.contractor_id,
        latest_sort=f"{issued_on}#{latest.contract_number}",
    )


def _amended_emails(new: GuaranteeVersion, changes: list[str]) -> list[notify.Email]:
    label = GuaranteeType(new.guarantee_type).label
    common = {"contract_number": new.contract_number, "label": label, "project_name": new.project_name,
              "version": int(new.version), "changes": changes}
    emails = []
    contractor = store.get_contractor(new.contractor_id)
    if contractor is not None and new.delivery == "electronic":
        emails.append(notify.amended_notice(to=contractor.email, addressee=contractor.name, for_owner=False,
                                            **common))
    obligee = store.get_obligee(new.obligee_id)
    if obligee is not None and store.verification_of(new.obligee_id, new.contract_number) is not None:
        emails.append(notify.amended_notice(to=obligee.contact_email, addressee=obligee.name, for_owner=True,
                                            **common))
    return emails


def cancel(principal: Principal, number: str, body: dict[str, Any], idempotency_key: str | None,
           request_id: str) -> tuple[int, dict[str, Any]]:
    return run_once(principal, f"cancel:{number}", idempotency_key, body,
                    lambda attempt: _cancel(attempt, principal, number, body, request_id))


def _cancel(attempt: Attempt, principal: Principal, number: str, body: dict[str, Any],
            request_id: str) -> tuple[int, dict[str, Any]]:
    reason = body.get("reason")
    unknown = sorted(set(body) - {"reason"})
    errors = [{"field": f, "message": f"{f}は受け付けられない項目です"} for f in unknown]
    if not isinstance(reason, str) or not reason.strip() or len(reason.strip()) > 200:
        errors.append({"field": "reason", "message": "解約の理由(reason)を200文字以内で入力してください"})
    if errors:
        raise ValidationError(errors=errors)

    latest = _latest_open(number)
    now = utc_now()
    cancelled_on = japan_today().isoformat()
    latest_after = {**certificate_content(latest), "status": "cancelled",
                    "cancelled_on": cancelled_on, "cancel_reason": reason.strip()}
    emails = _cancel_emails(latest, cancelled_on)
    record = attempt.record(200, latest_after, now, emails)
    event = audit_event(number, "cancelled", principal, request_id,
                        detail={"version": int(latest.version), "reason": reason.strip()})
    actions = [
        GuaranteeVersion.status.set("cancelled"),
        GuaranteeVersion.cancelled_on.set(cancelled_on),
        GuaranteeVersion.cancel_reason.set(reason.strip()),
    ]
    try:
        store.commit_in_place(get_settings().region, latest, actions, record, event)
    except store.VersionConflict:
        raise _conflict(number) from None
    deliver_pending_emails(record)
    return 200, latest_after


def _cancel_emails(latest: GuaranteeVersion, cancelled_on: str) -> list[notify.Email]:
    common = {"contract_number": latest.contract_number, "label": GuaranteeType(latest.guarantee_type).label,
              "project_name": latest.project_name, "cancelled_on": cancelled_on}
    emails = []
    contractor = store.get_contractor(latest.contractor_id)
    if contractor is not None:
        emails.append(notify.cancelled_notice(to=contractor.email, addressee=contractor.name, **common))
    obligee = store.get_obligee(latest.obligee_id)
    if obligee is not None and store.verification_of(latest.obligee_id, latest.contract_number) is not None:
        emails.append(notify.cancelled_notice(to=obligee.contact_email, addressee=obligee.name, **common))
    return emails
