"""Issuing a guarantee: validate, check the owner's adoption and amount rule, store everything at once,
notify (docs/ARCHITECTURE.md, a request traced)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from chalicelib.config import get_settings
from chalicelib.domain.clock import japan_today, utc_now
from chalicelib.domain.eligibility import ObligeePolicy, electronic_refusal
from chalicelib.domain.policy import check_owner_amount_rule
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import AuthKeyState, CertificateVersion, Contractor, Obligee
from chalicelib.domain.types import Delivery, GuaranteeType
from chalicelib.domain.underwriting import (
    Refusal,
    intermediate_refusal,
    late_registration_refusal,
    period_refusal,
)
from chalicelib.domain.validation import IssueRequest, parse_issue_request
from chalicelib.errors import Unprocessable
from chalicelib.logs import log_context
from chalicelib.services import audit, documents, notices, outbox
from chalicelib.services.auth_keys import seal_new_key
from chalicelib.services.idempotency import Attempt, run_once
from chalicelib.services.presenters import certificate_content
from chalicelib.store import guarantees as guarantee_store
from chalicelib.store import parties as party_store

logger = logging.getLogger(__name__)


def _check_references(req: IssueRequest) -> tuple[Contractor, Obligee]:
    contractor = party_store.get_contractor(req.contractor_id)
    obligee = party_store.get_obligee(req.obligee_id)
    errors = []
    if contractor is None:
        errors.append({"field": "contractor_id", "message": "保証契約者(contractor_id)が登録されていません"})
    if obligee is None:
        errors.append({"field": "obligee_id", "message": "発注者(obligee_id)が登録されていません"})
    if contractor is None or obligee is None:
        raise Unprocessable("登録されていない保証契約者または発注者です。", code="unknown_reference", errors=errors)
    return contractor, obligee


def _check_electronic(req: IssueRequest, obligee: Obligee) -> None:
    if req.delivery is not Delivery.ELECTRONIC:
        return
    policy = ObligeePolicy(obligee.e_guarantee_start_date, frozenset(obligee.eligible_work_categories))
    reason = electronic_refusal(policy, obligee.name, req.contract_date, req.work_category)
    if reason is not None:
        raise Unprocessable(reason, code="not_eligible_for_electronic",
                            errors=[{"field": "delivery", "message": reason}])


def _check_underwriting(req: IssueRequest, obligee: Obligee, issued_on: date) -> None:
    """What a surety would refuse however well-formed the request (domain/underwriting): a 422 each."""
    refusals: list[Refusal | None] = [
        period_refusal(req.guarantee_period_end, issued_on),
        late_registration_refusal(req.contract_date, issued_on, req.late_registration_reason),
    ]
    if req.guarantee_type is GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT:
        refusals.append(intermediate_refusal(obligee.name, req.project_name, guarantee_store.open_guarantee_exists(
            req.contractor_id, req.obligee_id, req.project_name, GuaranteeType.ADVANCE_PAYMENT)))
    found = [r for r in refusals if r is not None]
    if found:
        raise Unprocessable(" ".join(r.message for r in found), code=found[0].code,
                            errors=[{"field": r.field, "message": r.message} for r in found])


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
    issued_on = japan_today() if existing_certificate is None else existing_certificate[1]
    req = parse_issue_request(body, today=issued_on)
    contractor, obligee = _check_references(req)
    check_owner_amount_rule(req, obligee.ratio_rules)
    _check_electronic(req, obligee)
    _check_underwriting(req, obligee, issued_on)

    if existing_certificate is None:
        contract_number = guarantee_store.allocate_contract_number(get_settings().contract_number_base)
    else:
        contract_number = existing_certificate[0]
    now = utc_now()
    version = CertificateVersion(
        contract_number=contract_number,
        version=1,
        guarantee_type=req.guarantee_type,
        delivery=req.delivery,
        work_category=req.work_category,
        contractor_id=contractor.contractor_id,
        obligee_id=obligee.obligee_id,
        contractor_name=contractor.name,
        contractor_address=contractor.address,
        obligee_name=obligee.name,
        contract_date=req.contract_date,
        terms=req.terms,
        issued_on=issued_on,
        issued_at=now,
        issued_by=principal.actor,
        revision=1,  # as the store writes a new version
    )
    response = certificate_content(version)
    emails = []
    if version.is_electronic:
        emails.append(notices.issued_notice(
            to=contractor.email,
            contractor_name=contractor.name,
            contract_number=contract_number,
            guarantee_type=req.guarantee_type,
            project_name=req.project_name,
            obligee=obligee,
        ))
    outcome = attempt.outcome(201, response, now, emails)
    detail: dict[str, Any] = {"version": 1, "delivery": req.delivery.value}
    if req.late_registration_reason:
        detail["late_registration_reason"] = req.late_registration_reason  # the exception, on the record
    event = audit.event(contract_number, "issued", principal, request_id, detail=detail)
    auth_key = new_auth_key(contract_number, obligee.obligee_id, contractor.contractor_id) \
        if version.is_electronic else None
    stored = guarantee_store.commit_issue(version, outcome, event, auth_key)

    documents.store_certificate_pdf_quietly(stored)
    outbox.hand_off(outcome.notices)
    logger.info("guarantee issued", extra=log_context(contract_number=contract_number, request_id=request_id))
    return 201, response


def new_auth_key(contract_number: str, obligee_id: str, contractor_id: str) -> AuthKeyState:
    """A fresh 認証キー, kept only as its digest and its KMS ciphertext."""
    key = seal_new_key(contract_number)
    return AuthKeyState(
        contract_number=contract_number,
        obligee_id=obligee_id,
        contractor_id=contractor_id,
        digest=key.digest,
        secret_version=key.secret_version,
        encrypted_key=key.encrypted,
        last_failure_at=None,
    )
