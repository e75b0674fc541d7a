"""What a surety refuses (chalicelib/domain/underwriting.py): pure rules, messages in Japanese with 和暦."""

from __future__ import annotations

from datetime import date

from chalicelib.domain.underwriting import (
    intermediate_refusal,
    late_registration_refusal,
    late_registration_since,
    period_refusal,
)


def test_a_period_ending_on_the_issue_date_still_runs():
    assert period_refusal(date(2024, 5, 10), date(2024, 5, 10)) is None
    refusal = period_refusal(date(2024, 5, 9), date(2024, 5, 10))
    assert refusal is not None and refusal.code == "guarantee_period_ended" and refusal.field == "guarantee_period_end"
    assert "令和6年5月9日" in refusal.message and "令和6年5月10日" in refusal.message


def test_late_registration_is_counted_from_the_same_day_a_year_back():
    assert late_registration_since(date(2024, 5, 10)) == date(2023, 5, 10)
    assert late_registration_since(date(2024, 2, 29)) == date(2023, 2, 28)
    assert late_registration_refusal(date(2023, 5, 10), date(2024, 5, 10), None) is None
    refusal = late_registration_refusal(date(2023, 5, 9), date(2024, 5, 10), None)
    assert refusal is not None and refusal.field == "contract_date"
    assert late_registration_refusal(date(2019, 5, 1), date(2024, 5, 10), "移行") is None


def test_an_intermediate_advance_without_its_advance_names_the_works():
    assert intermediate_refusal("境港市長", "工事A", True) is None
    refusal = intermediate_refusal("境港市長", "工事A", False)
    assert refusal is not None and "境港市長の「工事A」の前払金保証が見つかりません" in refusal.message
