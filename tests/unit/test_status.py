"""保証期間満了 derived from the period's end (domain/status.py): one function for every list, answer and screen."""

from __future__ import annotations

from datetime import date

from chalicelib.domain.records import GuaranteeStatus
from chalicelib.domain.status import STATUS_NAMES_JA, status_on

END = date(2023, 3, 31)  # 令和5年3月31日, the seed's period


def test_the_period_includes_its_last_day_and_ends_after_it():
    assert status_on(GuaranteeStatus.ACTIVE, END, date(2023, 3, 31)) is GuaranteeStatus.ACTIVE
    assert status_on(GuaranteeStatus.ACTIVE, END, date(2023, 4, 1)) is GuaranteeStatus.EXPIRED
    assert STATUS_NAMES_JA[GuaranteeStatus.EXPIRED] == "保証期間満了"


def test_cancelled_stands_and_an_unknown_end_keeps_what_was_stored():
    assert status_on(GuaranteeStatus.CANCELLED, END, date(2023, 3, 1)) is GuaranteeStatus.CANCELLED
    assert status_on(GuaranteeStatus.CANCELLED, END, date(2026, 1, 1)) is GuaranteeStatus.CANCELLED
    assert status_on(GuaranteeStatus.ACTIVE, None, date(2026, 1, 1)) is GuaranteeStatus.ACTIVE
