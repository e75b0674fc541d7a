"""保証工事一覧: one contractor's certificates, newest first, searchable, paged by a signed cursor."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from chalicelib.domain.normalize import normalize_search_text, normalize_typed
from chalicelib.domain.principal import Principal
from chalicelib.errors import BadRequest
from chalicelib.services.paging import decode_cursor, encode_cursor
from chalicelib.services.presenters import certificate_summary
from chalicelib.store import guarantees as store
from chalicelib.store.models import GuaranteeVersion

FIELDS = ("all", "contract_number", "obligee", "project_name")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _bad(field: str, message: str, code: str = "validation_error") -> BadRequest:
    return BadRequest(message, code=code, errors=[{"field": field, "message": message}])


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    # NFKC (full-width digits) but not normalize_typed, which drops hyphens: "-1" is not 1.
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise _bad("limit", f"limit(表示件数)は1から{MAX_LIMIT}までの整数で指定してください。")
    return int(text)


def _matcher(field: str, q: str) -> Any:
    if field == "contract_number":
        digits = normalize_typed(q)
        if not digits.isdigit():
            raise _bad("q", "保証契約番号で検索する場合は数字を入力してください。")
        return lambda item: digits in item.contract_number
    needle = normalize_search_text(q)
    if field == "obligee":
        return lambda item: needle in item.search_obligee
    return lambda item: needle in item.search_project


def list_certificates(principal: Principal, params: Mapping[str, str]) -> dict[str, Any]:
    if principal.role == "surety":
        contractor_id = (params.get("contractor_id") or "").strip()
        if not contractor_id:
            raise _bad("contractor_id", "contractor_id(保証契約者)を指定してください。")
    else:
        contractor_id = principal.org_id or ""
    field = params.get("field") or "all"
    if field not in FIELDS:
        raise _bad("field", "field(検索項目)は all, contract_number, obligee, project_name のいずれかです。")
    q = (params.get("q") or "").strip()
    if field == "all" or not q:
        field, q = "all", ""
    limit = parse_limit(params.get("limit"))
    scope = {"c": contractor_id, "f": field, "q": normalize_search_text(q)}
    state = decode_cursor(params["cursor"], scope) if params.get("cursor") else None

    if field == "all":
        start_key = None
        if state:
            start_key = {
                "latest_contractor_id": {"S": contractor_id},
                "latest_sort": {"S": state["sort"]},
                "contract_number": {"S": state["n"]},
                "version": {"N": str(state["v"])},
            }
        page, has_more = store.query_contractor_page(contractor_id, limit, start_key)
        contractor = store.get_contractor(contractor_id)
        total = int(contractor.certificate_count) if contractor else 0
    else:
        matches = _matcher(field, q)
        found = [item for item in store.iter_contractor_certificates(contractor_id) if matches(item)]
        total = len(found)
        if state:
            found = [item for item in found if item.latest_sort < state["sort"]]
        page, has_more = found[:limit], len(found) > limit

    next_cursor = None
    if has_more and page:
        last: GuaranteeVersion = page[-1]
        next_cursor = encode_cursor({**scope, "sort": last.latest_sort, "n": last.contract_number, "v": last.version})
    return {"total": total, "items": [certificate_summary(i) for i in page], "next_cursor": next_cursor}
