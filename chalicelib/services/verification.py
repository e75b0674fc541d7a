"""The owner's verification (確認サービス): an owner's clerk checks a certificate with its 保証契約番号 and
認証キー, and lists what its organisation verified.

Every way a verification can fail answers the same 404: an unknown number, a wrong key, a paper
guarantee, a certificate addressed to another owner. Guessing is bounded per contract and per owner
account by chalicelib.domain.policy.GUESSING_LIMITS (docs/ARCHITECTURE.md, guessing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.adapters import files, key_material
from chalicelib.domain import validation
from chalicelib.domain.auth_key import auth_key_matches
from chalicelib.domain.clock import utc_now
from chalicelib.domain.lookups import parse_verified_search
from chalicelib.domain.policy import GUESSING_LIMITS
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import AuthKeyState, CertificateVersion, VerificationEntry, VerifiedState
from chalicelib.domain.validation import BodyCheck, typed_auth_key
from chalicelib.errors import Conflict, NotFound, TooManyRequests
from chalicelib.services import audit, documents, presenters
from chalicelib.services.paging import PageRequest
from chalicelib.store import auth_keys as auth_key_store
from chalicelib.store import guarantees as guarantee_store
from chalicelib.store import throttle as throttle_store
from chalicelib.store import verifications as verification_store
from chalicelib.store.auth_keys import Refusal

logger = logging.getLogger(__name__)

NOT_VERIFIED = "保証契約番号または認証キーに誤りがあるか、確認できない保証証書です。入力内容をご確認ください。"


def parse_verification_input(body: Mapping[str, Any]) -> tuple[str, str]:
    """Normalised (contract number, typed key); malformed input is a 400 and never counts as a guess. Other
    fields are ignored (openapi.yaml, VerificationRequest)."""
    check = BodyCheck(body, None)
    contract_number = check.field("contract_number", validation.contract_number, "保証契約番号")
    typed_key = check.field("auth_key", typed_auth_key, "認証キー")
    check.done()
    assert contract_number is not None and typed_key is not None
    return contract_number, typed_key


def _locked(refusal: Refusal, retry_after: int) -> TooManyRequests:
    if refusal is Refusal.DISABLED:  # no Retry-After: waiting does not help, only a reissue does
        return TooManyRequests(
            "認証キーの入力誤りが規定回数を超えたため、この認証キーは無効になりました。"
            "受注者に認証キーの再発行を依頼してください。",
            code="auth_key_disabled",
        )
    minutes = (retry_after + 59) // 60
    return TooManyRequests(
        f"認証キーの入力誤りが続いたため、この保証契約番号の確認を一時停止しています。{minutes}分後に再度お試しください。",
        code="verification_locked",
        headers={"Retry-After": str(retry_after)},
    )


def _account_limited(principal: Principal, now: datetime) -> TooManyRequests:
    _, retry_after = throttle_store.account_window(principal.actor, now)
    return TooManyRequests(
        "確認の失敗が多すぎるため、このアカウントでの確認を一時的に制限しています。しばらくしてから再度お試しください。",
        code="account_throttled",
        headers={"Retry-After": str(retry_after)},
    )


def _count_refused_attempt(principal: Principal, contract_number: str, now: datetime, request_id: str,
                           event_type: str, *, result: str, detail: dict[str, Any] | None = None) -> bool:
    """Count a refused attempt against the owner account and keep its audit event while the account is within
    its hourly limit; past it only the count grows (one event marks the crossing), so no account can flood
    any number's trail. Returns whether the account is now over its limit."""
    failures = throttle_store.count_failure(principal.actor, now)
    limit = GUESSING_LIMITS.account_failures_per_hour
    if failures <= limit:
        audit.record(contract_number, event_type, principal, request_id, result=result, detail=detail)
    elif failures == limit + 1:
        audit.record(contract_number, "account_throttled", principal, request_id, result="throttled",
                     detail={"failures_this_hour": failures})
    return failures > limit


@dataclass(frozen=True)
class Verified:
    """A certificate an owner verified: its versions (newest first), when, and a link to its PDF."""

    versions: list[CertificateVersion]
    verified_at: datetime
    pdf_url: str
    verified_version: int  # the version the key proved (a reopened row: the one verified then)


def verify(principal: Principal, body: Mapping[str, Any], request_id: str) -> dict[str, Any]:
    """POST /v1/verifications: the verified certificate in the API's shape."""
    verified = verify_certificate(principal, body, request_id)
    return presenters.verification(verified.versions, verified.verified_at, verified.pdf_url)


def verify_certificate(principal: Principal, body: Mapping[str, Any], request_id: str) -> Verified:
    """Verify a certificate with its number and key, or refuse (the one failure 404, a 429 while locked)."""
    contract_number, typed_key = parse_verification_input(body)
    now = utc_now()
    claim = auth_key_store.claim_attempt(contract_number, now, principal.org_id)

    if claim.refused in (Refusal.LOCKED, Refusal.DISABLED):
        assert claim.refused is not None
        _count_refused_attempt(principal, contract_number, now, request_id, "verification_locked",
                               result=claim.refused.value)
        raise _locked(claim.refused, claim.retry_after)

    key_record = claim.key
    if key_record is not None and key_record.obligee_id == principal.org_id and auth_key_matches(
        key_material.auth_key_secret(key_record.secret_version), contract_number, typed_key, key_record.digest
    ):
        versions = _record_success(principal, key_record, contract_number, now, request_id)
        pdf_object = documents.ensure_certificate_pdf(versions[0], trust_stored_flag=True)
        return Verified(versions, now, files.presign(pdf_object), versions[0].version)

    if key_record is None:
        reason = "unknown"
    else:
        reason = "other_owner" if key_record.obligee_id != principal.org_id else "wrong_key"
    if _count_refused_attempt(principal, contract_number, now, request_id, "verification_failed",
                              result="failed", detail={"reason": reason}):
        raise _account_limited(principal, now)
    raise NotFound(NOT_VERIFIED, code="verification_failed")


# Tries of a verification whose guarantee changes between the read of its latest version and the commit.
_CHANGED_MEANWHILE_TRIES = 3


def _record_success(principal: Principal, key_record: AuthKeyState, contract_number: str, now: datetime,
                    request_id: str) -> list[CertificateVersion]:
    """Record the verification of the key just judged right, with the latest version as it stands at the commit
    (the owner's 確認済み一覧 must not miss a change made meanwhile): the versions recorded, newest first."""
    for attempt in range(_CHANGED_MEANWHILE_TRIES):
        versions = guarantee_store.get_versions(contract_number)
        latest = versions[0]
        verification = VerificationEntry(principal.org_id or "", contract_number, latest.version, now, principal.actor,
                                         len(latest.recorded_changes))
        event = audit.event(contract_number, "verification_succeeded", principal, request_id,
                            detail={"version": latest.version})
        refused = auth_key_store.record_success(key_record, principal.actor, verification, latest, event, now)
        if refused is None:
            return versions
        if refused is auth_key_store.SuccessRefused.KEY_CHANGED:  # reissued meanwhile: the old key, not verified
            raise NotFound(NOT_VERIFIED, code="verification_failed")
        if refused is auth_key_store.SuccessRefused.ACCOUNT_LIMITED:
            auth_key_store.release_claim(key_record)  # never judged: a right key must not count against it
            raise _account_limited(principal, now)
        time.sleep(0.02 * 2**attempt)  # the guarantee changed meanwhile: read it again
    auth_key_store.release_claim(key_record)
    raise Conflict("確認と同時に保証の変更が続けて登録されました。もう一度確認してください。",
                   code="verification_conflict")


def list_verified(principal: Principal, params: Mapping[str, str]) -> dict[str, Any]:
    """What this owner verified, newest 確認日時 first, with the guarantee as it stands (受注者, 保証金額, 証書発行日,
    状態) and whether it changed since; searched by 保証契約番号, 工事名 or 受注者 (docs/ARCHITECTURE.md, the owner's
    確認済み一覧)."""
    obligee_id = principal.org_id or ""
    search = parse_verified_search(params)
    scope = {"c": obligee_id, "f": "verifications", "o": "verified_at", **(search.scope() if search else {})}
    page = PageRequest.from_params(params, scope)
    found, has_more = verification_store.of_owner(obligee_id, page.limit, page.after["sort"] if page.after else None,
                                                  search)
    items = [presenters.verified_item(entry) for entry in map(_with_state, found)]
    return {"items": items,
            "next_cursor": page.next_cursor(found, has_more, lambda e: {"sort": verification_store.list_position(e)})}


def _with_state(entry: VerificationEntry) -> VerificationEntry:
    """A row written before the list kept the guarantee's state gets it from the latest version (until the
    backfill has run: scripts/backfill.py)."""
    if entry.state is not None:
        return entry
    latest = guarantee_store.latest_version(entry.contract_number)
    assert latest is not None  # guarantees are never deleted; a verification outlives nothing
    return replace(entry, state=VerifiedState.of(latest))


def reopen(principal: Principal, contract_number: str, request_id: str) -> Verified:
    """A certificate this owner verified, shown again from its 確認済み一覧 (the key was proved then; the latest
    version as it stands now), audited like a verification. Anything the owner did not verify is the one 404 of
    a failed verification, whoever asks."""
    entry = verification_store.get(principal.org_id or "", contract_number)
    if entry is None:
        raise NotFound(NOT_VERIFIED, code="verification_failed")
    versions = guarantee_store.get_versions(contract_number)
    audit.record(contract_number, "verification_reopened", principal, request_id,
                 detail={"version": versions[0].version, "verified_version": entry.verified_version})
    pdf_object = documents.ensure_certificate_pdf(versions[0], trust_stored_flag=True)
    return Verified(versions, entry.verified_at, files.presign(pdf_object), entry.verified_version)


def reopen_verified(principal: Principal, contract_number: str, request_id: str) -> dict[str, Any]:
    """GET /v1/verifications/{contract_number}: the answer of a verification, for a certificate already verified."""
    verified = reopen(principal, contract_number, request_id)
    return presenters.verification(verified.versions, verified.verified_at, verified.pdf_url)
