"""The audit trail: one shape of event for every service, and its listing for surety staff
(docs/ARCHITECTURE.md, audit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.clock import utc_now
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import AuditEntry
from chalicelib.services import presenters
from chalicelib.services.paging import PageRequest
from chalicelib.store import audit as audit_store


def event(contract_number: str, event_type: str, principal: Principal, request_id: str, *,
          result: str = "ok", detail: dict[str, Any] | None = None) -> AuditEntry:
    """An event to commit with the change it records. `detail` never holds a key, token or URL."""
    return AuditEntry(contract_number=contract_number, type=event_type, at=utc_now(), actor=principal.actor,
                      role=principal.role, org_id=principal.org_id, request_id=request_id, result=result,
                      detail=detail)


def record(contract_number: str, event_type: str, principal: Principal, request_id: str, *,
           result: str = "ok", detail: dict[str, Any] | None = None) -> None:
    """Write an event on its own (a read, a refusal: nothing else commits with it)."""
    audit_store.append(event(contract_number, event_type, principal, request_id, result=result, detail=detail))


def owner_trail(obligee_id: str) -> str:
    """The trail of an owner's integration settings (webhook endpoints, machine clients), kept beside the
    guarantees' trails in the same table: its key can never be a 保証契約番号 (docs/ARCHITECTURE.md, data)."""
    return f"obligee:{obligee_id}"


def list_events(contract_number: str, params: Mapping[str, str]) -> dict[str, Any]:
    """A trail, newest first: a guarantee's (its 保証契約番号) or an owner's (`owner_trail`)."""
    page = PageRequest.from_params(params, {"c": contract_number, "f": "events"})
    found, has_more = audit_store.page(contract_number, page.limit, page.after["sort"] if page.after else None)
    return {"items": [presenters.audit_event(e) for e, _ in found],
            "next_cursor": page.next_cursor(found, has_more, lambda pair: {"sort": pair[1]})}
