"""What state a guarantee is in, as every screen, list, answer and check says it (docs/ARCHITECTURE.md, where each
rule lives): 解約 as recorded, else 保証期間満了 once the 保証期間's last day (a Japan date) has passed, else 有効.
Only 解約 is stored; 満了 is derived at read time, so no write is needed when a period runs out."""

from __future__ import annotations

from datetime import date

from chalicelib.domain.clock import japan_today
from chalicelib.domain.records import GuaranteeStatus

STATUS_NAMES_JA = {
    GuaranteeStatus.ACTIVE: "有効",
    GuaranteeStatus.EXPIRED: "保証期間満了",
    GuaranteeStatus.CANCELLED: "解約",
}


def status_on(stored: GuaranteeStatus, period_end: date | None, today: date) -> GuaranteeStatus:
    """The state on `today` (a Japan date): the period includes its last day; an unknown end (a row from before the
    list kept it) leaves the stored state."""
    if stored is GuaranteeStatus.CANCELLED:
        return stored
    if period_end is not None and today > period_end:
        return GuaranteeStatus.EXPIRED
    return GuaranteeStatus.ACTIVE


def current_status(stored: GuaranteeStatus, period_end: date | None) -> GuaranteeStatus:
    """The state today in Japan (status_on with the clock)."""
    return status_on(stored, period_end, japan_today())
