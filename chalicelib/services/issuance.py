"""Issuing a guarantee: validate, check the owner's adoption, store everything at once, notify."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import date, datetime
from typing import Any

from chalicelib.adapters import key_material as keys
from chalicelib.adapters import mail as notify
from chalicelib.config import get_settings
from chalicelib.domain.auth_key import auth_key_digest, generate_auth_key
from chalicelib.domain.clock import japan_today, utc_now
from chalicelib.domain.eligibility import ObligeePolicy, electronic_refusal
from chalicelib.domain.normalize import normalize_search_text
from chalicelib.domain.principal import Principal
from chalicelib.domain.types import Delivery, WorkCategory
from chalicelib.domain.validation import (
    IssueRequest,
    ValidationFailed,
    check_amount_rule,
    parse_issue_request,
    ratio_rules,
)
from chalicelib.errors import Unprocessable, ValidationError
from chalicelib.services import documents
from chalicelib.services.idempotency import Attempt, deliver_pending_emails, run_once
from chalicelib.services.presenters import certificate_content
from chalicelib.store import guarantees as store
from chalicelib.store.models import (
    AuditEvent,
    AuthKey,
    Contractor,
    GuaranteeVersion,
    Obligee,
)

logger = logging.getLogger(__name__)

def field_errors(errors: list[Any]) -> list[dict[str, str]]:
    return [{"field": e.field, "message": e.message} for e in errors]


def _check_references(req: IssueRequest) -> tuple[Contractor, Obligee]:
    contractor = store.get_contractor(req.contractor_id)
    obligee = store.get_obligee(req.obligee_id)
    errors = []
    if contractor is None:
        errors.append({"field": "contractor_id", "message": "保証契約者(contractor_id)が登録されていません"})
    if obligee is None:
        errors.append({"field": "obligee_id", "message": "発注者(obligee_id)が登録されていません"})
    if errors:
        raise Unprocessable("登録されていない保証契約者または発注者です。", code="unknown_reference", errors=errors)
    assert contractor is not None and obligee is not None
    return contractor, obligee


def check_owner_amount_rule(req: IssueRequest, obligee: Obligee) -> None:
    """The owner's ratio of guarantee to covered amount (its own rule, or the default of the type)."""
    overrides = json.loads(obligee.ratio_rules) if obligee.ratio_rules else None
    rule = ratio_rules(overrides)[req.guarantee_type]
    error = check_amount_rule(req.guarantee_type, req.guarantee_amount, req.contract_amount_covered, rule)
    if error is not None:
        raise ValidationError(errors=field_errors([error]))


def _check_rules(req: IssueRequest, obligee: Obligee) -> None:
    check_owner_amount_rule(req, obligee)
    if req.delivery is Delivery.ELECTRONIC:
        policy = ObligeePolicy(
            e_guarantee_start_date=_date_or_none(obligee.e_guarantee_start_date),
            eligible_work_categories=frozenset(WorkCategory(c) for c in obligee.eligible_work_categories),
        )
        reason = electronic_refusal(policy, obligee.name, req.contract_date, req.work_category)
        if reason is not None:
            raise Unprocessable(
                reason, code="not_eligible_for_electronic", errors=[{"field": "delivery", "message": reason}]
            )


def _date_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def issue_guarantee(
    principal: Principal,
    body: Any,
    idempotency_key: str | None,
    request_id: str,
    *,
    existing_certificate: tuple[str, date] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Issue version 1 of a new guarantee. Returns (status, body); a retry returns the first answer.

    `existing_certificate` (number, issue date) brings in a certificate issued before this service
    (the demo seed, a migration); its number must lie below the counter's range.
    """
    return run_once(principal, "issue", idempotency_key, body,
                    lambda attempt: _issue(attempt, principal, body, request_id, existing_certificate))


def _issue(attempt: Attempt, principal: Principal, body: Any, request_id: str,
           existing_certificate: tuple[str, date] | None) -> tuple[int, dict[str, Any]]:
    settings = get_settings()
    try:
        req = parse_issue_request(body)
    except ValidationFailed as exc:
        raise ValidationError(errors=field_errors(exc.errors)) from exc
    contractor, obligee = _check_references(req)
    _check_rules(req, obligee)

    if existing_certificate is None:
        contract_number = store.allocate_contract_number(settings.contract_number_base)
        issued_on = japan_today().isoformat()
    else:
        contract_number, issued_date = existing_certificate[0], existing_certificate[1]
        issued_on = issued_date.isoformat()
    now = utc_now()
    version = GuaranteeVersion(
        contract_number,
        1,
        guarantee_type=req.guarantee_type.value,
        delivery=req.delivery.value,
        status="active",
        work_category=req.work_category.value,
        contractor_id=contractor.contractor_id,
        obligee_id=obligee.obligee_id,
        contractor_name=contractor.name,
        contractor_address=contractor.address,
        obligee_name=obligee.name,
        contract_date=req.contract_date.isoformat(),
        **stated_terms(req),
        issued_on=issued_on,
        issued_at=now,
        issued_by=principal.actor,
        amended=False,
        search_obligee=normalize_search_text(obligee.name),
        latest_contractor_id=contractor.contractor_id,
        latest_sort=f"{issued_on}#{contract_number}",
    )
    response = certificate_content(version)
    emails = []
    if req.delivery is Delivery.ELECTRONIC:
        emails.append(notify.issued_notice(
            to=contractor.email,
            contractor_name=contractor.name,
            contract_number=contract_number,
            label=req.guarantee_type.label,
            project_name=req.project_name,
            obligee_name=obligee.name,
        ))
    record = attempt.record(201, response, now, emails)
    event = audit_event(
        contract_number, "issued", principal, request_id, detail={"version": 1, "delivery": req.delivery.value}
    )
    auth_key = new_auth_key(contract_number, obligee.obligee_id, contractor.contractor_id, now) \
        if req.delivery is Delivery.ELECTRONIC else None
    store.commit_issue(settings.region, version, record, event, auth_key)

    documents.store_certificate_pdf_quietly(version)
    deliver_pending_emails(record)
    logger.info("guarantee issued", extra={"contract_number": contract_number, "request_id": request_id})
    return 201, response


def stated_terms(req: IssueRequest) -> dict[str, Any]:
    """The terms a certificate version states that an amendment may change, as stored attributes."""
    return {
        "project_name": req.project_name,
        "search_project": normalize_search_text(req.project_name),
        "completion_date": req.completion_date.isoformat(),
        "guarantee_period_end": req.guarantee_period_end.isoformat(),
        "contract_amount_total": req.contract_amount_total,
        "contract_amount_covered": req.contract_amount_covered,
        "guarantee_amount": req.guarantee_amount,
        "deposit_bank": req.deposit_bank,
    }


def new_auth_key(contract_number: str, obligee_id: str, contractor_id: str, now: datetime) -> AuthKey:
    """A fresh 認証キー, kept only as its digest and its KMS ciphertext."""
    plain = generate_auth_key()
    return AuthKey(
        contract_number,
        obligee_id=obligee_id,
        contractor_id=contractor_id,
        digest=auth_key_digest(keys.auth_key_secret(), contract_number, plain),
        encrypted_key=keys.encrypt_auth_key(contract_number, plain),
        generation=1,
        consecutive_failures=0,
        total_failures=0,
        disabled=False,
        updated_at=now,
    )


def audit_event(
    contract_number: str,
    event_type: str,
    principal: Principal,
    request_id: str,
    *,
    result: str = "ok",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    now = utc_now()
    return AuditEvent(
        contract_number,
        f"{now.isoformat()}#{uuid.uuid4().hex}",
        type=event_type,
        at=now,
        actor=principal.actor,
        role=principal.role,
        org_id=principal.org_id,
        result=result,
        request_id=request_id,
        detail=json.dumps(detail, ensure_ascii=False) if detail else None,
    )
