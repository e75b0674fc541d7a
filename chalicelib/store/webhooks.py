"""Owners' webhook endpoints (docs/ARCHITECTURE.md, webhooks): one partition per owner."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.records import WebhookEndpoint
from chalicelib.store.connection import get_or_none, update_if
from chalicelib.store.models import WebhookEndpointItem


def _record(item: WebhookEndpointItem) -> WebhookEndpoint:
    return WebhookEndpoint(obligee_id=item.obligee_id, endpoint_id=item.endpoint_id, url=item.url,
                           encrypted_secret=item.encrypted_secret, created_at=item.created_at,
                           created_by=item.created_by, revoked_at=item.revoked_at)


def create(endpoint: WebhookEndpoint) -> None:
    WebhookEndpointItem(
        endpoint.obligee_id, endpoint.endpoint_id, url=endpoint.url, encrypted_secret=endpoint.encrypted_secret,
        created_at=endpoint.created_at, created_by=endpoint.created_by,
    ).save(condition=WebhookEndpointItem.endpoint_id.does_not_exist())


def of_owner(obligee_id: str) -> list[WebhookEndpoint]:
    return [_record(i) for i in WebhookEndpointItem.query(obligee_id)]


def get(obligee_id: str, endpoint_id: str) -> WebhookEndpoint | None:
    item = get_or_none(WebhookEndpointItem, obligee_id, endpoint_id)
    return None if item is None else _record(item)


def revoke(obligee_id: str, endpoint_id: str, now: datetime) -> bool:
    """False if there is no such live endpoint of this owner."""
    return update_if(WebhookEndpointItem(obligee_id, endpoint_id), [WebhookEndpointItem.revoked_at.set(now)],
                     WebhookEndpointItem.endpoint_id.exists() & WebhookEndpointItem.revoked_at.does_not_exist()
                     ) is not None
