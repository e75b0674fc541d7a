"""Reading certificates through the search indexes (docs/ARCHITECTURE.md, search and lists): one page of the
driving index from a position, either way; the count of a search's matches; every match for a CSV.

`domain/search.SearchCriteria.plan` names the driver; here it becomes an index, a key condition (the driver's
range) and a filter (every other condition). A search therefore reads what its driver matches, never a history.
Each index is sparse (only latest versions carry its keys, `store/guarantees.search_keys`), and every sort key ends
in the 保証契約番号, so a position (sort key, number, version) is unique and a page starts exactly past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import Index

from chalicelib.domain.records import GuaranteeStatus
from chalicelib.domain.search import (
    CertificateRow,
    DateRange,
    Driver,
    Range,
    SearchKey,
    SearchPlan,
    TextField,
)
from chalicelib.domain.types import Delivery, GuaranteeType
from chalicelib.store.connection import KeysetRead, get_in_order, read_keyset
from chalicelib.store.guarantees import amount_sort, date_sort
from chalicelib.store.models import GuaranteeVersion

# Entries DynamoDB evaluates per call when a filter may drop some (Limit counts before the filter): a page of 20
# that its filter thins still comes back in a call or two, and an unfiltered page reads exactly page + 1.
FILTERED_PAGE_READ = 100
# Past this many wanted items (a CSV) every call reads DynamoDB's 1 MB.
BULK_READ = 1000

G = GuaranteeVersion


@dataclass(frozen=True)
class Position:
    """Where a row stands in its driver's index: the index's sort key, then the item's own keys."""

    sort: str
    contract_number: str
    version: int


@dataclass(frozen=True)
class Where:
    """Whose certificates: one contractor's, or (None) every contractor's (surety staff). `today` (Japan) ends an
    open 証書発行日 range read month by month."""

    contractor_id: str | None
    today: date


@dataclass(frozen=True)
class Found:
    """At most the rows asked for, in the order read; whether matches lie beyond them in that direction; every match
    counted (where asked); across contractors by month, the month to go on from when a page's months ran out."""

    rows: list[CertificateRow]
    more: bool
    total: int | None = None
    resume_month: str | None = None


@dataclass(frozen=True)
class _Source:
    """Where a plan reads: an index and its partition, the name of its sort key, whether its entries carry a row's
    columns (else only keys: the page's rows come from the table), and where its matches are counted (an index with
    the same keys; the narrowest that can evaluate the filter)."""

    index: Any
    hash_key: str
    sort: str
    rows: bool
    count_on: Any


# --- keys and conditions --------------------------------------------------------------------------------------

def position_of(plan: SearchPlan, row: CertificateRow) -> Position:
    """A row's position in the index `plan` reads (the cursor of the page after or before it)."""
    sort = {
        Driver.CONTRACT_DATE: lambda: date_sort(row.contract_date, row.contract_number),
        Driver.GUARANTEE_AMOUNT: lambda: amount_sort(row.guarantee_amount, row.contract_number),
        Driver.CONTRACT_AMOUNT: lambda: amount_sort(row.contract_amount_total, row.contract_number),
    }.get(plan.driver, lambda: date_sort(row.issued_on, row.contract_number))()
    return Position(sort, row.contract_number, row.version)


def _sort_bounds(r: Range) -> tuple[str | None, str | None]:
    """An inclusive range as sort-key strings: the low end as a prefix, the high one past every "#{number}" of its
    value ('$' sorts after '#')."""
    def text(end: date | int) -> str:
        return f"{end:014d}" if isinstance(end, int) else end.isoformat()

    return (None if r.low is None else text(r.low)), (None if r.high is None else text(r.high) + "$")


def _key_condition(attribute: Attribute[Any], r: Range | None) -> Condition | None:
    if r is None:
        return None
    low, high = _sort_bounds(r)
    if low is not None and high is not None:
        return attribute.between(low, high)
    return attribute >= low if low is not None else attribute <= high


_VALUE_OF: dict[SearchKey, Any] = {SearchKey.ISSUED_ON: G.issued_on, SearchKey.CONTRACT_DATE: G.contract_date,
             SearchKey.GUARANTEE_AMOUNT: G.guarantee_amount, SearchKey.CONTRACT_AMOUNT: G.contract_amount_total}
_TEXT_OF = {TextField.CONTRACT_NUMBER: G.contract_number, TextField.OBLIGEE: G.search_obligee,
            TextField.PROJECT_NAME: G.search_project}


def _range_filter(r: Range) -> Condition:
    attribute: Any = _VALUE_OF[r.key]
    if r.low is not None and r.high is not None:
        condition: Condition = attribute.between(r.low, r.high)
        return condition
    return attribute >= r.low if r.low is not None else attribute <= r.high


def _filter(plan: SearchPlan, where: Where) -> tuple[Condition | None, set[str]]:
    """Every condition the driver's key does not hold, as one filter, and the attributes it reads (they must be in
    the index's projection: DynamoDB filters projected entries, so a missing attribute would silently match
    nothing; moto projects before filtering too, but a wrong index should fail loudly, see _check_projected)."""
    parts: list[Condition] = []
    names: set[str] = set()
    for r in plan.filters:
        parts.append(_range_filter(r))
        names.add(_VALUE_OF[r.key].attr_name)
    if plan.text is not None and plan.driver is not Driver.CONTRACT_NUMBER:
        attribute: Any = _TEXT_OF[plan.text.field]
        parts.append(attribute.contains(plan.text.needle))
        names.add(attribute.attr_name)
    if plan.driver is Driver.CONTRACT_NUMBER:  # one item, read by its own key: every other condition filters it
        if plan.obligee_id is not None:
            parts.append(G.obligee_id == plan.obligee_id)
        if where.contractor_id is not None:  # another contractor's number costs what an unknown one does
            parts.append(G.contractor_id == where.contractor_id)
    condition = None
    for part in parts:
        condition = part if condition is None else condition & part
    return condition, names


def _projected(index: Any) -> set[str] | None:
    """The attributes an index's entries carry beyond its keys and the table's (None: all of them)."""
    if not isinstance(index, Index):
        return None
    projection = index.Meta.projection
    if projection.projection_type == "ALL":
        return None
    return set(getattr(projection, "non_key_attributes", None) or ())


def _check_projected(index: Any, names: set[str]) -> None:
    projected = _projected(index)
    keys = {"contract_number", "version"} | {a.attr_name for a in getattr(index.Meta, "attributes", {}).values()}
    if projected is not None and not names <= projected | keys:
        raise ValueError(f"{index.Meta.index_name} cannot filter on {sorted(names - projected - keys)}")


def _source(plan: SearchPlan, contractor_id: str) -> _Source:
    """The index of a search within one contractor."""
    d = plan.driver
    if d is Driver.LIST:
        return _Source(G.by_contractor, contractor_id, "latest_sort", True, None)
    if d is Driver.TEXT:
        return _Source(G.by_contractor_text, contractor_id, "latest_sort", False, G.by_contractor_text)
    if d is Driver.ISSUED_ON:
        if plan.filters:  # other ranges: only whole items carry them in this key order
            return _Source(G.by_contractor, contractor_id, "latest_sort", True, G.by_contractor)
        if plan.text is not None:  # a partial match within a date range: the compact entries, then the page's rows
            return _Source(G.by_contractor_text, contractor_id, "latest_sort", False, G.by_contractor_text)
        return _Source(G.by_contractor, contractor_id, "latest_sort", True, G.by_contractor_text)
    if d is Driver.OBLIGEE:
        index: Any = G.by_contractor_obligee
        return _Source(index, f"{contractor_id}#{plan.obligee_id}", "latest_sort", True, index)
    index, sort = {Driver.CONTRACT_DATE: (G.by_contract_date, "sort_contract_date"),
                   Driver.GUARANTEE_AMOUNT: (G.by_guarantee_amount, "sort_guarantee_amount"),
                   Driver.CONTRACT_AMOUNT: (G.by_contract_amount, "sort_contract_amount")}[d]
    return _Source(index, contractor_id, sort, True, index)


def _start_key(source: _Source, position: Position | None) -> dict[str, Any] | None:
    """An ExclusiveStartKey in `source` from a position: the index's keys, then the table's."""
    if position is None:
        return None
    hash_attribute = next(a for a in source.index.Meta.attributes.values() if a.is_hash_key)
    sort_attribute = getattr(G, source.sort)
    return {hash_attribute.attr_name: {"S": source.hash_key}, sort_attribute.attr_name: {"S": position.sort},
            "contract_number": {"S": position.contract_number}, "version": {"N": str(position.version)}}


# --- rows ---------------------------------------------------------------------------------------------------------

def row_of(item: GuaranteeVersion, contractor_id: str | None = None) -> CertificateRow:
    """A row from an item or from an index entry that projects the list's columns (LIST_COLUMNS). Such an entry
    leaves out whose it is: it is read within one contractor's partition (`contractor_id`), and the contractor's
    name is printed only in the surety's CSV across contractors, which reads whole items."""
    return CertificateRow(
        contract_number=item.contract_number, version=int(item.version),
        guarantee_type=GuaranteeType(item.guarantee_type), amended=bool(item.amended),
        status=GuaranteeStatus(item.status), delivery=Delivery(item.delivery),
        contractor_id=item.contractor_id or contractor_id or "", contractor_name=item.contractor_name or "",
        obligee_id=item.obligee_id, obligee_name=item.obligee_name, project_name=item.project_name,
        contract_date=item.contract_date, issued_on=item.issued_on, completion_date=item.completion_date,
        guarantee_period_end=item.guarantee_period_end, contract_amount_total=int(item.contract_amount_total),
        contract_amount_covered=int(item.contract_amount_covered), guarantee_amount=int(item.guarantee_amount),
    )


def _rows(source: _Source, read: KeysetRead, contractor_id: str | None) -> list[CertificateRow]:
    if source.rows:
        return [row_of(i, contractor_id) for i in read.items]
    # Keys only (the compact text index): the page's items from the table, in the index's order.
    keys = [(i.contract_number, int(i.version)) for i in read.items]
    return [row_of(i, contractor_id) for i in get_in_order(G, keys)]


# --- reading ----------------------------------------------------------------------------------------------------

def read_page(plan: SearchPlan, where: Where, *, limit: int, start: Position | None = None, ascending: bool = False,
              count: bool = False, month: str | None = None, months: int | None = None) -> Found:
    """At most `limit` matches past `start` (from the top, or from the bottom when `ascending`), in the driver's
    order read that way, and whether more follow; with `count`, every match of the search counted in the same pass
    (the rest of the range with Select=COUNT on the narrowest index that can). Across contractors by 証書発行日,
    `month` says where to go on and `months` how many months one call may read (None: all of the range)."""
    if plan.driver is Driver.CONTRACT_NUMBER:
        return _one_number(plan, where)
    if where.contractor_id is None:
        if plan.driver is Driver.OBLIGEE:
            assert plan.obligee_id is not None
            source = _Source(G.by_obligee, plan.obligee_id, "latest_sort", True, None)
            return _read(source, plan, where, limit, start, ascending, count=False)
        if plan.driver is Driver.ISSUED_ON:
            return _by_month(plan, where, limit, start, ascending, month, months)
        raise ValueError(f"{plan.driver} does not read across contractors")  # plan(across_contractors=True) refuses
    return _read(_source(plan, where.contractor_id), plan, where, limit, start, ascending, count=count)


def row_at(position: Position) -> CertificateRow | None:
    """The row at a position, if that version is still the latest (one item read by its keys): the last row of a
    page reached again from the empty page after it."""
    read = read_keyset(G, position.contract_number, G.version == position.version, want=1, page_size=1)
    return next((row_of(i) for i in read.items if i.latest_contractor_id is not None), None)


def _page_size(want: int, filtered: bool) -> int | None:
    if want > BULK_READ:
        return None
    return max(want, FILTERED_PAGE_READ) if filtered else want


def _read(source: _Source, plan: SearchPlan, where: Where, limit: int, start: Position | None, ascending: bool,
          *, count: bool) -> Found:
    condition, names = _filter(plan, where)
    _check_projected(source.index, names)
    if count and source.count_on is not None:
        _check_projected(source.count_on, names)
    key = _key_condition(getattr(G, source.sort), plan.key_range)
    read = read_keyset(source.index, source.hash_key, key, want=limit + 1, ascending=ascending,
                       start=_start_key(source, start), filter_condition=condition,
                       page_size=_page_size(limit + 1, condition is not None),
                       count_on=source.count_on if count else None)
    rows = _rows(source, KeysetRead(read.items[:limit], read.stopped_early, read.total), where.contractor_id)
    return Found(rows, len(read.items) > limit, read.total)


def _one_number(plan: SearchPlan, where: Where) -> Found:
    """A whole 保証契約番号: its latest version (the highest), one item read; every other condition filters it."""
    condition, _ = _filter(plan, where)
    assert plan.contract_number is not None
    read = read_keyset(G, plan.contract_number, want=1, filter_condition=condition, page_size=1)
    rows = [row_of(i) for i in read.items]
    return Found(rows, False, len(rows))


def _months(low: date, high: date) -> list[str]:
    """Every month from `low`'s to `high`'s, "YYYY-MM", oldest first."""
    months, year, month = [], low.year, low.month
    while (year, month) <= (high.year, high.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _by_month(plan: SearchPlan, where: Where, limit: int, start: Position | None, ascending: bool,
              month: str | None, budget: int | None) -> Found:
    """Across contractors by 証書発行日: `by-issued-month` one month (partition) after another in the order read,
    until the page is full, the range ends, or `budget` months were read (then `resume_month` says where to go on:
    a sparse range never walks years in one request)."""
    r = plan.key_range
    # The plan refuses an open start across contractors.
    assert isinstance(r, DateRange) and r.low is not None
    months = _months(r.low, r.high or where.today)
    if not ascending:
        months.reverse()
    first = month or (start.sort[:7] if start is not None else None)
    if first is not None:
        months = [m for m in months if (m >= first if ascending else m <= first)]
    rows: list[CertificateRow] = []
    for read_so_far, current in enumerate(months):
        if budget is not None and read_so_far == budget:
            return Found(rows, True, resume_month=current)
        source = _Source(G.by_issued_month, current, "latest_sort", True, None)
        at = start if start is not None and start.sort[:7] == current else None
        # What the page still has room for; once full, one entry more says whether anything follows.
        found = _read(source, plan, where, limit - len(rows), at, ascending, count=False)
        rows += found.rows
        if found.more:
            return Found(rows, True)
    return Found(rows, False)


def read_all(plan: SearchPlan, where: Where, *, at_most: int) -> Found:
    """Every match in the driver's order, up to `at_most` (the CSV): `more` says there are more than that, and
    `total` (within one contractor) how many, counted in the same pass."""
    counted = where.contractor_id is not None and plan.driver is not Driver.LIST
    return read_page(plan, where, limit=at_most, count=counted)
