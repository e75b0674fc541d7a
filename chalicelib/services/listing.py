"""保証工事一覧: one contractor's certificates, newest first, searchable; paged by a signed cursor (API) or
by page number (portal), with the same rules (docs/ARCHITECTURE.md, paging)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.limits import PORTAL_PER_PAGE
from chalicelib.domain.normalize import normalize_search_text, normalize_typed
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.records import CertificateVersion
from chalicelib.domain.validation import FieldError, ValidationFailed
from chalicelib.services.paging import PageRequest
from chalicelib.services.presenters import certificate_summary
from chalicelib.store import guarantees as guarantee_store
from chalicelib.store import parties as party_store

FIELDS = ("all", "contract_number", "obligee", "project_name")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message)], message)


@dataclass(frozen=True)
class Search:
    """Whose list, and what is searched for in it (`field` "all" with no `q` when nothing is)."""

    contractor_id: str
    field: str
    q: str

    @classmethod
    def from_params(cls, principal: Principal, params: Mapping[str, str]) -> Search:
        if principal.role == Role.SURETY:
            contractor_id = (params.get("contractor_id") or "").strip()
            if not contractor_id:
                raise _invalid("contractor_id", "contractor_id(保証契約者)を指定してください。")
        else:
            contractor_id = principal.org_id or ""
        field = params.get("field") or "all"
        if field not in FIELDS:
            raise _invalid("field", ("field(検索項目)は全件(all)・保証契約番号(contract_number)・"
                                      "発注者(obligee)・工事名(project_name)のいずれかです。"))
        q = (params.get("q") or "").strip()
        if field == "all" or not q:
            return cls(contractor_id, "all", "")
        return cls(contractor_id, field, q)

    @property
    def scope(self) -> dict[str, Any]:
        return {"c": self.contractor_id, "f": self.field, "q": normalize_search_text(self.q)}

    def matcher(self) -> Callable[[CertificateVersion, str, str], bool]:
        if self.field == "contract_number":
            digits = normalize_typed(self.q)
            if not digits.isdigit():
                raise _invalid("q", "保証契約番号で検索する場合は数字を入力してください。")
            return lambda item, _project, _obligee: digits in item.contract_number
        needle = normalize_search_text(self.q)
        if self.field == "obligee":
            return lambda _item, _project, obligee: needle in obligee
        return lambda _item, project, _obligee: needle in project

    def matches(self) -> list[CertificateVersion]:
        """Every match in the contractor's own partition, newest first."""
        matches = self.matcher()
        return [item for item, project, obligee in guarantee_store.iter_contractor_certificates(self.contractor_id)
                if matches(item, project, obligee)]

    def total(self) -> int:
        contractor = party_store.get_contractor(self.contractor_id)
        return contractor.certificate_count if contractor else 0


def _position(item: CertificateVersion) -> dict[str, Any]:
    sort, number, version = guarantee_store.list_position(item)
    return {"sort": sort, "n": number, "v": version}


def list_certificates(principal: Principal, params: Mapping[str, str]) -> dict[str, Any]:
    """The API's list: `{total, items, next_cursor}`, newest first."""
    search = Search.from_params(principal, params)
    page = PageRequest.from_params(params, search.scope)
    after = page.after
    if search.field == "all":
        position = (after["sort"], after["n"], after["v"]) if after else None  # our own signed state
        found, has_more = guarantee_store.contractor_page(search.contractor_id, page.limit, position)
        total = search.total()
    else:
        matches = search.matches()
        total = len(matches)
        if after:
            matches = [item for item in matches if guarantee_store.list_position(item)[0] < after["sort"]]
        found, has_more = matches[:page.limit], len(matches) > page.limit
    return {"total": total, "items": [certificate_summary(i) for i in found],
            "next_cursor": page.next_cursor(found, has_more, _position)}


def certificate_page(principal: Principal, params: Mapping[str, str], page: int, per_page: int = PORTAL_PER_PAGE
                     ) -> dict[str, Any]:
    """The portal's list by page number (先頭 / 前 / 次 / 最後, 「N件中 a - b件」): `{total, items, page, pages,
    first, last}`; a page past the end shows the last page. Same search rules as the API's list."""
    search = Search.from_params(principal, params)
    matches = search.matches()  # one partition Query: a contractor's list is hundreds, not millions
    total = len(matches)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    shown = matches[start:start + per_page]
    return {
        "total": total,
        "items": [certificate_summary(i) for i in shown],
        "page": page,
        "pages": pages,
        "first": start + 1 if shown else 0,
        "last": start + len(shown),
    }
