"""保証工事一覧 and every certificate search: the API's `GET /v1/certificates` (JSON or CSV), the contractor's list on
the portal and the surety's console read through these functions, with the same rules (docs/ARCHITECTURE.md,
search and lists).

A page costs one page: the driver's index read from a signed position (先頭 / 前 / 次 / 最後, keyset both ways);
the list's total is the contractor's counter, a search's is counted on its first page and carried by its cursors.
Across contractors (surety staff without `contractor_id`) there is no total and no 最後: counting would read every
match.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.clock import japan_today
from chalicelib.domain.limits import CSV_INLINE_MAX_BYTES, MAX_CSV_ROWS, MAX_MONTHS_PER_PAGE
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.search import (
    CertificateRow,
    OutputFormat,
    PageWindow,
    SearchCriteria,
    SearchPlan,
    csv_content_disposition,
    csv_document,
    csv_too_large_message,
    parse_search,
)
from chalicelib.domain.validation import FieldError, ValidationFailed, is_identifier
from chalicelib.errors import Unprocessable
from chalicelib.logs import log_context
from chalicelib.services.paging import Cursor, Direction, parse_limit
from chalicelib.services.presenters import certificate_row
from chalicelib.store import parties as party_store
from chalicelib.store import search as search_store
from chalicelib.store.search import Position, Where

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Search:
    """One search as asked: whose certificates (None: every contractor's, surety staff), what, and its plan."""

    contractor_id: str | None
    criteria: SearchCriteria
    plan: SearchPlan

    @classmethod
    def of(cls, principal: Principal, params: Mapping[str, str]) -> Search:
        """A contractor searches its own certificates whatever it sends; surety staff name one contractor, or
        search across contractors with a condition that has an index of its own (the plan refuses others)."""
        criteria = parse_search(params)
        contractor_id: str | None = principal.org_id or ""
        if principal.role == Role.SURETY:
            contractor_id = (params.get("contractor_id") or "").strip() or None
            if contractor_id is not None and not is_identifier(contractor_id):
                message = "保証契約者ID(contractor_id)は半角英数字・ハイフン・アンダースコアで指定してください"
                raise ValidationFailed([FieldError("contractor_id", message)], message)
        return cls(contractor_id, criteria, criteria.plan(across_contractors=contractor_id is None))

    @property
    def across(self) -> bool:
        return self.contractor_id is None

    def where(self) -> Where:
        return Where(self.contractor_id, japan_today())

    def scope(self) -> dict[str, str]:
        """What a cursor is bound to: whose list and which search (its canonical form, digested: cursors travel in
        links, and the search is in the link already)."""
        canonical = json.dumps(self.criteria.scope(), sort_keys=True, ensure_ascii=False).encode()
        return {"c": self.contractor_id or "*", "s": hashlib.sha256(canonical).hexdigest()[:16]}

    def counter_total(self) -> int | None:
        """The list's total: the contractor's counter (kept by every issue), read on every page, so it is fresh."""
        if not self.plan.counted_by_counter or self.contractor_id is None:
            return None
        contractor = party_store.get_contractor(self.contractor_id)
        return contractor.certificate_count if contractor else 0


@dataclass(frozen=True)
class CertificatePage:
    """One page of a list or a search: its rows, the offset of the first (「N件中 a - b件」; a is offset + 1), the
    total (None across contractors), the order, and the cursors of 次 / 前 / 最後 (None where there is nowhere to go;
    先頭 is the search without a cursor)."""

    rows: list[CertificateRow]
    offset: int
    total: int | None
    order: str
    next_cursor: str | None
    prev_cursor: str | None
    last_cursor: str | None
    across: bool = False  # every contractor's (the rows say whose)

    def items(self) -> list[dict[str, Any]]:
        return [certificate_row(r, with_contractor=self.across) for r in self.rows]

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.offset + len(self.rows)


def certificate_page(principal: Principal, params: Mapping[str, str]) -> CertificatePage:
    """The page `cursor` names (the first without one) of the caller's search, `limit` rows."""
    search = Search.of(principal, params)
    limit = parse_limit(params.get("limit"))
    raw = params.get("cursor")
    cursor = Cursor.decode(raw, search.scope()) if raw else None
    return _page(search, limit, cursor)


def _position(cursor: Cursor) -> Position | None:
    return None if cursor.position is None else Position(*cursor.position)


def _page(search: Search, limit: int, cursor: Cursor | None) -> CertificatePage:
    plan, where = search.plan, search.where()
    counter = search.counter_total()
    total = counter if counter is not None else (cursor.total if cursor else None)
    if cursor is None:  # 先頭: a search counts its matches here, in the same pass as the page
        found = search_store.read_page(plan, where, limit=limit, count=counter is None and not search.across,
                                       months=MAX_MONTHS_PER_PAGE)
        rows, offset, before, after = found.rows, 0, False, found.more
        total = counter if counter is not None else found.total
    elif cursor.direction is Direction.LAST:  # 最後: backwards from the end, what the full pages leave
        window = PageWindow.last_page(total or 0, limit)
        found = search_store.read_page(plan, where, limit=window.size, ascending=True)
        rows, offset, before, after = found.rows[::-1], window.offset, found.more, False
    else:  # 次 (after a row) or 前 (before a row: read backwards, shown in order)
        backwards = cursor.direction is Direction.BEFORE
        position = _position(cursor)
        # Reached from a page that read only empty months (across contractors): the row it came from is on this page.
        boundary = search_store.row_at(position) if cursor.inclusive and position is not None else None
        size = limit - 1 if boundary is not None else limit
        found = search_store.read_page(plan, where, limit=size, start=position, ascending=backwards,
                                       month=cursor.month, months=MAX_MONTHS_PER_PAGE)
        if backwards and not found.more and len(found.rows) < size:
            # The top, but not a full page (rows moved meanwhile, e.g. an amendment re-sorted one): 先頭 itself.
            return _page(search, limit, None)
        edge = [boundary] if boundary is not None else []
        rows = found.rows[::-1] + edge if backwards else edge + found.rows
        before, after = (found.more, True) if backwards else (True, found.more)
        offset = (max(0, cursor.offset - len(rows)) if before else 0) if backwards else cursor.offset
    scope = search.scope()
    back_resume = found.resume_month if cursor is not None and cursor.direction is Direction.BEFORE else None
    ahead_resume = found.resume_month if back_resume is None else None
    return CertificatePage(
        rows=rows, offset=offset, total=total, order=plan.order,
        next_cursor=_link(Direction.AFTER, plan, rows[-1] if rows else None, offset + len(rows), total,
                          ahead_resume, cursor, scope) if after else None,
        prev_cursor=_link(Direction.BEFORE, plan, rows[0] if rows else None, offset, total, back_resume, cursor,
                          scope) if before else None,
        last_cursor=Cursor(Direction.LAST, None, 0, total).encode(scope) if after and total is not None else None,
        across=search.across,
    )


def _link(direction: Direction, plan: SearchPlan, row: CertificateRow | None, offset: int, total: int | None,
          resume_month: str | None, came_from: Cursor | None, scope: dict[str, str]) -> str | None:
    """The cursor of 次 (AFTER the page's last row) or 前 (BEFORE its first row). Across contractors by month a read
    that ran out of months says which month to go on from; a page with no row at all (only empty months) leads back
    to the row it was reached from, that row included."""
    position = _key(plan, row) if row is not None else came_from.position if came_from else None
    if resume_month is not None:
        return Cursor(direction, position, offset, total, resume_month).encode(scope)
    if row is not None:
        return Cursor(direction, position, offset, total).encode(scope)
    if came_from is not None and position is not None and came_from.direction is not direction:
        return Cursor(direction, position, offset, total, inclusive=True).encode(scope)
    return None


def _key(plan: SearchPlan, row: CertificateRow) -> tuple[str, str, int]:
    p = search_store.position_of(plan, row)
    return p.sort, p.contract_number, p.version


def certificate_list(page: CertificatePage) -> dict[str, Any]:
    """The API's answer: `{total, items, next_cursor}` as before, with `prev_cursor`, `last_cursor`, `offset` and
    `order` (the driving index's order)."""
    return {
        "total": page.total,
        "items": page.items(),
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
        "last_cursor": page.last_cursor,
        "offset": page.offset,
        "order": page.order,
    }


def list_certificates(principal: Principal, params: Mapping[str, str], request_id: str = ""
                      ) -> dict[str, Any] | CsvFile:
    """`GET /v1/certificates`: a page of JSON, or with `format=csv` every match as a CSV file."""
    if parse_search(params).output is OutputFormat.CSV:
        return export_csv(principal, params, request_id)
    return certificate_list(certificate_page(principal, params))


# --- CSV ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CsvFile:
    """A search as CSV: its bytes when small enough to answer inline, else a short-lived link to the same bytes in
    S3 (never logged); the Content-Disposition either way."""

    disposition: str
    rows: int
    body: bytes | None = None
    url: str | None = None


def export_csv(principal: Principal, params: Mapping[str, str], request_id: str, *,
               inline_max: int | None = None) -> CsvFile:
    """Every match of the caller's search, one row each, in the driver's order: UTF-8 with BOM, a Japanese header
    (domain/search.csv_lines). Past MAX_CSV_ROWS a 422 says how many and to narrow the search; past `inline_max`
    bytes (CSV_INLINE_MAX_BYTES: API Gateway answers at most 6 MB) the file goes to S3 behind a presigned link."""
    from chalicelib.adapters import files

    search = Search.of(principal, params)
    counter = search.counter_total()
    if counter is not None and counter > MAX_CSV_ROWS:
        raise _too_large(counter)
    found = search_store.read_all(search.plan, search.where(), at_most=MAX_CSV_ROWS)
    if found.more:
        raise _too_large(found.total)
    body = csv_document(found.rows, with_contractor=search.across)
    disposition = csv_content_disposition(japan_today())
    limit = CSV_INLINE_MAX_BYTES if inline_max is None else inline_max
    inline = len(body) <= limit
    logger.info("certificates csv", extra=log_context(request_id=request_id, operation="certificates_csv",
                                                       count=len(found.rows), outcome="inline" if inline else "s3"))
    if inline:
        return CsvFile(disposition, len(found.rows), body=body)
    filename = f"certificates-{japan_today().strftime('%Y%m%d')}.csv"
    return CsvFile(disposition, len(found.rows), url=files.presign(files.put_export(body, filename, disposition)))


def _too_large(count: int | None) -> Unprocessable:
    message = csv_too_large_message(count)
    return Unprocessable(message, code="csv_too_large", errors=[{"field": "format", "message": message}])
