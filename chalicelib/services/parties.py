"""The registry's use cases: owners (発注者) and contractors (保証契約者), registered by surety staff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.config import get_settings
from chalicelib.domain.lookups import parse_contractor_lookup
from chalicelib.domain.parties import parse_contractor, parse_obligee, parse_registry_id
from chalicelib.domain.principal import Principal, Role
from chalicelib.errors import NotFound
from chalicelib.services import audit, presenters
from chalicelib.services.paging import PageRequest
from chalicelib.store import parties as party_store


def register_obligee(raw_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """PUT semantics: (the owner as stored, whether it is new)."""
    obligee = parse_obligee(parse_registry_id("obligee_id", raw_id), body)
    created = party_store.save_obligee(obligee)
    return presenters.obligee(obligee), created


def read_obligee(raw_id: str) -> dict[str, Any]:
    """An owner as registered, with the amount rules that apply to it by kind of work."""
    found = party_store.get_obligee(parse_registry_id("obligee_id", raw_id))
    if found is None:
        raise NotFound("発注者が登録されていません。", code="obligee_not_found")
    return presenters.obligee(found)


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


def find_contractors(q: str, params: Mapping[str, str], per_page: int) -> dict[str, Any]:
    """The console's contractor lookup (docs/ARCHITECTURE.md, the contractor lookup): a page of contractors in name
    order whose name, without 法人格, begins with `q` (all of them for an empty `q`), after `params["cursor"]`; on
    the first page, the contractor whose id `q` is comes first. `{"items", "next_cursor"}` (each with its number
    of certificates)."""
    lookup = parse_contractor_lookup(q)
    page = PageRequest.from_params({"limit": str(per_page), "cursor": params.get("cursor") or ""},
                                   {"f": "contractors", **(lookup.scope() if lookup else {})})
    found, has_more = party_store.contractors_by_name(lookup.name_prefix if lookup else "", page.limit,
                                                      page.after["sort"] if page.after else None)
    items = [presenters.contractor_entry(c) for c in found]
    if lookup is not None and lookup.contractor_id is not None and page.after is None:
        by_id = party_store.get_contractor(lookup.contractor_id)
        if by_id is not None:
            items = [presenters.contractor(by_id, with_count=True)] + [
                i for i in items if i["contractor_id"] != by_id.contractor_id]
    return {"items": items,
            "next_cursor": page.next_cursor(found, has_more, lambda c: {"sort": party_store.name_position(c)})}


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
