"""変更契約 and 解約・返還: new certificate versions, recorded changes, cancellation.

Every version is kept. A change that issues a certificate adds version k+1 and moves the list's marker
in one transaction; a recorded change or a cancellation updates the latest version in place. Both carry
the revision they read, so of concurrent changes of the same version one wins and the others get 409.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.adapters.mail import Email
from chalicelib.domain.advance import AdvanceRepayment, advance_repayment
from chalicelib.domain.amendment import AmendmentPlan, describe_changes, plan_amendment
from chalicelib.domain.clock import japan_today, utc_now
from chalicelib.domain.limits import CANCEL_REASON_MAX
from chalicelib.domain.outbox import WebhookEvent
from chalicelib.domain.policy import check_amended_amount_rule
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import (
    CertificateVersion,
    Contractor,
    GuaranteeStatus,
    Obligee,
    RecordedChange,
    VerificationEntry,
)
from chalicelib.domain.types import GuaranteeType
from chalicelib.domain.validation import BodyCheck, issue_body, required_text
from chalicelib.domain.wareki import format_wareki_text
from chalicelib.errors import Conflict, NotFound
from chalicelib.logs import log_context
from chalicelib.services import audit, documents, notices, outbox, webhooks
from chalicelib.services.idempotency import Attempt, run_once
from chalicelib.services.presenters import certificate_content, recorded_change
from chalicelib.store import guarantees as guarantee_store
from chalicelib.store import parties as party_store
from chalicelib.store import verifications as verification_store

logger = logging.getLogger(__name__)


def _version_conflict(message: str, current: int) -> Conflict:
    return Conflict(message, code="version_conflict", extra_body={"current_version": current})


def _latest_open(contract_number: str) -> CertificateVersion:
    latest = guarantee_store.latest_version(contract_number)
    if latest is None:
        raise NotFound()
    if latest.is_cancelled:
        raise Conflict("解約済みの保証は変更できません。", code="guarantee_cancelled",
                       extra_body={"current_version": latest.version})
    return latest


class _VerifiedMeanwhile(Conflict):
    """The owner verified the guarantee between the change's read of its verification row and the commit (the
    change is conditioned on the row as read, docs/ARCHITECTURE.md, the owner's 確認済み一覧): the guarantee did not
    change, so the change is tried once more, reading the row afresh."""


_LOST_RACE = "他の変更が先に登録されました。最新の内容を確認してから再度変更してください。"


def _lost_race(latest: CertificateVersion, concerned: _Concerned) -> Conflict:
    if concerned.verification is None and verification_store.get(latest.obligee_id, latest.contract_number,
                                                                  consistent_read=True) is not None:
        return _VerifiedMeanwhile(_LOST_RACE, code="version_conflict", extra_body={"current_version": latest.version})
    current = guarantee_store.latest_version(latest.contract_number)
    assert current is not None  # the race was lost to another change of this very guarantee
    return _version_conflict(_LOST_RACE, current.version)


def _once_more_if_verified_meanwhile(perform: Callable[[], tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    try:
        return perform()
    except _VerifiedMeanwhile:
        return perform()  # a second verification within the same moment: a plain 409 this time


def amend(principal: Principal, contract_number: str, body: dict[str, Any], idempotency_key: str | None,
          request_id: str) -> tuple[int, dict[str, Any]]:
    return run_once(principal, f"amend:{contract_number}", idempotency_key, body,
                    lambda attempt: _once_more_if_verified_meanwhile(
                        lambda: _amend(attempt, principal, contract_number, body, request_id)))


def _amend(attempt: Attempt, principal: Principal, contract_number: str, body: dict[str, Any],
           request_id: str) -> tuple[int, dict[str, Any]]:
    latest = _latest_open(contract_number)
    plan = plan_amendment(issue_body(latest), body)
    if plan.expected_version != latest.version or plan.expected_revision != (latest.revision or 1):
        raise _version_conflict("確認された版は最新ではありません。最新の内容を確認してから再度変更してください。",
                                latest.version)
    obligee = party_store.get_obligee(latest.obligee_id)
    if obligee is not None:
        check_amended_amount_rule(latest.terms.guarantee_amount, plan.state, obligee.ratio_rules)
    repayment = _repayment(latest, plan)
    # Whom the change is told of, read once for the emails, the webhooks and the owner's 確認済み一覧 (the contractor
    # only when someone is told).
    concerned = _Concerned.of(latest, obligee, with_contractor=plan.issues_certificate or plan.tells_owner)

    now = utc_now()
    changes = describe_changes(plan.changed) + ([repayment.describe()] if repayment is not None else [])
    detail: dict[str, Any] = {"version": latest.version,
                              "changed": {k: list(v) for k, v in plan.changed.items()}}
    if repayment is not None:
        detail["advance_repayment"] = repayment.as_json()
    try:
        if plan.issues_certificate:
            new = _new_version(latest, plan, changes, principal)
            status, response = 201, {**certificate_content(new), "certificate_issued": True,
                                     "advance_repayment": repayment.as_json() if repayment else None}
            detail["version"] = new.version
            outcome = attempt.outcome(status, response, now, _amended_emails(new, changes, concerned),
                                      webhooks.owner_notices(new, WebhookEvent.AMENDED, {
                                          "version": new.version, "changes": changes,
                                      }, now, owner_verified=concerned.owner_verified))
            event = audit.event(contract_number, "amended", principal, request_id, detail=detail)
            stored = guarantee_store.commit_new_version(latest, new, outcome, event,
                                                        verification=concerned.verification)
            documents.store_certificate_pdf_quietly(stored)
        else:
            status = 200
            recorded = replace(latest, terms=plan.state.terms, revision=(latest.revision or 0) + 1,
                               pdf_stored=False, recorded_changes=(
                                   *latest.recorded_changes, RecordedChange(japan_today(), tuple(changes))))
            response = recorded_change(recorded, plan, changes, repayment)
            # The period and the works' end are what an owner relies on: told by email and by webhook.
            emails = _recorded_emails(recorded, changes, concerned) if plan.tells_owner else []
            hooks = webhooks.owner_notices(recorded, WebhookEvent.TERMS_CHANGED, {
                "version": recorded.version, "revision": recorded.revision, "changes": changes,
            }, now, owner_verified=concerned.owner_verified) if plan.tells_owner else ()
            outcome = attempt.outcome(status, response, now, emails, hooks)
            event = audit.event(contract_number, "change_recorded", principal, request_id, detail=detail)
            guarantee_store.commit_in_place(latest, recorded, outcome, event, verification=concerned.verification)
            # The certificate prints the terms as they now stand (注2): its PDF is made for this state.
            documents.store_certificate_pdf_quietly(recorded)
    except guarantee_store.VersionConflict:
        raise _lost_race(latest, concerned) from None
    outbox.hand_off(outcome.notices)
    logger.info("guarantee amended", extra=log_context(contract_number=contract_number, request_id=request_id,
                                                       certificate_issued=plan.issues_certificate))
    return status, response


def _repayment(latest: CertificateVersion, plan: AmendmentPlan) -> AdvanceRepayment | None:
    """What a smaller 請負金額(対象額) means for an advance (前金払の条, domain/advance.py): the advance received is the
    guarantee's 保証金額 before the change; the other advance of the same works (a 前払金保証 and its 中間前払金保証)
    counts with it, found through the `works` index. None for a 契約保証 or a price that did not decrease."""
    kind = latest.guarantee_type
    if not kind.is_advance or plan.state.contract_amount_covered >= latest.terms.contract_amount_covered:
        return None
    other_kind = (GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT if kind is GuaranteeType.ADVANCE_PAYMENT
                  else GuaranteeType.ADVANCE_PAYMENT)
    other = guarantee_store.open_guarantee_of_works(latest.contractor_id, latest.obligee_id,
                                                    latest.terms.project_name, other_kind)
    other_amount = other.terms.guarantee_amount if other is not None else 0
    own = latest.terms.guarantee_amount
    advance, intermediate = (own, other_amount) if kind is GuaranteeType.ADVANCE_PAYMENT else (other_amount, own)
    return advance_repayment(latest.terms.contract_amount_covered, plan.state.contract_amount_covered, advance,
                             intermediate)


def _new_version(latest: CertificateVersion, plan: AmendmentPlan, changes: list[str],
                 principal: Principal) -> CertificateVersion:
    return replace(
        latest,
        version=latest.version + 1,
        terms=plan.state.terms,
        issued_on=japan_today(),
        issued_at=utc_now(),
        issued_by=principal.actor,
        amended=True,
        changes=tuple(changes),
        recorded_changes=(),  # those belong to the version they were recorded in
        revision=1,
        pdf_stored=False,
    )


@dataclass(frozen=True)
class _Concerned:
    """Whom a change of one guarantee is told of, each read once: its contractor, its owner, and the owner's
    verification of the certificate (only then is the owner told, by email and by webhook; the change keeps its
    row in 確認済み一覧 current)."""

    contractor: Contractor | None
    obligee: Obligee | None
    verification: VerificationEntry | None

    @property
    def owner_verified(self) -> bool:
        return self.verification is not None

    @classmethod
    def of(cls, item: CertificateVersion, obligee: Obligee | None, *, with_contractor: bool = True) -> _Concerned:
        return cls(party_store.get_contractor(item.contractor_id) if with_contractor else None, obligee,
                   verification_store.get(item.obligee_id, item.contract_number))

    def addressees(self, item: CertificateVersion, *, contractor_only_if_electronic: bool
                   ) -> list[tuple[str, str, bool]]:
        """(email, addressee, is owner) of each party told: the contractor, and the owner if it verified."""
        parties = []
        if self.contractor is not None and (item.is_electronic or not contractor_only_if_electronic):
            parties.append((self.contractor.email, self.contractor.name, False))
        if self.obligee is not None and self.owner_verified:
            parties.append((self.obligee.contact_email, self.obligee.name, True))
        return parties


def _amended_emails(new: CertificateVersion, changes: list[str], concerned: _Concerned) -> list[Email]:
    return [
        notices.amended_notice(to=to, addressee=addressee, for_owner=for_owner,
                               contract_number=new.contract_number, label=new.guarantee_type.label,
                               project_name=new.terms.project_name, version=new.version, changes=changes)
        for to, addressee, for_owner in concerned.addressees(new, contractor_only_if_electronic=True)
    ]


def _recorded_emails(recorded: CertificateVersion, changes: list[str], concerned: _Concerned) -> list[Email]:
    return [
        notices.recorded_change_notice(to=to, addressee=addressee, for_owner=for_owner,
                                       contract_number=recorded.contract_number,
                                       label=recorded.guarantee_type.label,
                                       project_name=recorded.terms.project_name, changes=changes)
        for to, addressee, for_owner in concerned.addressees(recorded, contractor_only_if_electronic=True)
    ]


def cancel(principal: Principal, contract_number: str, body: dict[str, Any], idempotency_key: str | None,
           request_id: str) -> tuple[int, dict[str, Any]]:
    return run_once(principal, f"cancel:{contract_number}", idempotency_key, body,
                    lambda attempt: _once_more_if_verified_meanwhile(
                        lambda: _cancel(attempt, principal, contract_number, body, request_id)))


def _cancel_reason(body: dict[str, Any]) -> str:
    check = BodyCheck(body, ("reason",))
    reason = check.field("reason", required_text, "解約の理由(reason)", CANCEL_REASON_MAX)
    check.done()
    assert reason is not None
    return reason


def _cancel(attempt: Attempt, principal: Principal, contract_number: str, body: dict[str, Any],
            request_id: str) -> tuple[int, dict[str, Any]]:
    reason = _cancel_reason(body)
    latest = _latest_open(contract_number)
    now = utc_now()
    cancelled = replace(latest, status=GuaranteeStatus.CANCELLED, cancelled_on=japan_today(), cancel_reason=reason,
                        revision=(latest.revision or 0) + 1)
    response = certificate_content(cancelled)
    concerned = _Concerned.of(latest, party_store.get_obligee(latest.obligee_id))
    emails = [
        notices.cancelled_notice(to=to, addressee=addressee, contract_number=contract_number,
                                 label=latest.guarantee_type.label, project_name=latest.terms.project_name,
                                 cancelled_on=format_wareki_text(cancelled.cancelled_on or japan_today()),
                                 for_owner=for_owner)
        for to, addressee, for_owner in concerned.addressees(latest, contractor_only_if_electronic=False)
    ]
    hooks = webhooks.owner_notices(latest, WebhookEvent.CANCELLED, {
        "version": latest.version, "cancelled_on": response["cancelled_on"]}, now,
        owner_verified=concerned.owner_verified)
    outcome = attempt.outcome(200, response, now, emails, hooks)
    event = audit.event(contract_number, "cancelled", principal, request_id,
                        detail={"version": latest.version, "reason": reason})
    try:
        guarantee_store.commit_in_place(latest, cancelled, outcome, event, verification=concerned.verification)
    except guarantee_store.VersionConflict:
        raise _lost_race(latest, concerned) from None
    outbox.hand_off(outcome.notices)
    return 200, response
