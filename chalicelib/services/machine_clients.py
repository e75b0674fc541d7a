"""Owners' systems as machine clients (docs/ARCHITECTURE.md, machine clients).

The surety registers a Cognito app client for one owner (client credentials, scopes of the pool's
resource server); the owner's system gets access tokens from the pool's token endpoint and calls the
verification routes with them. Each token is verified as carefully as an ID token (adapters.identity)
and mapped to its owner here; the machine then is that owner's account for throttling and audit
(actor `client:<client id>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import identity
from chalicelib.domain.clock import utc_now
from chalicelib.domain.limits import MACHINE_CLIENT_NAME_MAX, MAX_MACHINE_CLIENTS
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.records import MachineClientEntry
from chalicelib.domain.validation import BodyCheck, Invalid, required_text
from chalicelib.errors import Conflict, Forbidden, NotFound, Unauthorized
from chalicelib.services import audit, presenters
from chalicelib.store import machine_clients as client_store
from chalicelib.store import parties as party_store


def _scopes(label: str, value: object) -> list[str]:
    if (not isinstance(value, list) or not value or len(set(value)) != len(value)
            or not all(isinstance(s, str) and s in identity.MACHINE_SCOPES for s in value)):
        raise Invalid(f"{label}は {', '.join(identity.MACHINE_SCOPES)} から選んでください")
    return list(value)


def _parse(body: Mapping[str, Any]) -> tuple[str, list[str]]:
    check = BodyCheck(body, ("name", "scopes"))
    name = check.field("name", required_text, "クライアント名(name)", MACHINE_CLIENT_NAME_MAX)
    scopes = check.field("scopes", _scopes, "権限(scopes)")
    check.done()
    assert name is not None and scopes is not None
    return name, scopes


def register(principal: Principal, obligee_id: str, body: Mapping[str, Any], request_id: str) -> dict[str, Any]:
    """A new client for the owner; its secret is answered once (Cognito keeps it, we never store it)."""
    name, scopes = _parse(body)
    if party_store.get_obligee(obligee_id) is None:
        raise NotFound("発注者が登録されていません。", code="obligee_not_found")
    if sum(1 for c in client_store.of_obligee(obligee_id) if c.revoked_at is None) >= MAX_MACHINE_CLIENTS:
        raise Conflict(f"クライアントは発注者ごとに{MAX_MACHINE_CLIENTS}件まで登録できます。",
                       code="too_many_clients")
    client_id, secret = identity.create_machine_client(f"machine-{obligee_id}"[:128], scopes)
    entry = MachineClientEntry(client_id, obligee_id, name, tuple(scopes), utc_now(), principal.actor)
    client_store.create(entry)
    audit.record(audit.owner_trail(obligee_id), "machine_client_registered", principal, request_id,
                 detail={"client_id": client_id, "scopes": list(scopes)})
    return {**presenters.machine_client(entry), "client_secret": secret}


def list_clients(obligee_id: str) -> dict[str, Any]:
    return {"items": [presenters.machine_client(c) for c in client_store.of_obligee(obligee_id)]}


def revoke(principal: Principal, obligee_id: str, client_id: str, request_id: str) -> dict[str, Any]:
    """The client's tokens stop working at once (its mapping is revoked before Cognito forgets the client)."""
    if not client_store.revoke(client_id, obligee_id, utc_now()):
        raise NotFound("クライアントが見つかりません。", code="client_not_found")
    audit.record(audit.owner_trail(obligee_id), "machine_client_revoked", principal, request_id,
                 detail={"client_id": client_id})
    identity.delete_machine_client(client_id)
    entry = client_store.get(client_id)
    assert entry is not None
    return presenters.machine_client(entry)


def machine_principal(token: identity.MachineToken, scope: str) -> Principal:
    """The owner a verified access token acts for, if its client is registered, live and granted `scope`."""
    entry = client_store.get(token.client_id)
    if entry is None or entry.revoked_at is not None:
        raise Unauthorized()
    identity.require_scope(token, scope)
    if scope not in entry.scopes:
        raise Forbidden(f"このクライアントには権限 {scope} がありません。", code="insufficient_scope")
    return Principal(username=f"client:{entry.client_id}", role=Role.OBLIGEE, org_id=entry.obligee_id)
