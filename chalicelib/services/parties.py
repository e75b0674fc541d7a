"""The registry's use cases: owners (発注者) and contractors (保証契約者), registered by surety staff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.config import get_settings
from chalicelib.domain.normalize import normalize_search_text
from chalicelib.domain.parties import parse_contractor, parse_obligee, parse_registry_id
from chalicelib.domain.principal import Principal, Role
from chalicelib.errors import NotFound
from chalicelib.services import audit, presenters
from chalicelib.store import parties as party_store


def register_obligee(raw_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """PUT semantics: (the owner as stored, whether it is new)."""
    obligee = parse_obligee(parse_registry_id("obligee_id", raw_id), body)
    created = party_store.save_obligee(obligee)
    return presenters.obligee(obligee), created


def obligee_events(raw_id: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The trail of an owner's integration settings (webhook endpoints, machine clients), newest first."""
    obligee_id = parse_registry_id("obligee_id", raw_id)
    events = audit.list_events(audit.owner_trail(obligee_id), params)  # bad paging is a 400 before a 404
    if party_store.get_obligee(obligee_id) is None:
        raise NotFound("発注者が登録されていません。", code="obligee_not_found")
    return events


def register_contractor(raw_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """PUT semantics: (the contractor as stored, whether it is new); its certificate count is kept."""
    contractor, created = party_store.save_contractor(parse_contractor(parse_registry_id("contractor_id", raw_id),
                                                                       body))
    return presenters.contractor(contractor), created


def list_contractors(q: str = "") -> list[dict[str, Any]]:
    """Contractors with their number of certificates (the surety's console), by id; with `q`, those whose id
    or name contains it (normalised as every search of the service is)."""
    needle = normalize_search_text(q)
    return [presenters.contractor(c, with_count=True) for c in party_store.list_contractors()
            if needle in normalize_search_text(f"{c.contractor_id} {c.name}")]


def contractor(contractor_id: str) -> dict[str, Any] | None:
    """One contractor with its number of certificates, or None."""
    found = party_store.get_contractor(contractor_id)
    return None if found is None else presenters.contractor(found, with_count=True)


def organisation_name(principal: Principal) -> str:
    """The name a person's organisation goes by (the portal's 「○○ 様」)."""
    if principal.role == Role.SURETY:
        return get_settings().surety.name
    if principal.role == Role.CONTRACTOR:
        contractor = party_store.get_contractor(principal.org_id or "")
        return contractor.name if contractor else principal.username
    obligee = party_store.get_obligee(principal.org_id or "")
    return obligee.name if obligee else principal.username
