"""The owners' amount rules by kind of work (domain/policy.py) and what an amendment still obeys. Pure, no AWS."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.policy import (
    DEFAULT_RULES_BY_CATEGORY,
    RatioRule,
    check_amended_amount_rule,
    check_owner_amount_rule,
    parse_ratio_overrides,
    ratio_rules,
    rules_by_category,
)
from chalicelib.domain.types import GuaranteeType, WorkCategory
from chalicelib.domain.validation import ValidationFailed, parse_issue_request
from tests.support.world import issue_body

ADVANCE, INTERMEDIATE, PERFORMANCE = (GuaranteeType.ADVANCE_PAYMENT, GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT,
                                      GuaranteeType.PERFORMANCE)


def test_the_defaults_are_stated_once_by_kind_of_work():
    assert ratio_rules(None, WorkCategory.CONSTRUCTION) == {
        ADVANCE: RatioRule("max", 40), INTERMEDIATE: RatioRule("max", 20), PERFORMANCE: RatioRule("min", 10)}
    # 測量等業務: 30 % and no intermediate advance.
    assert ratio_rules(None, WorkCategory.SURVEY) == {
        ADVANCE: RatioRule("max", 30), INTERMEDIATE: None, PERFORMANCE: RatioRule("min", 10)}
    assert rules_by_category(None)["survey"] == {
        "advance_payment": {"kind": "max", "percent": 30}, "intermediate_advance_payment": None,
        "performance": {"kind": "min", "percent": 10}}
    assert set(rules_by_category(None)) == {c.value for c in DEFAULT_RULES_BY_CATEGORY}


def test_an_owner_overrides_by_kind_of_work_before_its_overall_rule():
    overrides = {"advance_payment": {"kind": "max", "percent": 35},
                 "survey": {"advance_payment": {"kind": "max", "percent": 25},
                            "intermediate_advance_payment": {"kind": "max", "percent": 10}},
                 "construction": {"intermediate_advance_payment": None}}
    assert parse_ratio_overrides(overrides) == overrides
    assert ratio_rules(overrides, WorkCategory.SURVEY)[ADVANCE] == RatioRule("max", 25)
    assert ratio_rules(overrides, WorkCategory.SURVEY)[INTERMEDIATE] == RatioRule("max", 10)
    assert ratio_rules(overrides, WorkCategory.CONSTRUCTION)[ADVANCE] == RatioRule("max", 35)
    assert ratio_rules(overrides, WorkCategory.CONSTRUCTION)[INTERMEDIATE] is None


@pytest.mark.parametrize("overrides", [
    {"survey": {}},
    {"survey": {"bid_bond": {"kind": "max", "percent": 5}}},
    {"survey": {"advance_payment": {"kind": "max", "percent": 0}}},
    {"survey": {"advance_payment": 30}},
    {"civil": {"advance_payment": {"kind": "max", "percent": 30}}},
    {"advance_payment": None},  # only under a kind of work may a type be switched off
])
def test_bad_overrides_by_kind_of_work(overrides):
    with pytest.raises(ValueError):
        parse_ratio_overrides(overrides)


def test_a_survey_advance_is_held_to_30_percent_and_has_no_intermediate():
    at_edge = parse_issue_request(issue_body(work_category="survey", guarantee_amount=30_000_000))
    check_owner_amount_rule(at_edge, None)
    with pytest.raises(ValidationFailed) as over:
        check_owner_amount_rule(replace(at_edge, guarantee_amount=30_000_001), None)
    assert "30%以下" in over.value.errors[0].message
    intermediate = parse_issue_request(issue_body(work_category="survey", guarantee_type="intermediate_advance_payment",
                                                  guarantee_amount=10_000_000))
    with pytest.raises(ValidationFailed) as refused:
        check_owner_amount_rule(intermediate, None)
    (error,) = refused.value.errors
    assert error.field == "guarantee_type"
    assert error.message.startswith("保証区分") and "測量等業務" in error.message and "中間前払金保証" in error.message


def test_an_amendment_obeys_the_cap_only_when_the_guarantee_grows():
    now = parse_issue_request(issue_body())  # 40,000,000 of 100,000,000: at the 40 % cap
    # A smaller price under the same 保証金額: the contract's repayment rule, not the cap (domain/advance.py).
    check_amended_amount_rule(40_000_000, replace(now, contract_amount_covered=60_000_000), None)
    # A smaller 保証金額 with it (what is left after the repayment) is never over the cap either.
    check_amended_amount_rule(40_000_000, replace(now, contract_amount_covered=60_000_000,
                                                  guarantee_amount=30_000_000), None)
    # A larger 保証金額 still obeys the cap against the new price.
    with pytest.raises(ValidationFailed):
        check_amended_amount_rule(40_000_000, replace(now, guarantee_amount=40_000_001), None)
    with pytest.raises(ValidationFailed):
        check_amended_amount_rule(30_000_000, replace(now, contract_amount_covered=60_000_000,
                                                      guarantee_amount=30_000_001), None)
    # 契約保証's minimum binds every change, as at issue.
    performance = parse_issue_request(issue_body(guarantee_type="performance", guarantee_amount=10_000_000,
                                                 deposit_bank=None))
    with pytest.raises(ValidationFailed):
        check_amended_amount_rule(10_000_000, replace(performance, contract_amount_covered=100_000_001), None)
