import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.policy import RatioRule, check_amount_rule, ratio_rules
from chalicelib.domain.types import Delivery, GuaranteeType, WorkCategory
from chalicelib.domain.validation import (
    FieldError,
    IssueRequest,
    ValidationFailed,
    parse_issue_request,
)
from tests.support.api import FIELD_NAMES, JAPANESE

NAMES = FIELD_NAMES  # the Japanese name each message must carry (tests/support/api.py writes them out)
REQUIRED = [
    "guarantee_type",
    "contractor_id",
    "obligee_id",
    "work_category",
    "project_name",
    "contract_date",
    "completion_date",
    "contract_amount_total",
    "guarantee_amount",
    "delivery",
]
AMOUNTS = ["contract_amount_total", "contract_amount_covered", "guarantee_amount"]


def valid_body(**changes):
    body = {
        "guarantee_type": "advance_payment",
        "contractor_id": "contractor-1",
        "obligee_id": "sakaiminato",
        "work_category": "construction",
        "project_name": "市道渡町竹内線道路改良工事",
        "contract_date": "2024-04-01",
        "completion_date": "2025-03-31",
        "contract_amount_total": 100_000_000,
        "guarantee_amount": 40_000_000,
        "deposit_bank": "山陰合同銀行 境港支店",
        "delivery": "electronic",
    }
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def errors_of(body) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as info:
        parse_issue_request(body)
    return info.value.errors


def only_error(body, field: str) -> str:
    """The single error of `body`, which must be on `field`, in Japanese and naming the item."""
    errors = errors_of(body)
    assert [e.field for e in errors] == [field], errors
    message = errors[0].message
    assert JAPANESE.search(message), message
    assert NAMES[field] in message, message
    return message


# --- valid requests ------------------------------------------------------------------------------


def test_valid_advance_request_parses_with_defaults():
    request = parse_issue_request(valid_body())
    assert request == IssueRequest(
        guarantee_type=GuaranteeType.ADVANCE_PAYMENT,
        contractor_id="contractor-1",
        obligee_id="sakaiminato",
        work_category=WorkCategory.CONSTRUCTION,
        project_name="市道渡町竹内線道路改良工事",
        contract_date=date(2024, 4, 1),
        completion_date=date(2025, 3, 31),
        contract_amount_total=100_000_000,
        contract_amount_covered=100_000_000,
        guarantee_amount=40_000_000,
        guarantee_period_end=date(2025, 3, 31),
        deposit_bank="山陰合同銀行 境港支店",
        delivery=Delivery.ELECTRONIC,
    )


def test_explicit_optional_values_are_used():
    request = parse_issue_request(
        valid_body(contract_amount_covered=90_000_000, guarantee_period_end="2025-04-30", guarantee_amount=1)
    )
    assert request.contract_amount_covered == 90_000_000
    assert request.guarantee_period_end == date(2025, 4, 30)


def test_null_optionals_take_their_defaults():
    request = parse_issue_request(valid_body(contract_amount_covered=None, guarantee_period_end=None))
    assert request.contract_amount_covered == 100_000_000
    assert request.guarantee_period_end == date(2025, 3, 31)


@pytest.mark.parametrize("bank", [..., None, "", "  "])
def test_performance_without_deposit_bank_is_valid(bank):
    request = parse_issue_request(
        valid_body(
            guarantee_type="performance", guarantee_amount=10_000_000, deposit_bank=bank, delivery="paper"
        )
    )
    assert request.guarantee_type is GuaranteeType.PERFORMANCE
    assert request.deposit_bank is None
    assert request.delivery is Delivery.PAPER


def test_project_name_is_stripped():
    assert parse_issue_request(valid_body(project_name="\u3000 工事 ")).project_name == "工事"


def test_boundary_lengths_and_values_are_accepted():
    request = parse_issue_request(
        valid_body(
            contractor_id="a" * 64,
            obligee_id="A-_9",
            project_name="工" * 200,
            deposit_bank="銀" * 100,
            contract_amount_total=10**13,
            guarantee_amount=1,
            contract_date="2024-02-29",
            completion_date="2024-02-29",
            guarantee_period_end="2024-02-29",
        )
    )
    assert request.contract_amount_total == 10**13
    assert request.completion_date == request.contract_date == date(2024, 2, 29)


# --- body and presence ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, [], "guarantee", 1, [valid_body()]])
def test_body_must_be_an_object(body):
    errors = errors_of(body)
    assert [e.field for e in errors] == ["body"]
    assert "JSONオブジェクト" in errors[0].message


@pytest.mark.parametrize("field", REQUIRED)
def test_each_required_field(field):
    message = only_error(valid_body(**{field: ...}), field)
    assert message == f"{NAMES[field]}は必須です"


def test_empty_object_reports_every_required_field():
    assert [e.field for e in errors_of({})] == REQUIRED


def test_unknown_field_is_refused_by_name():
    errors = errors_of(valid_body(guarantee_ammount=1))
    assert [e.field for e in errors] == ["guarantee_ammount"]
    assert errors[0].message == "「guarantee_ammount」は受け付けられない項目です"


# --- single fields -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "allowed"),
    [
        ("guarantee_type", ["前払金保証・中間前払金保証・契約保証"]),
        ("work_category", ["建設工事・測量等業務・物品"]),
        ("delivery", ["電子交付・書面交付"]),
    ],
)
@pytest.mark.parametrize("value", ["ADVANCE_PAYMENT", "前払", "", None, 1, ["paper"]])
def test_enums_list_allowed_values_in_japanese(field, allowed, value):
    message = only_error(valid_body(**{field: value}), field)
    for option in allowed:
        assert option in message
    # People read labels, not the API's codes (those are in openapi.yaml).
    assert not any(code in message for code in ("construction", "advance_payment", "electronic", "goods"))


@pytest.mark.parametrize("field", ["contractor_id", "obligee_id"])
@pytest.mark.parametrize("value", ["", "a" * 65, "a b", "a/b", "境港市", "abc\n", 123, None])
def test_ids(field, value):
    message = only_error(valid_body(**{field: value}), field)
    assert "半角英数字" in message


@pytest.mark.parametrize("value", ["", "   ", "\u3000", None])
def test_project_name_is_required(value):
    assert only_error(valid_body(project_name=value), "project_name") == "工事名は必須です"


@pytest.mark.parametrize("value", ["工" * 201, 123])
def test_project_name_type_and_length(value):
    assert only_error(valid_body(project_name=value), "project_name") == "工事名は200文字以内の文字列で入力してください"


@pytest.mark.parametrize("value", ["銀" * 101, 1, ["銀行"]])
def test_deposit_bank_type_and_length(value):
    assert "100文字以内" in only_error(valid_body(deposit_bank=value), "deposit_bank")


@pytest.mark.parametrize("field", AMOUNTS)
@pytest.mark.parametrize("value", [0, -1, 1.0, 1.5, 1e8, "1000", "1,000", "１０００", True, False, [], {}])
def test_amounts_must_be_positive_json_integers(field, value):
    message = only_error(valid_body(**{field: value}), field)
    assert message == f"{NAMES[field]}は1円以上の整数(円)で入力してください"


@pytest.mark.parametrize("field", ["contract_amount_total", "guarantee_amount"])
def test_required_amount_null_is_refused(field):
    message = only_error(valid_body(**{field: None}), field)
    assert message == f"{NAMES[field]}は1円以上の整数(円)で入力してください"


@pytest.mark.parametrize("field", AMOUNTS)
def test_amounts_above_the_range_are_refused(field):
    message = only_error(valid_body(**{field: 10**13 + 1}), field)
    assert "10,000,000,000,000円以下" in message


@pytest.mark.parametrize("field", ["contract_date", "completion_date", "guarantee_period_end"])
@pytest.mark.parametrize(
    "value",
    [
        "2023-02-30",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "0000-01-01",
        "2024-4-1",
        "20240401",
        "2024/04/01",
        "2024-04-01T00:00:00",
        "２０２４-０４-０１",
        "2024-W14-1",
        "",
        20240401,
    ],
)
def test_dates_must_exist_in_iso_form(field, value):
    # Keep the other dates at their earliest so no cross-field rule can fire on a parsed odd value.
    body = valid_body(**{"contract_date": "2000-01-01", "completion_date": "2099-12-31", field: value})
    message = only_error(body, field)
    assert message == f"{NAMES[field]}は存在する日付をYYYY-MM-DD形式で入力してください"


def test_february_30_is_refused():
    only_error(valid_body(contract_date="2023-02-30"), "contract_date")


# --- cross-field rules ---------------------------------------------------------------------------


def test_completion_before_contract_is_refused():
    # The defaulted guarantee_period_end is not blamed too: the person did not type it.
    message = only_error(
        valid_body(contract_date="2024-04-01", completion_date="2024-03-31"), "completion_date"
    )
    assert NAMES["contract_date"] in message and "以降" in message


def test_completion_and_explicit_period_end_before_contract_are_both_refused():
    body = valid_body(
        contract_date="2024-04-01", completion_date="2024-03-31", guarantee_period_end="2024-03-31"
    )
    assert [e.field for e in errors_of(body)] == ["completion_date", "guarantee_period_end"]


def test_completion_and_period_end_on_contract_date_are_accepted():
    body = valid_body(
        contract_date="2024-04-01", completion_date="2024-04-01", guarantee_period_end="2024-04-01"
    )
    assert parse_issue_request(body).guarantee_period_end == date(2024, 4, 1)


def test_guarantee_period_end_before_contract_is_refused():
    body = valid_body(contract_date="2024-04-01", guarantee_period_end="2024-03-31")
    message = only_error(body, "guarantee_period_end")
    assert NAMES["contract_date"] in message and "以降" in message


def test_covered_above_total_is_refused():
    body = valid_body(contract_amount_total=100, contract_amount_covered=101, guarantee_amount=1)
    message = only_error(body, "contract_amount_covered")
    assert NAMES["contract_amount_total"] in message and "以下" in message


def test_covered_equal_to_total_is_accepted():
    body = valid_body(contract_amount_total=100, contract_amount_covered=100, guarantee_amount=1)
    assert parse_issue_request(body).contract_amount_covered == 100


@pytest.mark.parametrize("guarantee_type", [t.value for t in GuaranteeType])
def test_guarantee_above_covered_is_refused_for_every_type(guarantee_type):
    bank = None if guarantee_type == "performance" else "銀行"
    body = valid_body(
        guarantee_type=guarantee_type,
        deposit_bank=bank,
        contract_amount_total=1000,
        contract_amount_covered=500,
        guarantee_amount=501,
    )
    message = only_error(body, "guarantee_amount")
    assert NAMES["contract_amount_covered"] in message and "以下" in message
    assert parse_issue_request({**body, "guarantee_amount": 500}).guarantee_amount == 500


def test_guarantee_is_compared_with_defaulted_covered():
    only_error(valid_body(contract_amount_total=1000, guarantee_amount=1001), "guarantee_amount")


@pytest.mark.parametrize("guarantee_type", ["advance_payment", "intermediate_advance_payment"])
@pytest.mark.parametrize("bank", [..., None, "", " "])
def test_deposit_bank_required_for_advance_types(guarantee_type, bank):
    message = only_error(valid_body(guarantee_type=guarantee_type, deposit_bank=bank), "deposit_bank")
    assert message.endswith("必須です")
    assert GuaranteeType(guarantee_type).name_ja in message


def test_deposit_bank_refused_for_performance():
    body = valid_body(guarantee_type="performance", guarantee_amount=10_000_000, deposit_bank="山陰合同銀行")
    assert only_error(body, "deposit_bank") == "契約保証では預託金融機関は指定できません"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # A bad contract_date is reported once, not again as "completion before contract".
        ({"contract_date": "2024-02-30", "completion_date": "2000-01-01"}, "contract_date"),
        ({"completion_date": "bad", "guarantee_period_end": ...}, "completion_date"),
        (
            {"contract_amount_total": "1000", "contract_amount_covered": 5, "guarantee_amount": 1},
            "contract_amount_total",
        ),
        ({"contract_amount_total": 1.5, "guarantee_amount": 5}, "contract_amount_total"),
        ({"contract_amount_covered": 0}, "contract_amount_covered"),
        ({"guarantee_type": "advance", "deposit_bank": ...}, "guarantee_type"),
        (
            {"guarantee_type": "performance", "deposit_bank": "銀" * 101, "guarantee_amount": 1},
            "deposit_bank",
        ),
    ],
)
def test_cross_field_rules_skip_invalid_fields(changes, field):
    errors = errors_of(valid_body(**changes))
    assert [e.field for e in errors] == [field], errors


def test_all_errors_are_reported_together():
    body = valid_body(
        guarantee_type="performance",
        contractor_id="",
        obligee_id=...,
        work_category="goods!",
        project_name="",
        contract_date="2024-04-01",
        completion_date="2024-03-01",
        contract_amount_total=1000,
        contract_amount_covered=2000,
        guarantee_amount=1.0,
        guarantee_period_end="2023-02-30",
        deposit_bank="銀行",
        delivery="fax",
        note="x",
    )
    with pytest.raises(ValidationFailed) as info:
        parse_issue_request(body)
    fields = [e.field for e in info.value.errors]
    assert sorted(fields) == sorted(
        [
            "contractor_id",
            "obligee_id",
            "work_category",
            "project_name",
            "guarantee_amount",
            "guarantee_period_end",
            "delivery",
            "note",
            "completion_date",
            "contract_amount_covered",
            "deposit_bank",
        ]
    )
    assert len(fields) == len(set(fields))
    for error in info.value.errors:
        assert JAPANESE.search(error.message)
        if error.field in NAMES:
            assert NAMES[error.field] in error.message
    summary = str(info.value)
    assert summary.startswith("入力内容に誤りがあります: ")
    for field in fields:
        assert field in summary


def test_summary_names_fields_in_order_once():
    exc = ValidationFailed([FieldError("guarantee_amount", "a"), FieldError("contract_date", "b")])
    assert str(exc) == "入力内容に誤りがあります: guarantee_amount, contract_date"
    assert exc.errors == [FieldError("guarantee_amount", "a"), FieldError("contract_date", "b")]


def test_field_error_is_frozen():
    error = FieldError("guarantee_amount", "x")
    with pytest.raises(AttributeError):
        error.field = "other"  # type: ignore[misc]


# --- ratio rules ---------------------------------------------------------------------------------


def test_default_ratio_rules():
    assert ratio_rules(None) == {
        GuaranteeType.ADVANCE_PAYMENT: RatioRule("max", 40),
        GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT: RatioRule("max", 20),
        GuaranteeType.PERFORMANCE: RatioRule("min", 10),
    }
    assert ratio_rules({}) == ratio_rules(None)


def test_owner_overrides_replace_defaults():
    rules = ratio_rules({"advance_payment": {"kind": "max", "percent": 30},
                         "performance": {"kind": "min", "percent": 30}})
    assert rules[GuaranteeType.ADVANCE_PAYMENT] == RatioRule("max", 30)
    assert rules[GuaranteeType.PERFORMANCE] == RatioRule("min", 30)
    assert rules[GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT] == RatioRule("max", 20)


def test_an_override_names_its_kind():
    # Registration and use agree: an override that gives only a percent is refused (the kind is the owner's
    # explicit choice, never silently the default's), here as at PUT /v1/obligees.
    with pytest.raises(ValueError):
        ratio_rules({"performance": {"percent": 30}})


@pytest.mark.parametrize(
    "overrides",
    [
        {"bid_bond": {"kind": "max", "percent": 5}},
        {"performance": {"kind": "exact", "percent": 10}},
        {"performance": {"percent": 0}},
        {"performance": {"percent": 101}},
        {"performance": {"percent": 10.5}},
        {"performance": {"percent": "10"}},
        {"performance": {"percent": True}},
        {"performance": 10},
    ],
)
def test_bad_overrides_raise(overrides):
    with pytest.raises(ValueError):
        ratio_rules(overrides)


RULES = ratio_rules(None)


@pytest.mark.parametrize(
    ("guarantee_type", "at_edge", "beyond", "expected"),
    [
        (GuaranteeType.ADVANCE_PAYMENT, 40_000_000, 40_000_001, "40%以下としてください(上限 40,000,000円)"),
        (
            GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT,
            20_000_000,
            20_000_001,
            "20%以下としてください(上限 20,000,000円)",
        ),
        (GuaranteeType.PERFORMANCE, 10_000_000, 9_999_999, "10%以上としてください(下限 10,000,000円)"),
    ],
)
def test_ratio_edges(guarantee_type, at_edge, beyond, expected):
    rule = RULES[guarantee_type]
    assert check_amount_rule(at_edge, 100_000_000, rule) is None
    error = check_amount_rule(beyond, 100_000_000, rule)
    assert error is not None
    assert error.field == "guarantee_amount"
    assert error.message == f"保証金額は請負金額(対象額)の{expected}"


def test_ratio_bounds_round_inwards():
    # 40% of 1,234,567 is 493,826.8: the cap is 493,826. 10% is 123,456.7: the floor is 123,457.
    advance, performance = RULES[GuaranteeType.ADVANCE_PAYMENT], RULES[GuaranteeType.PERFORMANCE]
    assert check_amount_rule(493_826, 1_234_567, advance) is None
    error = check_amount_rule(493_827, 1_234_567, advance)
    assert error is not None and "上限 493,826円" in error.message
    assert check_amount_rule(123_457, 1_234_567, performance) is None
    error = check_amount_rule(123_456, 1_234_567, performance)
    assert error is not None and "下限 123,457円" in error.message


def test_ratio_is_exact_where_floats_are_not():
    # 100 * (29 / 100) == 28.999999999999996 in floats: a float rule would refuse exactly 29%.
    rule = RatioRule("max", 29)
    assert check_amount_rule(29_000_000, 100_000_000, rule) is None
    assert check_amount_rule(29_000_001, 100_000_000, rule) is not None
    min_rule = RatioRule("min", 29)
    assert check_amount_rule(29_000_000, 100_000_000, min_rule) is None
    assert check_amount_rule(28_999_999, 100_000_000, min_rule) is not None


@given(st.integers(1, 10**13), st.integers(1, 100), st.sampled_from(["max", "min"]))
def test_stated_bound_is_exactly_the_edge(covered, percent, kind):
    rule = RatioRule(kind, percent)
    beyond = covered * percent // 100 + 1 if kind == "max" else -(-covered * percent // 100) - 1
    error = check_amount_rule(beyond, covered, rule)
    assert error is not None
    bound = int(re.search(r"限 ([0-9,]+)円", error.message)[1].replace(",", ""))
    assert check_amount_rule(bound, covered, rule) is None
    assert abs(bound - beyond) == 1


def test_guarantee_period_ending_before_completion_is_refused():
    body = valid_body(contract_date="2024-04-01", completion_date="2025-03-31", guarantee_period_end="2025-03-30")
    message = only_error(body, "guarantee_period_end")
    assert "工期末日以降" in message
    later = valid_body(contract_date="2024-04-01", completion_date="2025-03-31", guarantee_period_end="2025-04-30")
    assert parse_issue_request(later).guarantee_period_end == date(2025, 4, 30)
