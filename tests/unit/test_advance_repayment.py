"""前金払の条 after a 請負金額 decrease (domain/advance.py): the contractor repays only what the advance received
exceeds 5/10 of the reduced price, 6/10 where an intermediate advance was paid. Pure, no AWS. The table below is
the boundaries' record (price before, after, advance, intermediate advance, repayment owed)."""

from __future__ import annotations

import pytest

from chalicelib.domain.advance import advance_repayment

BOUNDARIES = [
    # before,      after,       advance,     intermediate, owed
    (100_000_000, 80_000_000, 40_000_000, 0, 0),  # exactly 5/10 of the new price: nothing
    (100_000_000, 79_999_998, 40_000_000, 0, 1),  # one yen over 5/10
    (100_000_000, 79_999_999, 40_000_000, 0, 1),  # odd price: half a yen is not kept
    (100_000_000, 60_000_000, 40_000_000, 0, 10_000_000),
    (120_000_000, 100_000_000, 40_000_000, 20_000_000, 0),  # exactly 6/10 with an intermediate advance
    (120_000_000, 100_000_000, 40_000_001, 20_000_000, 1),  # one yen over 6/10
    (120_000_000, 80_000_000, 40_000_000, 20_000_000, 12_000_000),
    (100_000_000, 99_999_999, 10_000_000, 0, 0),  # a small advance: a decrease owes nothing
]


@pytest.mark.parametrize(("before", "after", "advance", "intermediate", "owed"), BOUNDARIES)
def test_the_repayment_at_the_boundaries(before, after, advance, intermediate, owed):
    repayment = advance_repayment(before, after, advance, intermediate)
    assert repayment is not None
    assert repayment.amount == owed and repayment.owed is (owed > 0)
    assert repayment.keep_tenths == (6 if intermediate else 5)
    assert repayment.may_keep == after * repayment.keep_tenths // 10
    assert repayment.as_json()["amount"] == owed


@pytest.mark.parametrize(("before", "after"), [(100_000_000, 120_000_000), (100_000_000, 100_000_000)])
def test_an_increase_or_no_change_owes_nothing_to_judge(before, after):
    assert advance_repayment(before, after, 40_000_000) is None
    assert advance_repayment(before, after, 40_000_000, 20_000_000) is None


def test_the_line_in_words():
    owed = advance_repayment(100_000_000, 60_000_000, 40_000_000)
    assert owed is not None and owed.describe() == (
        "前払金の返還: 10,000,000円(受領済みの前払金 40,000,000円 − 減額後の請負金額の5/10 30,000,000円)")
    kept = advance_repayment(120_000_000, 100_000_000, 40_000_000, 20_000_000)
    assert kept is not None and kept.describe() == (
        "前払金の返還: なし(受領済みの前払金 60,000,000円 ≦ 減額後の請負金額の6/10 60,000,000円)")
