"""Search of certificates (保証工事一覧, the surety's console, the CSV download): what the parameters mean, which
condition drives the read, and the CSV a clerk opens in Excel (docs/ARCHITECTURE.md, where each rule lives).

電子帳簿保存法 (電子取引) wants the records searchable by date and by amount as ranges, by the other party, and by
two or more of these combined. Each condition is parsed here into a typed value; `SearchCriteria.plan` then names
the one indexed condition that drives the read (its index is the store's business) and leaves the others as
filters within what it matches, so a search reads what its driving condition matches and never a whole history.
`SearchCriteria.matches` is the same search written as a plain predicate: the store's answer must equal it.
Pure: no AWS, no Chalice. Bounds are inclusive; a reversed or malformed range names its field in Japanese.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Generic, TypeVar
from urllib.parse import quote

from chalicelib.domain.limits import MAX_AMOUNT, MAX_CSV_ROWS, SEARCH_TEXT_MAX
from chalicelib.domain.normalize import normalize_contract_number, normalize_search_text, normalize_typed
from chalicelib.domain.records import CertificateVersion, GuaranteeStatus
from chalicelib.domain.status import STATUS_NAMES_JA, current_status
from chalicelib.domain.types import Delivery, GuaranteeType
from chalicelib.domain.validation import (
    FieldError,
    Invalid,
    ValidationFailed,
    business_date,
    is_identifier,
    optional_text,
)

PARAMETERS = (
    "issued_from", "issued_to", "contract_date_from", "contract_date_to",
    "guarantee_amount_min", "guarantee_amount_max", "contract_amount_min", "contract_amount_max",
    "obligee_id", "field", "q", "format",
)

# The names a clerk knows, used in every message (and the labels of the portal's search form).
FIELD_NAMES_JA: dict[str, str] = {
    "issued_from": "証書発行日(から)",
    "issued_to": "証書発行日(まで)",
    "contract_date_from": "契約日(から)",
    "contract_date_to": "契約日(まで)",
    "guarantee_amount_min": "保証金額(下限)",
    "guarantee_amount_max": "保証金額(上限)",
    "contract_amount_min": "請負金額(下限)",
    "contract_amount_max": "請負金額(上限)",
    "obligee_id": "発注者ID",
    "field": "検索項目",
    "q": "検索語",
    "format": "出力形式",
}


T = TypeVar("T", date, int)


class SearchKey(StrEnum):
    """What a range is on: the record's attribute of that name."""

    ISSUED_ON = "issued_on"  # 証書発行日
    CONTRACT_DATE = "contract_date"  # 契約日
    GUARANTEE_AMOUNT = "guarantee_amount"  # 保証金額
    CONTRACT_AMOUNT = "contract_amount_total"  # 請負金額(総額)


# Each range's two parameters, low end first.
_DATE_RANGES = ((SearchKey.ISSUED_ON, "issued_from", "issued_to"),
                (SearchKey.CONTRACT_DATE, "contract_date_from", "contract_date_to"))
_AMOUNT_RANGES = ((SearchKey.GUARANTEE_AMOUNT, "guarantee_amount_min", "guarantee_amount_max"),
                  (SearchKey.CONTRACT_AMOUNT, "contract_amount_min", "contract_amount_max"))
_PRECEDENCE = (SearchKey.ISSUED_ON, SearchKey.CONTRACT_DATE, SearchKey.GUARANTEE_AMOUNT, SearchKey.CONTRACT_AMOUNT)


class TextField(StrEnum):
    """`field`: what `q` is looked for in (partial match); "all" lists everything."""

    ALL = "all"
    CONTRACT_NUMBER = "contract_number"
    OBLIGEE = "obligee"
    PROJECT_NAME = "project_name"


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True)
class _Bounds(Generic[T]):
    """Inclusive; an open end is None (never both)."""

    key: SearchKey
    low: T | None
    high: T | None

    def contains(self, value: T) -> bool:
        return (self.low is None or self.low <= value) and (self.high is None or value <= self.high)

    @property
    def bounded(self) -> bool:
        return self.low is not None and self.high is not None

    def text(self) -> str:
        return "..".join("" if end is None else end.isoformat() if isinstance(end, date) else str(end)
                         for end in (self.low, self.high))


class DateRange(_Bounds[date]):
    """A range of dates (証書発行日, 契約日)."""


class AmountRange(_Bounds[int]):
    """A range of yen (保証金額, 請負金額)."""


Range = DateRange | AmountRange


@dataclass(frozen=True)
class TextQuery:
    """A partial match in one field. `needle` is folded as the stored search fields are (normalize_search_text),
    or, for a 保証契約番号, the digits typed."""

    field: TextField
    needle: str

    def matches(self, contract_number: str, search_obligee: str, search_project: str) -> bool:
        """`search_obligee`, `search_project`: the stored, already folded 発注者名 and 工事名."""
        if self.field is TextField.CONTRACT_NUMBER:
            return self.needle in contract_number
        if self.field is TextField.OBLIGEE:
            return self.needle in search_obligee
        return self.needle in search_project


@dataclass(frozen=True)
class CertificateRow:
    """A certificate as a row of a list or of the CSV: the latest version's columns, nothing more."""

    contract_number: str
    version: int
    guarantee_type: GuaranteeType
    amended: bool
    status: GuaranteeStatus
    delivery: Delivery
    contractor_id: str
    contractor_name: str
    obligee_id: str
    obligee_name: str
    project_name: str
    contract_date: date
    issued_on: date
    completion_date: date
    guarantee_period_end: date
    contract_amount_total: int
    contract_amount_covered: int
    guarantee_amount: int

    @classmethod
    def of(cls, v: CertificateVersion) -> CertificateRow:
        t = v.terms
        return cls(
            contract_number=v.contract_number, version=v.version, guarantee_type=v.guarantee_type,
            amended=v.amended, status=v.status, delivery=v.delivery, contractor_id=v.contractor_id,
            contractor_name=v.contractor_name, obligee_id=v.obligee_id, obligee_name=v.obligee_name,
            project_name=t.project_name, contract_date=v.contract_date, issued_on=v.issued_on,
            completion_date=t.completion_date, guarantee_period_end=t.guarantee_period_end,
            contract_amount_total=t.contract_amount_total, contract_amount_covered=t.contract_amount_covered,
            guarantee_amount=t.guarantee_amount,
        )

    def value(self, key: SearchKey) -> date | int:
        value: date | int = getattr(self, key.value)
        return value


class Driver(StrEnum):
    """The one condition whose index a search reads; every other condition filters within its matches."""

    LIST = "list"  # no condition: the contractor's list, newest first, counted by its counter
    OBLIGEE = "obligee_id"  # one owner's certificates, newest first; an 証書発行日 range narrows the same key
    ISSUED_ON = "issued_on"
    CONTRACT_DATE = "contract_date"
    GUARANTEE_AMOUNT = "guarantee_amount"
    CONTRACT_AMOUNT = "contract_amount_total"
    TEXT = "text"  # only a partial match: the compact projection of the searchable fields, filtered
    CONTRACT_NUMBER = "contract_number"  # a whole 保証契約番号: one guarantee's latest version

    @property
    def order(self) -> str:
        """The order of the answer: that of the driving index, newest or largest first."""
        if self in (Driver.CONTRACT_DATE, Driver.GUARANTEE_AMOUNT, Driver.CONTRACT_AMOUNT):
            return f"{self.value}_desc"
        return "issued_on_desc"


# Each order as a clerk reads it (「並び順: 保証金額の大きい順」).
ORDER_NAMES_JA = {
    "issued_on_desc": "証書発行日の新しい順",
    "contract_date_desc": "契約日の新しい順",
    "guarantee_amount_desc": "保証金額の大きい順",
    "contract_amount_total_desc": "請負金額の大きい順",
}


_DRIVER_OF = {SearchKey.ISSUED_ON: Driver.ISSUED_ON, SearchKey.CONTRACT_DATE: Driver.CONTRACT_DATE,
              SearchKey.GUARANTEE_AMOUNT: Driver.GUARANTEE_AMOUNT, SearchKey.CONTRACT_AMOUNT: Driver.CONTRACT_AMOUNT}


@dataclass(frozen=True)
class SearchPlan:
    """What the store executes: read `driver`'s index (within `key_range` of its sort key; in the partition of
    the contractor, of the owner or of the number), keep what passes `filters` and `text`. Within one contractor
    the store also keeps only that contractor's certificates (a whole number may be another's)."""

    driver: Driver
    key_range: Range | None = None  # in the driver's sort key; None: all of its partition
    # The owner every match has: the partition of Driver.OBLIGEE, a filter on Driver.CONTRACT_NUMBER's item.
    obligee_id: str | None = None
    contract_number: str | None = None  # the item of Driver.CONTRACT_NUMBER
    filters: tuple[Range, ...] = ()
    text: TextQuery | None = None

    @property
    def order(self) -> str:
        """How the answer is ordered (the API says so beside the items)."""
        return self.driver.order

    @property
    def counted_by_counter(self) -> bool:
        """The list's total is the contractor's counter; any search's is the count of its driver's matches."""
        return self.driver is Driver.LIST


@dataclass(frozen=True)
class SearchCriteria:
    """Every condition of one search; none given means the whole list."""

    ranges: tuple[Range, ...] = ()  # at most one per key, in SearchKey order
    obligee_id: str | None = None
    text: TextQuery | None = None
    output: OutputFormat = OutputFormat.JSON

    @property
    def is_empty(self) -> bool:
        return not self.ranges and self.obligee_id is None and self.text is None

    def range_of(self, key: SearchKey) -> Range | None:
        return next((r for r in self.ranges if r.key is key), None)

    def matches(self, row: CertificateRow, search_obligee: str | None = None, search_project: str | None = None
                ) -> bool:
        """The whole search as one predicate (the reference the store's reads are tested against). The folded
        fields default to folding the row's own text, as the store folds it when writing."""
        for r in self.ranges:
            value = row.value(r.key)
            if isinstance(r, DateRange) and isinstance(value, date) and not r.contains(value):
                return False
            if isinstance(r, AmountRange) and isinstance(value, int) and not r.contains(value):
                return False
        if self.obligee_id is not None and row.obligee_id != self.obligee_id:
            return False
        if self.text is not None:
            obligee = normalize_search_text(row.obligee_name) if search_obligee is None else search_obligee
            project = normalize_search_text(row.project_name) if search_project is None else search_project
            return self.text.matches(row.contract_number, obligee, project)
        return True

    def scope(self) -> dict[str, str]:
        """The search in canonical form, to bind a cursor to it (short keys: cursors travel in URLs)."""
        short = {SearchKey.ISSUED_ON: "i", SearchKey.CONTRACT_DATE: "d", SearchKey.GUARANTEE_AMOUNT: "g",
                 SearchKey.CONTRACT_AMOUNT: "a"}
        scope = {short[r.key]: r.text() for r in self.ranges}
        if self.obligee_id is not None:
            scope["o"] = self.obligee_id
        if self.text is not None:
            scope["f"] = self.text.field.value
            scope["q"] = self.text.needle
        return scope

    def plan(self, *, across_contractors: bool = False) -> SearchPlan:
        """Which condition drives the read. A whole 保証契約番号 first (one item; as a partial match it is the
        same answer), then an owner (exact; an 証書発行日 range narrows the same key), then a range closed at
        both ends before one open at an end, in the order 証書発行日, 契約日, 保証金額, 請負金額 (dates are the
        narrower in practice: a clerk asks for a month or a fiscal year out of ten years, an amount as
        「1億円以上」), then the partial match alone, then the plain list. Across contractors (the surety) only a
        whole number, an owner or an 証書発行日 range may drive: anything else would read every contractor's
        certificates, and is refused."""
        issued = self.range_of(SearchKey.ISSUED_ON)
        number = self._whole_number()
        if number is not None:
            return SearchPlan(Driver.CONTRACT_NUMBER, contract_number=number, obligee_id=self.obligee_id,
                              filters=self.ranges)
        if self.obligee_id is not None:
            return SearchPlan(Driver.OBLIGEE, key_range=issued, obligee_id=self.obligee_id,
                              filters=self._others(issued), text=self.text)
        if across_contractors:
            if self.text is not None and self.text.field is TextField.CONTRACT_NUMBER:
                raise _refused("q", "保証契約者を指定しない検索では、保証契約番号を10桁で入力してください")
            if issued is None:
                raise _refused("contractor_id", "保証契約者を指定しない検索では、保証契約番号(10桁)・発注者・"
                                                "証書発行日の範囲のいずれかを指定してください")
            if issued.low is None:  # read month by month from its start: an open start would walk back for ever
                raise _refused("issued_from", "保証契約者を指定しない証書発行日の検索では、"
                                              f"{FIELD_NAMES_JA['issued_from']}を指定してください")
            return SearchPlan(Driver.ISSUED_ON, key_range=issued, filters=self._others(issued), text=self.text)
        if self.ranges:
            driving = min(self.ranges, key=lambda r: (not r.bounded, _PRECEDENCE.index(r.key)))
            return SearchPlan(_DRIVER_OF[driving.key], key_range=driving, filters=self._others(driving),
                              text=self.text)
        if self.text is not None:
            return SearchPlan(Driver.TEXT, text=self.text)
        return SearchPlan(Driver.LIST)

    def _whole_number(self) -> str | None:
        if self.text is None or self.text.field is not TextField.CONTRACT_NUMBER:
            return None
        return normalize_contract_number(self.text.needle)

    def _others(self, driving: Range | None) -> tuple[Range, ...]:
        return tuple(r for r in self.ranges if r is not driving)


def _refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message)], message)


# --- parsing -------------------------------------------------------------------------------------------------

_AMOUNT = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]+")


def _typed(raw: str) -> str:
    """A parameter as typed: full-width digits and hyphens folded (NFKC), surrounding spaces dropped."""
    return unicodedata.normalize("NFKC", raw).strip()


def _parse_date(field: str, raw: str) -> date:
    try:
        return business_date(FIELD_NAMES_JA[field], _typed(raw))
    except Invalid as problem:
        raise _Bad(problem.message) from None


def _parse_amount(field: str, raw: str) -> int:
    """Yen as digits, thousands separators allowed (10,000,000); 0 is a bound like any other."""
    name = FIELD_NAMES_JA[field]
    text = _typed(raw)
    if not _AMOUNT.fullmatch(text):
        raise _Bad(f"{name}は0円以上の整数(円)で入力してください")
    digits = text.replace(",", "").lstrip("0") or "0"
    if len(digits) > len(str(MAX_AMOUNT)) or int(digits) > MAX_AMOUNT:  # length first: int() of 5,000 digits fails
        raise _Bad(f"{name}は{MAX_AMOUNT:,}円以下の整数(円)で入力してください")
    return int(digits)


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _given(params: Mapping[str, str], field: str) -> str | None:
    """A parameter's value, or None when absent or blank (a portal form sends its empty fields)."""
    raw = params.get(field)
    if raw is None or not _typed(raw):
        return None
    return raw


def _parse_range(params: Mapping[str, str], low_field: str, high_field: str, parse: Callable[[str, str], T],
                 errors: list[FieldError]) -> tuple[T | None, T | None] | None:
    """Both ends of one range; None when neither is given or an end is at fault (its error recorded, each end's
    own, so every bad field is named at once)."""
    ends: list[T | None] = []
    for field in (low_field, high_field):
        raw = _given(params, field)
        try:
            ends.append(None if raw is None else parse(field, raw))
        except _Bad as bad:
            errors.append(FieldError(field, bad.message))
    if len(ends) < 2:
        return None
    low, high = ends
    if low is None and high is None:
        return None
    if low is not None and high is not None and low > high:
        what = "以降の日付" if isinstance(low, date) else "以上の金額"
        errors.append(FieldError(high_field, f"{FIELD_NAMES_JA[high_field]}は{FIELD_NAMES_JA[low_field]}{what}を"
                                             "指定してください"))
        return None
    return low, high


def _parse_text(params: Mapping[str, str], errors: list[FieldError]) -> TextQuery | None:
    raw_field = params.get("field") or TextField.ALL.value
    try:
        field = TextField(raw_field)
    except ValueError:
        errors.append(FieldError("field", "検索項目は全件(all)・保証契約番号(contract_number)・発注者(obligee)・"
                                          "工事名(project_name)のいずれかを指定してください"))
        return None
    q = (params.get("q") or "").strip()
    if field is TextField.ALL or not q:
        return None  # 全件: the list itself (a `q` without a field searches nothing, as before)
    try:
        optional_text(FIELD_NAMES_JA["q"], q, SEARCH_TEXT_MAX)
    except Invalid as problem:
        errors.append(FieldError("q", problem.message))
        return None
    if field is TextField.CONTRACT_NUMBER:
        digits = normalize_typed(q)
        if not digits.isascii() or not digits.isdigit():
            errors.append(FieldError("q", "保証契約番号で検索する場合は数字を入力してください"))
            return None
        return TextQuery(field, digits)
    needle = normalize_search_text(q)
    return TextQuery(field, needle) if needle else None


def parse_search(params: Mapping[str, str]) -> SearchCriteria:
    """The search of a list request (query string or portal form), or ValidationFailed naming every bad field.
    Parameters other than PARAMETERS (limit, cursor, page, contractor_id) are the caller's."""
    errors: list[FieldError] = []
    ranges: list[Range] = []
    for key, low_field, high_field in _DATE_RANGES:
        if (dates := _parse_range(params, low_field, high_field, _parse_date, errors)) is not None:
            ranges.append(DateRange(key, *dates))
    for key, low_field, high_field in _AMOUNT_RANGES:
        if (amounts := _parse_range(params, low_field, high_field, _parse_amount, errors)) is not None:
            ranges.append(AmountRange(key, *amounts))
    obligee_id = None
    if (raw_obligee := _given(params, "obligee_id")) is not None:
        obligee_id = _typed(raw_obligee)
        if not is_identifier(obligee_id):
            errors.append(FieldError("obligee_id", f"{FIELD_NAMES_JA['obligee_id']}は半角英数字・ハイフン・"
                                                   "アンダースコアの1〜64文字で入力してください"))
    text = _parse_text(params, errors)
    output = OutputFormat.JSON
    if (raw_format := _given(params, "format")) is not None:
        try:
            output = OutputFormat(raw_format.strip().lower())
        except ValueError:
            errors.append(FieldError("format", f"{FIELD_NAMES_JA['format']}はjsonまたはcsvを指定してください"))
    if errors:
        raise ValidationFailed(errors, errors[0].message if len(errors) == 1 else None)
    return SearchCriteria(tuple(ranges), obligee_id, text, output)


# --- the pager -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageWindow:
    """Which rows a page shows (0-based `offset`, `size` of them) out of `total`: the numbers of the portal's
    「N件中 a - b件」, and the size of the last page, which is read backwards from the oldest (it may be short)."""

    total: int
    per_page: int
    offset: int
    size: int

    @classmethod
    def last_page(cls, total: int, per_page: int) -> PageWindow:
        """The last page: what is left after the full pages before it (a full page when the total divides)."""
        if total <= 0:
            return cls(0, per_page, 0, 0)
        offset = (total - 1) // per_page * per_page
        return cls(total, per_page, offset, total - offset)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def number(self) -> int:
        return self.offset // self.per_page + 1

    @property
    def first_row(self) -> int:
        """`a` of 「N件中 a - b件」 (1-based; 0 when nothing is shown)."""
        return self.offset + 1 if self.size else 0

    @property
    def last_row(self) -> int:
        """`b` of 「N件中 a - b件」."""
        return self.offset + self.size


# --- CSV -------------------------------------------------------------------------------------------------------

CSV_BOM = "\ufeff"  # Excel reads UTF-8 only with it (without, Japanese Excel assumes Shift_JIS)
# A text cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets; their full-width
# forms too, to be safe (Japanese Excel turns a typed ＝ into =).
_FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
_DELIVERY_JA = {Delivery.ELECTRONIC: "電子", Delivery.PAPER: "書面"}


def spreadsheet_safe(text: str) -> str:
    """A text cell that a spreadsheet shows as text: one leading apostrophe when it would start a formula
    (Excel hides it as its own text marker; a plain-text reader sees it, the lesser harm)."""
    return "'" + text if text and text[0] in _FORMULA_STARTS else text


_COLUMNS: tuple[tuple[str, Callable[[CertificateRow], str]], ...] = (
    ("保証契約番号", lambda r: r.contract_number),
    ("区分", lambda r: r.guarantee_type.name_ja),
    ("発注者", lambda r: spreadsheet_safe(r.obligee_name)),
    ("工事名", lambda r: spreadsheet_safe(r.project_name)),
    ("契約日", lambda r: r.contract_date.isoformat()),
    ("証書発行日", lambda r: r.issued_on.isoformat()),
    ("工期末日", lambda r: r.completion_date.isoformat()),
    ("保証期間", lambda r: r.guarantee_period_end.isoformat()),  # its end, as the certificate prints it
    ("請負金額", lambda r: str(r.contract_amount_total)),
    ("保証金額", lambda r: str(r.guarantee_amount)),
    ("状態", lambda r: STATUS_NAMES_JA[current_status(r.status, r.guarantee_period_end)]),
    ("請負金額(対象額)", lambda r: str(r.contract_amount_covered)),
    ("版", lambda r: str(r.version)),
    ("変更契約", lambda r: "変更" if r.amended else ""),
    ("交付方法", lambda r: _DELIVERY_JA[r.delivery]),
)
_CONTRACTOR_COLUMNS: tuple[tuple[str, Callable[[CertificateRow], str]], ...] = (
    ("保証契約者", lambda r: spreadsheet_safe(r.contractor_name)),
    ("保証契約者ID", lambda r: spreadsheet_safe(r.contractor_id)),
)


def _columns(with_contractor: bool) -> tuple[tuple[str, Callable[[CertificateRow], str]], ...]:
    return _COLUMNS + _CONTRACTOR_COLUMNS if with_contractor else _COLUMNS


def csv_header(*, with_contractor: bool = False) -> list[str]:
    return [name for name, _ in _columns(with_contractor)]


def csv_cells(row: CertificateRow, *, with_contractor: bool = False) -> list[str]:
    """One row's cells: amounts as plain integers of yen, dates ISO, text safe from formula injection."""
    return [cell(row) for _, cell in _columns(with_contractor)]


def csv_lines(rows: Iterable[CertificateRow], *, with_contractor: bool = False) -> Iterator[str]:
    """The CSV line by line (CRLF, RFC 4180 quoting), the byte-order mark before the header: the caller may
    stream it into a multipart upload or join it. `with_contractor` adds who holds each (the surety's CSV)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield CSV_BOM + line(csv_header(with_contractor=with_contractor))
    for row in rows:
        yield line(csv_cells(row, with_contractor=with_contractor))


def csv_document(rows: Iterable[CertificateRow], *, with_contractor: bool = False) -> bytes:
    return "".join(csv_lines(rows, with_contractor=with_contractor)).encode("utf-8")


def csv_too_large_message(count: int | None) -> str:
    """Why a CSV past MAX_CSV_ROWS is refused, and what to do (the NTA accepts narrowing step by step). `count`
    None: not counted (a search across contractors stops reading at the bound)."""
    how_many = "" if count is None else f"{count:,}件あり、"
    return (f"該当する保証が{how_many}CSVで出力できる{MAX_CSV_ROWS:,}件を超えています。"
            "証書発行日の範囲などで絞り込んでから出力してください。")


def csv_content_disposition(today: date) -> str:
    """An attachment named for the list and the day (Japan date): an ASCII name for old clients and the
    Japanese one (RFC 6266 / 5987) that browsers and Excel users see."""
    stamp = today.strftime("%Y%m%d")
    japanese = quote(f"保証工事一覧_{stamp}.csv")
    return f"attachment; filename=\"certificates-{stamp}.csv\"; filename*=UTF-8''{japanese}"


# --- the registry ------------------------------------------------------------------------------------------

# 法人格 written before or after a company's name; folded by normalize_search_text first ((株), ㈱ → (株)).
_LEGAL_FORMS = tuple(normalize_search_text(f) for f in (
    "株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "一般社団法人", "一般財団法人",
    "(株)", "(有)", "(同)", "(資)", "(名)", "(社)", "(財)",
))


def company_name_key(name: str) -> str:
    """A contractor's name as its prefix is searched: folded like every search field, without the 法人格 that
    most names share (株式会社○○建設 and ○○建設株式会社 both begin with ○○建設). Apply to names and queries alike."""
    key = normalize_search_text(name)
    for form in _LEGAL_FORMS:
        if key.startswith(form) and len(key) > len(form):
            key = key[len(form):]
            break
    for form in _LEGAL_FORMS:
        if key.endswith(form) and len(key) > len(form):
            key = key[: -len(form)]
            break
    return key
