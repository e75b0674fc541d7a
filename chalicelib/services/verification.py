"""認証キー: showing and re-issuing it (contractor), and D-Sure verification (owner).

Every way a verification can fail answers the same 404: an unknown number, a wrong key, a paper
guarantee, a certificate addressed to another owner. Guessing is bounded per contract (lock after 5
consecutive failures for 15 minutes, disabled after 20) and per owner account (100 failures an hour).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from chalicelib.adapters import files
from chalicelib.adapters import key_material as keys
from chalicelib.config import get_settings
from chalicelib.domain.auth_key import (
    auth_key_digest,
    auth_key_matches,
    format_auth_key,
    generate_auth_key,
    normalize_auth_key,
)
from chalicelib.domain.clock import utc_now
from chalicelib.domain.normalize import normalize_contract_number
from chalicelib.domain.principal import Principal
from chalicelib.domain.types import GuaranteeType
from chalicelib.errors import NotFound, TooManyRequests, ValidationError
from chalicelib.services import documents
from chalicelib.services.issuance import audit_event
from chalicelib.services.listing import parse_limit
from chalicelib.services.paging import decode_cursor, encode_cursor
from chalicelib.services.presenters import certificate_detail
from chalicelib.store import auth_keys as key_store
from chalicelib.store import guarantees as store
from chalicelib.store.models import AuthKey, GuaranteeVersion, Verification

logger = logging.getLogger(__name__)

_NOT_VERIFIED = "保証契約番号または認証キーに誤りがあるか、確認できない保証証書です。入力内容をご確認ください。"


def _not_verified() -> NotFound:
    return NotFound(_NOT_VERIFIED, code="verification_failed")


def parse_verification_input(body: dict[str, Any]) -> tuple[str, str]:
    """Normalised (contract number, key); malformed input is a 400 and never counts as a guess."""
    errors = []
    raw_number, raw_key = body.get("contract_number"), body.get("auth_key")
    number = normalize_contract_number(raw_number) if isinstance(raw_number, str) else None
    key = normalize_auth_key(raw_key) if isinstance(raw_key, str) else None
    if number is None:
        errors.append({"field": "contract_number", "message": "保証契約番号は10桁の数字で入力してください"})
    if key is None:
        errors.append({"field": "auth_key",
                       "message": "認証キーは英数字10文字(例: ABCDE-12345)で入力してください"})
    if errors:
        raise ValidationError(errors=errors)
    assert number is not None and key is not None
    return number, key


def verify(principal: Principal, body: dict[str, Any], request_id: str) -> dict[str, Any]:
    number, key = parse_verification_input(body)
    settings = get_settings()
    now = utc_now()
    claim = key_store.claim_attempt(settings.region, number, now, principal.org_id)

    if claim.refused in ("locked", "disabled"):
        audit_event(number, "verification_locked", principal, request_id, result=claim.refused).save()
        if claim.refused == "disabled":
            raise TooManyRequests(
                "認証キーの入力誤りが規定回数を超えたため、この認証キーは無効になりました。"
                "受注者に認証キーの再発行を依頼してください。",
                code="auth_key_disabled",
                headers={"Retry-After": "3600"},
            )
        minutes = (claim.retry_after + 59) // 60
        raise TooManyRequests(
            f"認証キーの入力誤りが続いたため、この保証契約番号の確認を一時停止しています。{minutes}分後に再度お試しください。",
            code="verification_locked",
            headers={"Retry-After": str(claim.retry_after)},
        )

    stored = claim.key
    if stored is not None and stored.obligee_id == principal.org_id and auth_key_matches(
        keys.auth_key_secret(), number, key, stored.digest
    ):
        versions = store.get_versions(number)
        verification = Verification(
            principal.org_id, number, verified_version=int(versions[0].version), verified_at=now,
            verified_by=principal.actor,
        )
        event = audit_event(number, "verification_succeeded", principal, request_id,
                            detail={"version": int(versions[0].version)})
        if not key_store.record_success(settings.region, stored, principal.actor, verification, event, now):
            raise _account_limited(principal, now)
        pdf_key = documents.ensure_certificate_pdf(versions[0], trust_stored_flag=True)
        return {
            "certificate": certificate_detail(versions),
            "pdf_url": files.presign(pdf_key),
            "expires_in": files.LINK_SECONDS,
        }

    reason = "unknown" if stored is None else ("other_owner" if stored.obligee_id != principal.org_id
                                               else "wrong_key")
    failures = key_store.count_account_failure(principal.actor, now)
    audit_event(number, "verification_failed", principal, request_id, result="failed",
                detail={"reason": reason}).save()
    if failures > key_store.MAX_ACCOUNT_FAILURES_PER_HOUR:
        raise _account_limited(principal, now)
    raise _not_verified()


def _account_limited(principal: Principal, now: Any) -> TooManyRequests:
    _, retry_after = key_store.account_window(principal.actor, now)
    return TooManyRequests(
        "確認の失敗が多すぎるため、このアカウントでの確認を一時的に制限しています。しばらくしてから再度お試しください。",
        code="account_throttled",
        headers={"Retry-After": str(retry_after)},
    )


def _own_key(principal: Principal, number: str) -> tuple[GuaranteeVersion, AuthKey]:
    """The latest version and key of the caller's own electronic guarantee; anything else is the portal's 404."""
    versions = store.get_versions(number)
    if not versions or versions[0].contractor_id != principal.org_id:
        raise NotFound()
    stored = key_store.get_auth_key(number)
    if stored is None:
        raise NotFound("書面交付の保証のため、認証キーはありません。", code="auth_key_not_available")
    return versions[0], stored


def _key_answer(latest: GuaranteeVersion, plain: str, generation: int) -> dict[str, Any]:
    """The key for display and a link to a key notice made for exactly this key."""
    display = format_auth_key(plain)
    url = documents.key_notice_link(latest, store.get_obligee(latest.obligee_id), display, generation)
    return {
        "contract_number": latest.contract_number,
        "auth_key": display,
        "generation": generation,
        "notice_pdf_url": url,
        "expires_in": files.LINK_SECONDS,
    }


def show_auth_key(principal: Principal, number: str, request_id: str) -> dict[str, Any]:
    latest, stored = _own_key(principal, number)
    plain = keys.decrypt_auth_key(number, stored.encrypted_key)
    audit_event(number, "key_shown", principal, request_id, detail={"generation": int(stored.generation)}).save()
    return _key_answer(latest, plain, int(stored.generation))


def reissue_auth_key(principal: Principal, number: str, request_id: str) -> dict[str, Any]:
    latest, stored = _own_key(principal, number)
    plain = generate_auth_key()
    now = utc_now()
    generation = int(stored.generation) + 1
    event = audit_event(number, "key_reissued", principal, request_id, detail={"generation": generation})
    key_store.replace_key(
        get_settings().region, stored, auth_key_digest(keys.auth_key_secret(), number, plain),
        keys.encrypt_auth_key(number, plain), event, now,
    )
    # Notices made for the old key are removed at once; their links die with them.
    files.delete_prefix(files.key_notice_prefix(number))
    return _key_answer(latest, plain, generation)


def list_verified(principal: Principal, params: dict[str, str]) -> dict[str, Any]:
    """What this owner verified, with whether the guarantee changed since."""
    limit = parse_limit(params.get("limit"))
    scope = {"c": principal.org_id, "f": "verifications"}
    state = decode_cursor(params["cursor"], scope) if params.get("cursor") else None
    start = None
    if state:
        start = {"obligee_id": {"S": principal.org_id}, "contract_number": {"S": state["sort"]}}
    page, has_more = key_store.verifications_of(principal.org_id or "", limit, start)
    items = []
    for record in page:
        versions = store.get_versions(record.contract_number)
        latest = versions[0]
        items.append({
            "contract_number": record.contract_number,
            "version": int(latest.version),
            "verified_version": int(record.verified_version),
            "verified_at": record.verified_at.isoformat().replace("+00:00", "Z"),
            "changed_since_verified": int(latest.version) > int(record.verified_version),
            "status": latest.status,
            "project_name": latest.project_name,
            "label": GuaranteeType(latest.guarantee_type).label,
        })
    cursor = encode_cursor({**scope, "sort": page[-1].contract_number}) if has_more and page else None
    return {"items": items, "next_cursor": cursor}


def list_events(number: str, params: dict[str, str]) -> dict[str, Any]:
    """A guarantee's audit trail, newest first (surety only)."""
    limit = parse_limit(params.get("limit"))
    scope = {"c": number, "f": "events"}
    state = decode_cursor(params["cursor"], scope) if params.get("cursor") else None
    start = {"contract_number": {"S": number}, "event_key": {"S": state["sort"]}} if state else None
    page, has_more = store.audit_page(number, limit, start)
    items = [
        {
            "type": e.type,
            "at": e.at.isoformat().replace("+00:00", "Z"),
            "actor": e.actor,
            "role": e.role,
            "org_id": e.org_id,
            "result": e.result,
            "request_id": e.request_id,
            "detail": _json(e.detail),
        }
        for e in page
    ]
    cursor = encode_cursor({**scope, "sort": page[-1].event_key}) if has_more and page else None
    return {"items": items, "next_cursor": cursor}


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None
