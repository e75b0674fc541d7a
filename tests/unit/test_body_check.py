"""The one way a request body is checked (chalicelib.domain.validation): each message worded once and built from
its bound in chalicelib.domain.limits, whichever parser uses it."""

from datetime import date

import pytest

from chalicelib.domain import limits
from chalicelib.domain.amendment import plan_amendment
from chalicelib.domain.parties import parse_contractor, parse_obligee
from chalicelib.domain.validation import (
    BodyCheck,
    FieldError,
    Invalid,
    ValidationFailed,
    amount,
    business_date,
    contract_number,
    identifier,
    optional_text,
    required_text,
    typed_auth_key,
    unknown_fields,
)


def message_of(parse, *args) -> str:
    with pytest.raises(Invalid) as caught:
        parse(*args)
    return caught.value.message


def test_unknown_fields_are_named_in_one_wording_in_name_order():
    assert unknown_fields({"b": 1, "name": 2, "a": 3}, ("name",)) == [
        FieldError("a", "「a」は受け付けられない項目です"), FieldError("b", "「b」は受け付けられない項目です")]


@pytest.mark.parametrize("value", [None, "", "  ", "\u3000"])
def test_required_text_absent_or_blank(value):
    assert message_of(required_text, "工事名", value, 10) == "工事名は必須です"
    assert optional_text("工事名", value, 10) is None


@pytest.mark.parametrize("value", ["x" * 11, 1, ["x"], {"x": 1}])
def test_text_type_and_length_name_the_bound(value):
    assert message_of(required_text, "工事名", value, 10) == "工事名は10文字以内の文字列で入力してください"


def test_text_is_stripped_and_may_be_exactly_the_bound():
    assert required_text("工事名", " \u3000" + "工" * 10 + " ", 10) == "工" * 10


@pytest.mark.parametrize(("value", "shown"), [("A\u0000B", "U+0000"), ("A\u202eB", "U+202E"), ("A\u200bB", "U+200B")])
def test_text_that_cannot_print_names_the_characters(value, shown):
    message = message_of(required_text, "工事名", value, 10)
    assert message.startswith("工事名に使用できない文字") and shown in message


def test_identifier_message_is_built_from_its_bound():
    assert identifier("発注者ID", "a" * limits.ID_MAX) == "a" * limits.ID_MAX
    assert message_of(identifier, "発注者ID", "a" * (limits.ID_MAX + 1)) == (
        f"発注者IDは半角英数字・ハイフン・アンダースコアの1〜{limits.ID_MAX}文字で入力してください")


def test_amount_bounds():
    assert amount("保証金額", limits.MAX_AMOUNT) == limits.MAX_AMOUNT
    assert message_of(amount, "保証金額", limits.MAX_AMOUNT + 1) == (
        f"保証金額は{limits.MAX_AMOUNT:,}円以下の整数(円)で入力してください")


def test_business_date_range():
    assert business_date("契約日", limits.EARLIEST_DATE.isoformat()) == limits.EARLIEST_DATE
    assert "明治元年10月23日から" in message_of(business_date, "契約日", "1868-10-22")
    assert business_date("契約日", "2024-02-29") == date(2024, 2, 29)


@pytest.mark.parametrize("typed", ["2070004426", "２０７０００４４２６", "207-000-4426", " 2070004426 "])
def test_contract_number_as_typed(typed):
    assert contract_number("保証契約番号", typed) == "2070004426"


@pytest.mark.parametrize("typed", ["207000442", "20700044260", "abc", None, 2070004426])
def test_contract_number_one_message(typed):
    assert message_of(contract_number, "保証契約番号", typed) == (
        f"保証契約番号は{limits.CONTRACT_NUMBER_DIGITS}桁の数字で入力してください")


def test_typed_auth_key():
    assert typed_auth_key("認証キー", "abcde-fghjk") == "ABCDEFGHJK"
    assert "英数字10文字" in message_of(typed_auth_key, "認証キー", "ABC")


def test_body_check_collects_every_fault_unknown_fields_first():
    check = BodyCheck({"name": "", "colour": "red", "size": 1}, ("name", "size"))
    assert check.field("name", required_text, "名前", 5) is None
    assert check.field("size", amount, "大きさ") == 1
    with pytest.raises(ValidationFailed) as caught:
        check.done()
    assert caught.value.errors == [FieldError("colour", "「colour」は受け付けられない項目です"),
                                   FieldError("name", "名前は必須です")]


def test_body_check_without_allowed_fields_ignores_extra_ones():
    check = BodyCheck({"contract_number": "2070004426", "extra": 1}, None)
    assert check.field("contract_number", contract_number, "保証契約番号") == "2070004426"
    check.done()


# Every parser of the service words the same fault the same way.

def _errors(parse, *args) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse(*args)
    return {e.field: e.message for e in caught.value.errors}


def test_registry_bodies_use_the_same_wording():
    contractor = _errors(parse_contractor, "c-1", {"name": "", "address": "a" * (limits.ADDRESS_MAX + 1),
                                                   "email": "x@example.jp", "colour": 1})
    assert contractor == {
        "colour": "「colour」は受け付けられない項目です",
        "name": "保証契約者名は必須です",
        "address": f"保証契約者の住所は{limits.ADDRESS_MAX}文字以内の文字列で入力してください",
    }
    obligee = _errors(parse_obligee, "o-1", {"name": "境港市長", "e_guarantee_start_date": "2024-02-30",
                                             "eligible_work_categories": [], "submission_method": "email",
                                             "contact_email": "x@example.jp"})
    assert obligee == {"e_guarantee_start_date": "電子保証の開始日は存在する日付をYYYY-MM-DD形式で入力してください"}


def test_an_amendment_tells_a_fixed_field_from_an_unknown_one():
    current = {"guarantee_type": "advance_payment", "contractor_id": "c", "obligee_id": "o",
               "work_category": "construction", "project_name": "工事", "contract_date": "2024-04-01",
               "completion_date": "2025-03-31", "contract_amount_total": 100, "contract_amount_covered": 100,
               "guarantee_amount": 40, "guarantee_period_end": "2025-03-31", "deposit_bank": "銀行",
               "delivery": "electronic"}
    errors = _errors(plan_amendment, current, {"expected_version": 1, "expected_revision": 1, "obligee_id": "x",
                                                       "colour": "red"})
    assert errors == {"obligee_id": "「obligee_id」は変更できない項目です",
                      "colour": "「colour」は受け付けられない項目です"}
