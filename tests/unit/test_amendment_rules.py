"""変更契約 rules (plan_amendment, describe_changes): which changes issue a new certificate version and which
are only recorded, and that the guarantee after the change is validated like an issue. Pure, no AWS."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.amendment import describe_changes, plan_amendment
from chalicelib.domain.validation import ValidationFailed
from tests.support.world import issue_body

# The guarantee as it stands, in the shape of an issue request (as chalicelib.services.amendments builds it).
CURRENT: dict[str, Any] = issue_body(contract_amount_covered=100_000_000, guarantee_period_end="2025-03-31")
SEEN = {"expected_version": 1, "expected_revision": 1}  # the version and revision the surety read (both required)


def plan(current: dict[str, Any] | None = None, **change: Any) -> Any:
    return plan_amendment(current or CURRENT, {**SEEN, **change})


def test_a_guarantee_as_it_stands_reads_back_as_its_issue_request():
    """domain.validation.issue_body (what an amendment is checked against) and IssueRequest.terms are inverse:
    an unchanged guarantee states the same terms."""
    from datetime import UTC, datetime

    from chalicelib.domain.records import CertificateVersion
    from chalicelib.domain.validation import issue_body, parse_issue_request

    state = parse_issue_request(CURRENT)
    version = CertificateVersion(
        contract_number="2070500001", version=1, guarantee_type=state.guarantee_type, delivery=state.delivery,
        work_category=state.work_category, contractor_id=state.contractor_id, obligee_id=state.obligee_id,
        contractor_name="株式会社○○建設", contractor_address="住所", obligee_name="境港市長",
        contract_date=state.contract_date, terms=state.terms, issued_on=state.contract_date,
        issued_at=datetime(2024, 5, 10, tzinfo=UTC), issued_by="demo-surety")
    assert issue_body(version) == CURRENT
    assert parse_issue_request(issue_body(version)).terms == version.terms


def error_fields(body: dict[str, Any], current: dict[str, Any] | None = None) -> set[str]:
    with pytest.raises(ValidationFailed) as caught:
        plan_amendment(current or CURRENT, body)
    for error in caught.value.errors:
        assert error.message, error  # every error carries a Japanese message
    return {e.field for e in caught.value.errors}


@pytest.mark.parametrize("amount", [45_000_000, 30_000_000], ids=["増額", "減額"])
def test_guarantee_amount_change_issues_a_certificate(amount):
    result = plan(guarantee_amount=amount)
    assert result.issues_certificate is True
    assert result.expected_version == 1
    assert result.changed == {"guarantee_amount": (40_000_000, amount)}
    assert result.state.guarantee_amount == amount
    # Nothing else moved.
    assert result.state.contract_amount_covered == 100_000_000
    assert result.state.guarantee_period_end.isoformat() == "2025-03-31"


@pytest.mark.parametrize("change", [
    {"project_name": "境港市道 渡町線 道路改良工事(その2)"},
    {"deposit_bank": "鳥取銀行 境港支店"},
], ids=["project_name", "deposit_bank"])
def test_printed_items_issue_a_certificate(change):
    result = plan(**change)
    assert result.issues_certificate is True
    (field, value), = change.items()
    assert result.changed == {field: (CURRENT[field], value)}


@pytest.mark.parametrize("change", [
    {"contract_amount_total": 120_000_000},
    {"contract_amount_covered": 90_000_000},
    {"contract_amount_total": 120_000_000, "contract_amount_covered": 110_000_000},
], ids=["total", "covered", "both"])
def test_contract_amount_alone_is_recorded_only(change):
    result = plan(**change)
    assert result.issues_certificate is False
    # A 対象額 equal to the old total follows a new total (see the tests at the end).
    assert set(change) <= set(result.changed) <= set(change) | {"contract_amount_covered"}
    assert result.state.guarantee_amount == 40_000_000
    for field, value in change.items():
        assert getattr(result.state, field) == value


def test_completion_date_alone_is_recorded_and_the_period_follows_it():
    result = plan(completion_date="2025-09-30")
    assert result.issues_certificate is False
    assert result.changed == {
        "completion_date": ("2025-03-31", "2025-09-30"),
        "guarantee_period_end": ("2025-03-31", "2025-09-30"),
    }
    assert result.state.completion_date.isoformat() == "2025-09-30"
    assert result.state.guarantee_period_end.isoformat() == "2025-09-30"
    # Also when the completion date is brought forward.
    earlier = plan(completion_date="2025-01-31")
    assert earlier.issues_certificate is False
    assert earlier.state.guarantee_period_end.isoformat() == "2025-01-31"


def test_completion_date_with_a_period_end_of_its_own_is_recorded_only():
    # 注2: 保証期間の変更は証書を発行しない, also when the surety states the new end itself.
    result = plan(completion_date="2025-09-30", guarantee_period_end="2025-12-31")
    assert result.issues_certificate is False
    assert result.state.completion_date.isoformat() == "2025-09-30"
    assert result.state.guarantee_period_end.isoformat() == "2025-12-31"
    assert set(result.changed) == {"completion_date", "guarantee_period_end"}
    assert result.tells_owner


def test_a_period_change_alone_is_recorded_only_and_tells_the_owner():
    result = plan(guarantee_period_end="2025-06-30")
    assert result.issues_certificate is False
    assert result.changed == {"guarantee_period_end": ("2025-03-31", "2025-06-30")}
    assert result.tells_owner and not result.period_shortened
    assert describe_changes(result.changed) == ["保証期間の末日: 令和7年3月31日 → 令和7年6月30日(保証期間の変更)"]


# The scenario of issue 10: a period extended beyond the works (2027-05-31), then the works extended to 2027-04-30.
EXTENDED = {**CURRENT, "contract_date": "2026-04-01", "completion_date": "2027-03-31",
            "guarantee_period_end": "2027-05-31"}


def test_a_period_agreed_beyond_the_works_is_never_pulled_back_by_the_completion():
    result = plan(EXTENDED, completion_date="2027-04-30")
    assert result.issues_certificate is False
    assert result.changed == {"completion_date": ("2027-03-31", "2027-04-30")}
    assert result.state.guarantee_period_end.isoformat() == "2027-05-31"
    # Works extended past the agreed end: the period follows them.
    later = plan(EXTENDED, completion_date="2027-07-31")
    assert later.state.guarantee_period_end.isoformat() == "2027-07-31"
    assert not later.period_shortened
    # Works brought forward: the agreed end stays.
    assert plan(EXTENDED, completion_date="2027-01-31").state.guarantee_period_end.isoformat() == "2027-05-31"


def test_a_shortened_period_is_said_so():
    result = plan(completion_date="2025-01-31")  # the period ran to the completion date, so it follows it
    assert result.period_shortened
    assert describe_changes(result.changed) == [
        "工期末日: 令和7年3月31日 → 令和7年1月31日",
        "保証期間の末日: 令和7年3月31日 → 令和7年1月31日(工期末日に連動・短縮)",
    ]


def test_a_contract_amount_change_does_not_tell_the_owner():
    assert not plan(contract_amount_total=120_000_000).tells_owner


def test_mixed_change_issues_and_lists_every_change():
    result = plan(guarantee_amount=48_000_000, contract_amount_total=120_000_000,
                  contract_amount_covered=120_000_000)
    assert result.issues_certificate is True
    assert result.changed == {
        "guarantee_amount": (40_000_000, 48_000_000),
        "contract_amount_total": (100_000_000, 120_000_000),
        "contract_amount_covered": (100_000_000, 120_000_000),
    }
    lines = describe_changes(result.changed)
    assert lines == [
        "保証金額: 40,000,000円 → 48,000,000円",
        "請負金額(総額): 100,000,000円 → 120,000,000円",
        "請負金額(対象額): 100,000,000円 → 120,000,000円",
    ]


def test_describe_changes_of_text_and_dates():
    lines = describe_changes(plan(project_name="新工事名", completion_date="2025-09-30",
                                  guarantee_period_end="2025-10-31").changed)
    assert "工事名: 境港市道 渡町線 道路改良工事 → 新工事名" in lines
    assert "工期末日: 令和7年3月31日 → 令和7年9月30日" in lines
    assert "保証期間の末日: 令和7年3月31日 → 令和7年10月31日(工期末日に連動)" in lines


@pytest.mark.parametrize("change", [
    {},
    {"guarantee_amount": 40_000_000},  # the same value as now
    {"project_name": "  境港市道 渡町線 道路改良工事  "},  # the same after trimming
    {"guarantee_period_end": "2025-03-31", "contract_amount_total": 100_000_000},
], ids=["empty", "same-amount", "same-name", "same-everything"])
def test_no_change_is_refused(change):
    assert error_fields({**SEEN, **change}) == {"body"}


def test_unknown_or_fixed_fields_are_refused_by_name():
    assert error_fields({**SEEN, "guarantee_amount": 30_000_000, "colour": "red"}) == {"colour"}
    # Items that identify the guarantee cannot be amended.
    assert error_fields({**SEEN, "guarantee_type": "performance"}) == {"guarantee_type"}
    assert error_fields({**SEEN, "obligee_id": "pref-demo", "contract_date": "2024-04-02"}) == {
        "obligee_id", "contract_date"}
    with pytest.raises(ValidationFailed) as caught:
        plan(colour="red")
    assert "colour" in caught.value.errors[0].message


@pytest.mark.parametrize("expected", [None, 0, -1, "1", 1.0, True], ids=repr)
def test_expected_version_must_be_a_positive_integer(expected):
    body: dict[str, Any] = {"guarantee_amount": 30_000_000, "expected_revision": 1}
    if expected is not None:
        body["expected_version"] = expected
    assert error_fields(body) == {"expected_version"}


@pytest.mark.parametrize("expected", [None, 0, -1, "1", 1.0, True], ids=repr)
def test_expected_revision_is_required_and_a_positive_integer(expected):
    body: dict[str, Any] = {"guarantee_amount": 30_000_000, "expected_version": 1}
    if expected is not None:
        body["expected_revision"] = expected
    with pytest.raises(ValidationFailed) as caught:
        plan_amendment(CURRENT, body)
    (error,) = caught.value.errors
    assert error.field == "expected_revision" and "改訂番号" in error.message
    if expected is None:
        assert "必須" in error.message


def test_expected_version_is_passed_on():
    planned = plan_amendment(CURRENT, {"expected_version": 7, "expected_revision": 3, "guarantee_amount": 30_000_000})
    assert (planned.expected_version, planned.expected_revision) == (7, 3)


@pytest.mark.parametrize("change, fields", [
    ({"guarantee_amount": 100_000_001}, {"guarantee_amount"}),  # more than the amount covered
    ({"contract_amount_covered": 30_000_000}, {"guarantee_amount"}),  # covered now below the guarantee
    ({"contract_amount_covered": 120_000_000}, {"contract_amount_covered"}),  # covered above the total
    ({"completion_date": "2024-03-31"}, {"completion_date"}),  # before the contract date
    ({"guarantee_period_end": "2024-03-01"}, {"guarantee_period_end"}),
    ({"guarantee_amount": 0}, {"guarantee_amount"}),
    ({"guarantee_amount": "45000000"}, {"guarantee_amount"}),
    ({"completion_date": "2025-02-30"}, {"completion_date"}),
    ({"project_name": "   "}, {"project_name"}),
    ({"deposit_bank": None}, {"deposit_bank"}),  # required for an advance payment guarantee
], ids=lambda v: ",".join(v) if isinstance(v, dict | set) else None)
def test_the_result_is_validated_like_an_issue(change, fields):
    assert error_fields({**SEEN, **change}) == fields


def test_a_performance_guarantee_cannot_gain_a_deposit_bank():
    performance = {**CURRENT, "guarantee_type": "performance", "guarantee_amount": 10_000_000, "deposit_bank": None}
    assert error_fields({**SEEN, "deposit_bank": "山陰銀行"}, performance) == {"deposit_bank"}
    assert plan(performance, guarantee_amount=12_000_000).issues_certificate is True


def test_covered_amount_that_was_the_whole_contract_follows_a_new_total():
    current = {**CURRENT, "contract_amount_covered": CURRENT["contract_amount_total"]}
    plan = plan_amendment(current, {**SEEN, "contract_amount_total": 120_000_000})
    assert plan.state.contract_amount_covered == 120_000_000
    assert set(plan.changed) == {"contract_amount_total", "contract_amount_covered"}
    assert not plan.issues_certificate


def test_covered_amount_set_apart_from_the_total_stays_when_the_total_changes():
    current = {**CURRENT, "contract_amount_covered": CURRENT["contract_amount_total"] - 10_000_000}
    plan = plan_amendment(current, {**SEEN, "contract_amount_total": 120_000_000})
    assert plan.state.contract_amount_covered == current["contract_amount_covered"]
