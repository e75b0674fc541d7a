"""The registry's use cases: owners (発注者) and contractors (保証契約者), registered by surety staff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.config import get_settings
from chalicelib.domain.normalize import normalize_search_text
from chalicelib.domain.parties import parse_contractor, parse_obligee, parse_registry_id
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.records import Contractor, Obligee
from chalicelib.errors import NotFound
from chalicelib.services import audit
from chalicelib.store import parties as party_store


def obligee_json(item: Obligee) -> dict[str, Any]:
    return {
        "obligee_id": item.obligee_id,
        "name": item.name,
        "e_guarantee_start_date": item.e_guarantee_start_date.isoformat() if item.e_guarantee_start_date else None,
        "eligible_work_categories": [c.value for c in item.eligible_work_categories],
        # One method as a string (as registered before an owner could accept both), else the list.
        "submission_method": (item.submission_methods[0].value if len(item.submission_methods) == 1
                              else [m.value for m in item.submission_methods]),
        "submission_methods": [m.value for m in item.submission_methods],
        "contact_email": item.contact_email,
        "ratio_rules": item.ratio_rules,
    }


def contractor_json(item: Contractor) -> dict[str, Any]:
    return {"contractor_id": item.contractor_id, "name": item.name, "address": item.address, "email": item.email}


def register_obligee(raw_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """PUT semantics: (the owner as stored, whether it is new)."""
    obligee = parse_obligee(parse_registry_id("obligee_id", raw_id), body)
    created = party_store.save_obligee(obligee)
    return obligee_json(obligee), created


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
    return contractor_json(contractor), created


def list_contractors(q: str = "") -> list[dict[str, Any]]:
    """Contractors with their number of certificates (the surety's console), by id; with `q`, those whose id
    or name contains it (normalised as every search of the service is)."""
    needle = normalize_search_text(q)
    return [{**contractor_json(c), "certificate_count": c.certificate_count} for c in party_store.list_contractors()
            if needle in normalize_search_text(f"{c.contractor_id} {c.name}")]


def contractor(contractor_id: str) -> dict[str, Any] | None:
    """One contractor with its number of certificates, or None."""
    found = party_store.get_contractor(contractor_id)
    return None if found is None else {**contractor_json(found), "certificate_count": found.certificate_count}


def organisation_name(principal: Principal) -> str:
    """The name a person's organisation goes by (the portal's 「○○ 様」)."""
    if principal.role == Role.SURETY:
        return get_settings().surety.name
    if principal.role == Role.CONTRACTOR:
        contractor = party_store.get_contractor(principal.org_id or "")
        return contractor.name if contractor else principal.username
    obligee = party_store.get_obligee(principal.org_id or "")
    return obligee.name if obligee else principal.username
