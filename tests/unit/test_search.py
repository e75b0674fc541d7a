"""The search's parameters, its plan and its CSV (chalicelib/domain/search.py): pure, no AWS."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.limits import EARLIEST_DATE, LATEST_DATE, MAX_AMOUNT, MAX_CSV_ROWS
from chalicelib.domain.normalize import normalize_search_text
from chalicelib.domain.records import CertificateVersion, GuaranteeStatus, StatedTerms
from chalicelib.domain.search import (
    CSV_BOM,
    ORDER_NAMES_JA,
    AmountRange,
    CertificateRow,
    DateRange,
    Driver,
    OutputFormat,
    PageWindow,
    SearchCriteria,
    SearchKey,
    TextField,
    TextQuery,
    company_name_key,
    csv_content_disposition,
    csv_document,
    csv_header,
    csv_lines,
    csv_too_large_message,
    parse_search,
    spreadsheet_safe,
)
from chalicelib.domain.types import Delivery, GuaranteeType, WorkCategory
from chalicelib.domain.validation import ValidationFailed

TODAY = date.today()
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# (low parameter, high parameter, Japanese name of each) of every range, written out so a wrong name fails.
DATE_RANGES = [("issued_from", "issued_to", "証書発行日(から)", "証書発行日(まで)"),
               ("contract_date_from", "contract_date_to", "契約日(から)", "契約日(まで)")]
AMOUNT_RANGES = [("guarantee_amount_min", "guarantee_amount_max", "保証金額(下限)", "保証金額(上限)"),
                 ("contract_amount_min", "contract_amount_max", "請負金額(下限)", "請負金額(上限)")]
KEY_OF = {"issued_from": SearchKey.ISSUED_ON, "contract_date_from": SearchKey.CONTRACT_DATE,
          "guarantee_amount_min": SearchKey.GUARANTEE_AMOUNT, "contract_amount_min": SearchKey.CONTRACT_AMOUNT}


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def refused(params: dict[str, str]) -> dict[str, str]:
    """The fields a search is refused for, with their messages (each must be Japanese)."""
    with pytest.raises(ValidationFailed) as caught:
        parse_search(params)
    errors = {e.field: e.message for e in caught.value.errors}
    assert all(JAPANESE.search(m) for m in errors.values()), errors
    return errors


def row(**changes) -> CertificateRow:
    values = {
        "contract_number": "2070004426", "version": 1, "guarantee_type": GuaranteeType.ADVANCE_PAYMENT,
        "amended": False, "status": GuaranteeStatus.ACTIVE, "delivery": Delivery.ELECTRONIC,
        "contractor_id": "contractor-1", "contractor_name": "株式会社○○建設", "obligee_id": "sakaiminato",
        "obligee_name": "境港市長", "project_name": "市道渡町竹内線道路改良工事",
        "contract_date": TODAY - timedelta(days=40), "issued_on": TODAY - timedelta(days=30),
        "completion_date": TODAY + timedelta(days=300), "guarantee_period_end": TODAY + timedelta(days=300),
        "contract_amount_total": 100_000_000, "contract_amount_covered": 90_000_000, "guarantee_amount": 36_000_000,
    }
    values.update(changes)
    return CertificateRow(**values)


# --- parameters ----------------------------------------------------------------------------------------------

def test_no_parameter_is_the_whole_list():
    criteria = parse_search({})
    assert criteria.is_empty and criteria.output is OutputFormat.JSON
    assert criteria.plan().driver is Driver.LIST and criteria.plan().counted_by_counter


def test_blank_fields_of_a_portal_form_are_not_conditions():
    blank = {name: "" for name in ("issued_from", "issued_to", "guarantee_amount_min", "obligee_id", "q", "format")}
    assert parse_search({**blank, "field": "project_name", "q": " \u3000"}).is_empty


@pytest.mark.parametrize(("low", "high", "_low_ja", "_high_ja"), DATE_RANGES)
def test_a_date_range_is_inclusive_and_one_day_is_a_range(low, high, _low_ja, _high_ja):
    day = TODAY - timedelta(days=10)
    criteria = parse_search({low: day.isoformat(), high: day.isoformat()})
    (found,) = criteria.ranges
    assert found == DateRange(KEY_OF[low], day, day)
    assert found.contains(day) and not found.contains(day - timedelta(days=1))
    assert not found.contains(day + timedelta(days=1))


@pytest.mark.parametrize(("low", "high", "low_ja", "high_ja"), DATE_RANGES)
def test_a_reversed_date_range_names_its_end_in_japanese(low, high, low_ja, high_ja):
    errors = refused({low: TODAY.isoformat(), high: (TODAY - timedelta(days=1)).isoformat()})
    assert errors == {high: f"{high_ja}は{low_ja}以降の日付を指定してください"}


@pytest.mark.parametrize(("low", "high", "low_ja", "high_ja"), DATE_RANGES)
@pytest.mark.parametrize("typed", ["2024-02-30", "2024/04/01", "20240401", "2024-4-1", "令和6年4月1日", "yesterday"])
def test_a_malformed_date_names_its_field(low, high, low_ja, high_ja, typed):
    assert refused({low: typed}) == {low: f"{low_ja}は存在する日付をYYYY-MM-DD形式で入力してください"}
    assert refused({high: typed}) == {high: f"{high_ja}は存在する日付をYYYY-MM-DD形式で入力してください"}


def test_a_date_that_does_not_print_in_wareki_is_refused():
    errors = refused({"issued_from": (EARLIEST_DATE - timedelta(days=1)).isoformat(),
                      "issued_to": (LATEST_DATE + timedelta(days=1)).isoformat()})
    assert set(errors) == {"issued_from", "issued_to"}
    assert "明治" in errors["issued_from"]


def test_full_width_dates_and_amounts_are_read():
    criteria = parse_search({"issued_from": full_width("2024-04-01"), "guarantee_amount_max": "１０，０００，０００",
                             "contract_amount_min": full_width(" 5000 ")})
    assert criteria.range_of(SearchKey.ISSUED_ON) == DateRange(SearchKey.ISSUED_ON, date(2024, 4, 1), None)
    assert criteria.range_of(SearchKey.GUARANTEE_AMOUNT) == AmountRange(SearchKey.GUARANTEE_AMOUNT, None, 10_000_000)
    assert criteria.range_of(SearchKey.CONTRACT_AMOUNT) == AmountRange(SearchKey.CONTRACT_AMOUNT, 5000, None)


@pytest.mark.parametrize(("low", "high", "_low_ja", "_high_ja"), AMOUNT_RANGES)
def test_zero_yen_is_a_bound_and_amount_ranges_are_inclusive(low, high, _low_ja, _high_ja):
    (found,) = parse_search({low: "0", high: "0"}).ranges
    assert found == AmountRange(KEY_OF[low], 0, 0) and found.contains(0) and not found.contains(1)


@pytest.mark.parametrize(("low", "high", "low_ja", "high_ja"), AMOUNT_RANGES)
def test_a_reversed_amount_range_names_its_upper_end(low, high, low_ja, high_ja):
    assert refused({low: "1,000,001", high: "1000000"}) == {high: f"{high_ja}は{low_ja}以上の金額を指定してください"}


@pytest.mark.parametrize(("low", "_high", "low_ja", "_high_ja"), AMOUNT_RANGES)
@pytest.mark.parametrize("typed", ["-1", "1.5", "1e6", "10万", "1,0000", ",100", "1 000", "¥1000", "0x10"])
def test_an_amount_that_is_not_yen_digits_names_its_field(low, _high, low_ja, _high_ja, typed):
    assert refused({low: typed}) == {low: f"{low_ja}は0円以上の整数(円)で入力してください"}


def test_an_amount_past_the_bound_is_refused_without_reading_it_as_a_number():
    assert "以下" in refused({"guarantee_amount_max": str(MAX_AMOUNT + 1)})["guarantee_amount_max"]
    assert "以下" in refused({"guarantee_amount_max": "9" * 5000})["guarantee_amount_max"]  # int() would refuse it
    assert parse_search({"guarantee_amount_max": "0" * 30 + "7"}).ranges[0].high == 7


def test_every_bad_field_is_named_at_once():
    with pytest.raises(ValidationFailed) as caught:
        parse_search({"issued_from": "x", "issued_to": "y", "contract_amount_max": "-5", "obligee_id": "境港市",
                      "field": "everything", "format": "xlsx"})
    fields = [e.field for e in caught.value.errors]
    assert fields == ["issued_from", "issued_to", "contract_amount_max", "obligee_id", "field", "format"]
    assert caught.value.message is None  # many faults: no one summary


def test_one_bad_field_is_also_the_summary():
    with pytest.raises(ValidationFailed) as caught:
        parse_search({"format": "pdf"})
    assert caught.value.message == "出力形式はjsonまたはcsvを指定してください"


def test_obligee_and_format():
    criteria = parse_search({"obligee_id": full_width("sakaiminato"), "format": "CSV"})
    assert criteria.obligee_id == "sakaiminato" and criteria.output is OutputFormat.CSV
    assert set(refused({"obligee_id": "a b"})) == {"obligee_id"}


def test_text_search_folds_what_is_typed_as_the_stored_fields_are():
    criteria = parse_search({"field": "project_name", "q": " 道路　改良 "})
    assert criteria.text == TextQuery(TextField.PROJECT_NAME, normalize_search_text("道路改良"))
    assert parse_search({"field": "obligee", "q": "ＳＡＫＡＩ"}).text == TextQuery(TextField.OBLIGEE, "sakai")
    assert parse_search({"field": "contract_number", "q": "２０７０－０００"}).text == \
        TextQuery(TextField.CONTRACT_NUMBER, "2070000")
    assert parse_search({"field": "all", "q": "道路"}).text is None  # 全件 lists everything, as before


def test_bad_text_searches_are_refused():
    assert set(refused({"field": "contractor", "q": "x"})) == {"field"}
    assert refused({"field": "contract_number", "q": "20-70A"}) == {
        "q": "保証契約番号で検索する場合は数字を入力してください"}
    assert "100文字" in refused({"field": "project_name", "q": "工" * 101})["q"]
    assert "U+0007" in refused({"field": "project_name", "q": "工\x07事"})["q"]


@given(st.dates(EARLIEST_DATE, LATEST_DATE), st.dates(EARLIEST_DATE, LATEST_DATE), st.booleans())
def test_any_date_range_is_read_inclusively_or_refused_when_reversed(a, b, wide):
    typed = {"issued_from": a.isoformat(), "issued_to": b.isoformat()}
    if wide:
        typed = {k: full_width(v) for k, v in typed.items()}
    if a > b:
        assert set(refused(typed)) == {"issued_to"}
        return
    (found,) = parse_search(typed).ranges
    assert found.contains(a) and found.contains(b)
    if a > EARLIEST_DATE:
        assert not found.contains(a - timedelta(days=1))
    if b < LATEST_DATE:
        assert not found.contains(b + timedelta(days=1))


@given(st.integers(0, MAX_AMOUNT), st.integers(0, MAX_AMOUNT), st.booleans())
def test_any_amount_range_is_read_inclusively_or_refused_when_reversed(a, b, separators):
    def typed(n: int) -> str:
        return f"{n:,}" if separators else str(n)

    params = {"contract_amount_min": typed(a), "contract_amount_max": typed(b)}
    if a > b:
        assert set(refused(params)) == {"contract_amount_max"}
        return
    (found,) = parse_search(params).ranges
    assert (found.low, found.high) == (a, b)
    assert found.contains(a) and found.contains(b) and not found.contains(a - 1) and not found.contains(b + 1)


def test_the_same_search_typed_differently_has_the_same_scope():
    one = parse_search({"issued_from": "2024-04-01", "guarantee_amount_min": "1,000,000", "field": "project_name",
                        "q": "道路 改良"})
    other = parse_search({"issued_from": full_width("2024-04-01"), "guarantee_amount_min": "1000000",
                          "field": "project_name", "q": "道路改良", "format": "csv"})
    assert one.scope() == other.scope()
    assert one.scope() != parse_search({"issued_to": "2024-04-01"}).scope()  # the other end
    assert one.scope() != parse_search({"contract_date_from": "2024-04-01"}).scope()  # another key


# --- the plan --------------------------------------------------------------------------------------------------

def plan_of(params: dict[str, str], **kw):
    return parse_search(params).plan(**kw)


def test_an_owner_drives_and_its_issue_range_narrows_the_same_key():
    plan = plan_of({"obligee_id": "sakaiminato", "issued_from": "2024-04-01", "guarantee_amount_min": "1"})
    assert plan.driver is Driver.OBLIGEE and plan.obligee_id == "sakaiminato"
    assert plan.key_range == DateRange(SearchKey.ISSUED_ON, date(2024, 4, 1), None)
    assert plan.filters == (AmountRange(SearchKey.GUARANTEE_AMOUNT, 1, None),)


def test_a_closed_range_drives_before_an_open_one_then_dates_before_amounts():
    assert plan_of({"issued_from": "2024-01-01", "contract_amount_min": "1", "contract_amount_max": "9"}).driver \
        is Driver.CONTRACT_AMOUNT
    plan = plan_of({"guarantee_amount_min": "1", "guarantee_amount_max": "9", "contract_date_from": "2024-01-01",
                    "contract_date_to": "2024-12-31", "field": "project_name", "q": "橋"})
    assert plan.driver is Driver.CONTRACT_DATE and plan.order == "contract_date_desc"
    assert [r.key for r in plan.filters] == [SearchKey.GUARANTEE_AMOUNT] and plan.text is not None
    assert plan_of({"contract_amount_max": "9", "guarantee_amount_max": "9"}).driver is Driver.GUARANTEE_AMOUNT


def test_a_partial_match_alone_reads_the_compact_projection():
    plan = plan_of({"field": "obligee", "q": "境港"})
    assert plan.driver is Driver.TEXT and plan.order == "issued_on_desc" and not plan.counted_by_counter


def test_a_whole_number_is_one_item_whoever_searches():
    for across in (False, True):
        plan = plan_of({"field": "contract_number", "q": "2070004426", "obligee_id": "sakaiminato",
                        "issued_to": "2030-01-01"}, across_contractors=across)
        assert plan.driver is Driver.CONTRACT_NUMBER and plan.contract_number == "2070004426"
        assert plan.obligee_id == "sakaiminato" and [r.key for r in plan.filters] == [SearchKey.ISSUED_ON]
    assert plan_of({"field": "contract_number", "q": "20700"}).driver is Driver.TEXT


def test_the_surety_across_contractors_needs_a_condition_with_an_index_of_its_own():
    assert plan_of({"obligee_id": "pref-demo"}, across_contractors=True).driver is Driver.OBLIGEE
    plan = plan_of({"issued_from": "2026-04-01", "issued_to": "2026-04-30", "guarantee_amount_min": "1"},
                   across_contractors=True)
    assert plan.driver is Driver.ISSUED_ON and plan.filters
    for params in ({}, {"contract_date_from": "2026-04-01"}, {"guarantee_amount_min": "1"},
                   {"field": "project_name", "q": "道路"}, {"field": "contract_number", "q": "20700"}):
        with pytest.raises(ValidationFailed) as caught:
            plan_of(params, across_contractors=True)
        assert JAPANESE.search(caught.value.errors[0].message)
    # Month by month from the range's start: an open start is refused, naming it; an open end is today.
    assert fields_refused({"issued_to": "2026-04-30"}, across_contractors=True) == ["issued_from"]
    assert plan_of({"issued_from": "2026-04-01"}, across_contractors=True).key_range.high is None
    assert plan_of({"obligee_id": "pref-demo", "issued_to": "2026-04-30"}, across_contractors=True).driver \
        is Driver.OBLIGEE


def fields_refused(params: dict[str, str], **plan_args) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        plan_of(params, **plan_args)
    return [e.field for e in caught.value.errors]


def test_every_order_has_its_japanese_name():
    orders = {criteria.plan().order for criteria in (
        parse_search({}), parse_search({"contract_date_from": "2024-01-01"}),
        parse_search({"guarantee_amount_min": "1"}), parse_search({"contract_amount_min": "1"}))}
    assert orders == set(ORDER_NAMES_JA)
    assert all(JAPANESE.search(name) for name in ORDER_NAMES_JA.values())


criteria_strategy = st.builds(
    SearchCriteria,
    ranges=st.lists(st.sampled_from(list(SearchKey)), unique=True).flatmap(
        lambda keys: st.tuples(*[
            st.builds(DateRange, st.just(k), st.none() | st.just(date(2024, 1, 1)), st.just(date(2024, 12, 31)))
            if k in (SearchKey.ISSUED_ON, SearchKey.CONTRACT_DATE) else
            st.builds(AmountRange, st.just(k), st.none() | st.just(0), st.just(10**9))
            for k in sorted(keys)])),
    obligee_id=st.none() | st.just("sakaiminato"),
    text=st.none() | st.sampled_from([TextQuery(TextField.PROJECT_NAME, "道路"), TextQuery(TextField.OBLIGEE, "境港"),
                                      TextQuery(TextField.CONTRACT_NUMBER, "0044")]),
)


@given(criteria_strategy)
def test_a_plan_keeps_every_condition_exactly_once(criteria):
    plan = criteria.plan()
    in_key = [plan.key_range] if plan.key_range is not None else []
    assert sorted(in_key + list(plan.filters), key=lambda r: r.key) == sorted(criteria.ranges, key=lambda r: r.key)
    assert plan.text == criteria.text
    assert (plan.obligee_id == criteria.obligee_id) if criteria.obligee_id else plan.obligee_id is None
    if criteria.ranges or criteria.obligee_id:
        assert plan.driver not in (Driver.LIST, Driver.TEXT)  # an indexed condition always drives


def test_matches_is_the_whole_search():
    base = row()
    assert parse_search({}).matches(base)
    on_the_day = {"issued_from": base.issued_on.isoformat(), "issued_to": base.issued_on.isoformat()}
    assert parse_search(on_the_day).matches(base)
    assert not parse_search({"issued_from": (base.issued_on + timedelta(days=1)).isoformat()}).matches(base)
    assert parse_search({"guarantee_amount_min": "36,000,000", "guarantee_amount_max": "36000000"}).matches(base)
    assert not parse_search({"contract_amount_max": "99999999"}).matches(base)
    assert not parse_search({"obligee_id": "pref-demo"}).matches(base)
    assert parse_search({"field": "project_name", "q": "竹内線"}).matches(base)
    assert parse_search({"field": "obligee", "q": "境港"}).matches(base)
    assert not parse_search({"field": "obligee", "q": "竹内線"}).matches(base)
    assert parse_search({"field": "contract_number", "q": "0044"}).matches(base)


# --- the pager -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "offset", "size", "pages"),
                         [(0, 0, 0, 1), (1, 0, 1, 1), (20, 0, 20, 1), (21, 20, 1, 2), (40, 20, 20, 2), (41, 40, 1, 3)])
def test_the_last_page_is_what_the_full_pages_leave(total, offset, size, pages):
    window = PageWindow.last_page(total, 20)
    assert (window.offset, window.size, window.pages, window.number) == (offset, size, pages, pages if total else 1)
    assert (window.first_row, window.last_row) == ((offset + 1, total) if total else (0, 0))


@given(st.integers(1, 100_000), st.integers(1, 100))
def test_the_last_page_is_never_empty_nor_more_than_a_page(total, per_page):
    window = PageWindow.last_page(total, per_page)
    assert 1 <= window.size <= per_page and window.offset % per_page == 0
    assert window.last_row == total and window.number == window.pages


# --- CSV -------------------------------------------------------------------------------------------------------

def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(CSV_BOM.encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_a_bom_a_japanese_header_and_plain_values():
    rows = [row(), row(contract_number="2070004427", guarantee_type=GuaranteeType.PERFORMANCE, amended=True,
                       version=2, status=GuaranteeStatus.CANCELLED, delivery=Delivery.PAPER)]
    data = csv_document(rows)
    assert data.count(b"\r\n") == 3 and data.endswith(b"\r\n")
    header, first, second = read_csv(data)
    assert header[:11] == ["保証契約番号", "区分", "発注者", "工事名", "契約日", "証書発行日", "工期末日", "保証期間",
                           "請負金額", "保証金額", "状態"]
    assert header == csv_header()
    cells = dict(zip(header, first, strict=True))
    base = rows[0]
    assert cells == {
        "保証契約番号": "2070004426", "区分": "前払金保証", "発注者": "境港市長", "工事名": base.project_name,
        "契約日": base.contract_date.isoformat(), "証書発行日": base.issued_on.isoformat(),
        "工期末日": base.completion_date.isoformat(), "保証期間": base.guarantee_period_end.isoformat(),
        "請負金額": "100000000", "保証金額": "36000000", "状態": "有効", "請負金額(対象額)": "90000000",
        "版": "1", "変更契約": "", "交付方法": "電子",
    }
    other = dict(zip(header, second, strict=True))
    assert (other["区分"], other["状態"], other["版"], other["変更契約"], other["交付方法"]) == \
        ("契約保証", "解約", "2", "変更", "書面")


def test_csv_of_nothing_is_its_header():
    assert read_csv(csv_document([])) == [csv_header()]


def test_csv_quotes_what_needs_quoting():
    tricky = row(project_name='第1工区, "渡町"側 工事', obligee_name="境港市長")
    header, cells = read_csv(csv_document([tricky]))
    assert dict(zip(header, cells, strict=True))["工事名"] == '第1工区, "渡町"側 工事'


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://example.com\")", "+1", "-1+1", "@SUM(A1)", "\tx", "＝1+1",
                                  "＋1", "－2", "＠x"])
def test_a_text_cell_that_would_be_a_formula_stays_text(text):
    header, cells = read_csv(csv_document([row(project_name=text, obligee_name=text, contractor_name=text)],
                                          with_contractor=True))
    got = dict(zip(header, cells, strict=True))
    assert got["工事名"] == got["発注者"] == got["保証契約者"] == "'" + text
    assert got["保証金額"] == "36000000"  # numbers are ours and never marked


def test_ordinary_text_is_left_alone():
    for text in ("市道渡町線", "'quoted", "1工区", "(仮称)新庁舎", ""):
        assert spreadsheet_safe(text) == text


def test_the_surety_csv_says_whose_each_is():
    header, cells = read_csv(csv_document([row()], with_contractor=True))
    assert header[-2:] == ["保証契約者", "保証契約者ID"] and cells[-2:] == ["株式会社○○建設", "contractor-1"]


def test_csv_lines_stream_one_row_at_a_time():
    lines = csv_lines(row(contract_number=str(2070000000 + i)) for i in range(3))
    first = next(lines)
    assert first.startswith(CSV_BOM) and first.endswith("\r\n") and first.count("\r\n") == 1
    assert [line.split(",")[0] for line in lines] == ["2070000000", "2070000001", "2070000002"]


def test_a_csv_past_its_bound_says_how_many_and_what_to_do():
    message = csv_too_large_message(MAX_CSV_ROWS + 1)
    assert f"{MAX_CSV_ROWS + 1:,}件" in message and f"{MAX_CSV_ROWS:,}件" in message and "絞り込" in message
    uncounted = csv_too_large_message(None)  # across contractors: reading stops at the bound
    assert f"{MAX_CSV_ROWS:,}件を超えて" in uncounted and "絞り込" in uncounted and "件あり" not in uncounted


def test_the_download_is_named_for_the_list_and_the_day():
    disposition = csv_content_disposition(date(2026, 12, 6))
    assert disposition.startswith('attachment; filename="certificates-20261206.csv"; ')
    assert disposition.isascii()
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "保証工事一覧_20261206.csv"


def test_a_row_is_read_from_a_version():
    version = CertificateVersion(
        contract_number="2070004426", version=2, guarantee_type=GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT,
        delivery=Delivery.ELECTRONIC, work_category=WorkCategory.CONSTRUCTION, contractor_id="contractor-1",
        obligee_id="sakaiminato", contractor_name="株式会社○○建設", contractor_address="境港市上道町3000番地",
        obligee_name="境港市長", contract_date=date(2026, 4, 1),
        terms=StatedTerms("道路改良工事", date(2027, 3, 31), date(2027, 4, 30), 100_000_000, 80_000_000, 16_000_000,
                          "山陰銀行 境港支店"),
        issued_on=date(2026, 5, 1), issued_at=datetime(2026, 5, 1, 3, tzinfo=UTC), issued_by="surety", amended=True,
    )
    got = CertificateRow.of(version)
    assert (got.contract_amount_covered, got.guarantee_period_end, got.version, got.amended) == \
        (80_000_000, date(2027, 4, 30), 2, True)
    assert got.value(SearchKey.CONTRACT_AMOUNT) == 100_000_000 and got.value(SearchKey.ISSUED_ON) == date(2026, 5, 1)


# --- the registry ------------------------------------------------------------------------------------------

def test_a_company_is_found_by_its_name_without_its_legal_form():
    for name in ("株式会社○○建設", "○○建設株式会社", "㈱○○建設", "○○建設（株）", " ○○ 建設 ", "有限会社○○建設"):
        assert company_name_key(name) == normalize_search_text("○○建設"), name
    assert company_name_key("株式会社○○").startswith(company_name_key("株式会社○"))
    assert company_name_key("株式会社") == "株式会社"  # nothing but a legal form stays as it is
