"""Owners' webhooks (docs/ARCHITECTURE.md, webhooks): endpoints, the events a change owes them, deliveries.

An owner's system is told of changes to certificates the owner verified: a new version, a changed
保証期間/完成期日 without a new certificate, a cancellation, a reissued 認証キー (never the key itself). The
deliveries are outbox notices, written in the change's transaction and delivered by the outbox's consumer.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from chalicelib.adapters import key_material
from chalicelib.config import get_settings
from chalicelib.domain.clock import utc_now
from chalicelib.domain.limits import MAX_WEBHOOK_ENDPOINTS, WEBHOOK_URL_MAX
from chalicelib.domain.outbox import NoticeKind, WebhookEvent
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import CertificateVersion, Notice, WebhookEndpoint
from chalicelib.domain.validation import BodyCheck, Invalid, required_text
from chalicelib.errors import Conflict, NotFound
from chalicelib.services import audit, outbox, presenters
from chalicelib.services.paging import PageRequest
from chalicelib.store import outbox as outbox_store
from chalicelib.store import verifications as verification_store
from chalicelib.store import webhooks as webhook_store


def _safe_url(label: str, value: object) -> str:
    """A receiver's URL that may be called (adapters.webhook_http: https, a public address)."""
    from chalicelib.adapters.webhook_http import UnsafeDestination, resolve

    url = required_text(label, value, WEBHOOK_URL_MAX)
    try:
        resolve(url, get_settings().webhooks_allow_loopback)
    except UnsafeDestination as exc:
        raise Invalid(f"{label}: {exc}") from None
    return url


def _checked_url(body: Mapping[str, Any]) -> str:
    check = BodyCheck(body, ("url",))
    url = check.field("url", _safe_url, "通知先URL(url)")
    check.done()
    assert url is not None
    return url


def register(principal: Principal, body: Mapping[str, Any], request_id: str) -> dict[str, Any]:
    """A new endpoint; its signing secret is answered once and kept only under KMS."""
    obligee_id = principal.org_id or ""
    url = _checked_url(body)
    if sum(1 for e in webhook_store.of_owner(obligee_id) if e.revoked_at is None) >= MAX_WEBHOOK_ENDPOINTS:
        raise Conflict(f"通知先は{MAX_WEBHOOK_ENDPOINTS}件まで登録できます。不要な通知先を削除してください。",
                       code="too_many_endpoints")
    endpoint_id = uuid.uuid4().hex
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(obligee_id, endpoint_id, url, key_material.encrypt_webhook_secret(endpoint_id, secret),
                               utc_now(), principal.actor)
    webhook_store.create(endpoint)
    # The host only: a URL's path or query may carry the receiver's own credentials.
    _audit(principal, "webhook_endpoint_registered", request_id,
           {"endpoint_id": endpoint_id, "host": urlsplit(url).hostname})
    return {**presenters.webhook_endpoint(endpoint), "secret": secret}


def _audit(principal: Principal, event_type: str, request_id: str, detail: dict[str, Any]) -> None:
    audit.record(audit.owner_trail(principal.org_id or ""), event_type, principal, request_id, detail=detail)


def list_endpoints(principal: Principal) -> dict[str, Any]:
    return {"items": [presenters.webhook_endpoint(e) for e in webhook_store.of_owner(principal.org_id or "")]}


def _own_endpoint(principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    endpoint = webhook_store.get(principal.org_id or "", endpoint_id)
    if endpoint is None:
        raise NotFound("通知先が見つかりません。", code="endpoint_not_found")
    return endpoint


def revoke(principal: Principal, endpoint_id: str, request_id: str) -> dict[str, Any]:
    """No delivery is attempted to a revoked endpoint (those owed are parked at their next attempt)."""
    _own_endpoint(principal, endpoint_id)
    if webhook_store.revoke(principal.org_id or "", endpoint_id, utc_now()):  # not again for a revoked one
        _audit(principal, "webhook_endpoint_revoked", request_id, {"endpoint_id": endpoint_id})
    return presenters.webhook_endpoint(_own_endpoint(principal, endpoint_id))


def deliveries(principal: Principal, endpoint_id: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The endpoint's deliveries, newest first, with their status (sent, pending, sending, parked)."""
    page = PageRequest.from_params(params, {"e": endpoint_id, "f": "deliveries"})
    _own_endpoint(principal, endpoint_id)
    found, has_more = outbox_store.page_of_endpoint(endpoint_id, page.limit,
                                                    page.after["sort"] if page.after else None)
    return {"items": [presenters.delivery(n) for n, _ in found],
            "next_cursor": page.next_cursor(found, has_more, lambda pair: {"sort": pair[1]})}


def replay(principal: Principal, endpoint_id: str, delivery_id: str, request_id: str) -> dict[str, Any]:
    """A parked delivery is tried again now (with a fresh 24 h of retries)."""
    endpoint = _own_endpoint(principal, endpoint_id)
    if endpoint.revoked_at is not None:
        raise Conflict("削除された通知先には再送できません。", code="endpoint_revoked")
    if not outbox_store.replay(delivery_id, endpoint_id, utc_now()):
        found = outbox_store.get(delivery_id)
        if found is None or found.endpoint_id != endpoint_id:
            raise NotFound("配信が見つかりません。", code="delivery_not_found")
        raise Conflict("再送できるのは配信を中止した(parked)配信だけです。", code="delivery_not_parked")
    notice = outbox_store.get(delivery_id)
    assert notice is not None
    _audit(principal, "webhook_delivery_replayed", request_id, {"endpoint_id": endpoint_id, "delivery_id": delivery_id})
    outbox.hand_off([notice])
    return presenters.delivery(notice)


def owner_verified(item: CertificateVersion) -> bool:
    """Whether the owner the guarantee is addressed to has verified it (only then is it told of changes)."""
    return verification_store.get(item.obligee_id, item.contract_number) is not None


def owner_notices(item: CertificateVersion, event: WebhookEvent, data: dict[str, Any], now: datetime, *,
                  owner_verified: bool) -> tuple[Notice, ...]:
    """The deliveries a change of `item` owes its owner's live endpoints, if the owner verified it (the caller
    has read that once, with whatever else the change tells the owner)."""
    if not owner_verified:
        return ()
    notices = []
    for endpoint in webhook_store.of_owner(item.obligee_id):
        if endpoint.revoked_at is not None:
            continue
        notice_id = outbox.new_id()
        payload = presenters.webhook_event(notice_id, event, now, item.contract_number, data)
        notices.append(Notice(notice_id, NoticeKind.WEBHOOK, payload, now, obligee_id=item.obligee_id,
                              endpoint_id=endpoint.endpoint_id))
    return tuple(notices)
