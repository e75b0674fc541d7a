"""認証キー for the contractor: show the current key (with a key notice made for it) and reissue it
(docs/ARCHITECTURE.md, 認証キー)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.adapters import files, key_material
from chalicelib.domain.auth_key import auth_key_digest, format_auth_key, generate_auth_key
from chalicelib.domain.clock import JST, utc_now
from chalicelib.domain.outbox import WebhookEvent
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import AuthKeyState, CertificateVersion
from chalicelib.errors import Conflict, NotFound
from chalicelib.logs import log_context
from chalicelib.services import audit, documents, outbox, presenters, webhooks
from chalicelib.services.certificates import readable_versions
from chalicelib.store import auth_keys as auth_key_store
from chalicelib.store import parties as party_store

logger = logging.getLogger(__name__)


def _own_key(principal: Principal, contract_number: str) -> tuple[CertificateVersion, AuthKeyState]:
    """The latest version and key of a guarantee the caller may read; a paper guarantee has no key."""
    latest = readable_versions(principal, contract_number)[0]
    key_record = auth_key_store.get_auth_key(contract_number)
    if key_record is None:
        raise NotFound("書面交付の保証のため、認証キーはありません。", code="auth_key_not_available")
    return latest, key_record


def _key_answer(latest: CertificateVersion, plain: str, generation: int, key_issued_at: datetime | None
                ) -> dict[str, Any]:
    """The key for display and a link to a key notice made for exactly this key (a reissued key's notice says
    so, with the day; the screen shows the owner's 契約窓口 and how to submit)."""
    display = format_auth_key(plain)
    reissued_on = key_issued_at.astimezone(JST).date() if generation > 1 and key_issued_at else None
    obligee = party_store.get_obligee(latest.obligee_id)
    url = documents.key_notice_link(latest, obligee, display, generation, reissued_on)
    return presenters.auth_key(latest, display, generation, url, obligee, reissued_on)


def show_auth_key(principal: Principal, contract_number: str, request_id: str) -> dict[str, Any]:
    latest, key_record = _own_key(principal, contract_number)
    plain = key_material.decrypt_auth_key(contract_number, key_record.encrypted_key)
    audit.record(contract_number, "key_shown", principal, request_id, detail={"generation": key_record.generation})
    return _key_answer(latest, plain, key_record.generation, key_record.issued_at)


def _withdraw_key_notices(contract_number: str) -> None:
    """Remove the notices of the old key. The new key is committed by now and the old one no longer verifies,
    so a notice S3 would not delete is logged (its object keys name no key) rather than failing the request:
    a retry would reissue yet another key. The bucket's lifecycle removes it within a day."""
    left = files.delete_prefix(files.key_notice_prefix(contract_number))
    if left:
        logger.error("old key notices not deleted: %d object(s)", len(left),
                     extra=log_context(contract_number=contract_number, operation="key_notices_withdraw"))


@dataclass(frozen=True)
class SealedKey:
    """A new 認証キー as it is kept: its digest under the current app-secret version, and its KMS ciphertext
    (for re-display). `plain` is only ever answered to the contractor."""

    plain: str
    digest: str
    secret_version: str
    encrypted: bytes


def seal_new_key(contract_number: str) -> SealedKey:
    plain = generate_auth_key()
    secret_version, secret = key_material.current_auth_key_secret()
    return SealedKey(plain, auth_key_digest(secret, contract_number, plain), secret_version,
                     key_material.encrypt_auth_key(contract_number, plain))


def reissue_auth_key(principal: Principal, contract_number: str, request_id: str) -> dict[str, Any]:
    """A new key; the old one stops working at once, and notices made for it are removed."""
    latest, key_record = _own_key(principal, contract_number)
    generation = key_record.generation + 1
    event = audit.event(contract_number, "key_reissued", principal, request_id, detail={"generation": generation})
    now = utc_now()
    hooks = webhooks.owner_notices(latest, WebhookEvent.KEY_REISSUED, {"generation": generation}, now,
                                   owner_verified=webhooks.owner_verified(latest))
    key = seal_new_key(contract_number)
    try:
        auth_key_store.replace_key(key_record, key.digest, key.encrypted, event, now, hooks,
                                   secret_version=key.secret_version)
    except auth_key_store.KeyChanged:
        raise Conflict("認証キーは同時に行われた別の操作で再発行されました。認証キーの画面を開き直してください。",
                       code="auth_key_conflict") from None
    outbox.hand_off(hooks)
    _withdraw_key_notices(contract_number)
    return _key_answer(latest, key.plain, generation, now)
