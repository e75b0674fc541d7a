"""The advance after a 請負金額 decrease (docs/ARCHITECTURE.md, where each rule lives).

公共工事標準請負契約約款, 前金払の条: when the price is reduced and the advance already received (the intermediate
advance included, where one was paid) exceeds 5/10 of the reduced price (6/10 where an intermediate advance was
paid), the contractor repays the excess. A decrease is therefore not refused for leaving the advance above the owner's
40 % rate: the contract itself says what becomes of it. Pure: the caller finds the amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

# Tenths of the reduced price the contractor may keep.
KEEP_TENTHS = 5
KEEP_TENTHS_WITH_INTERMEDIATE = 6


@dataclass(frozen=True)
class AdvanceRepayment:
    """What a decrease of the price (請負金額(対象額)) means for the advance received."""

    price_before: int
    price_after: int
    advance: int  # 前払金 (the 前払金保証's 保証金額)
    intermediate_advance: int  # 中間前払金 (0: none paid)
    keep_tenths: int  # 5, or 6 with an intermediate advance
    may_keep: int  # the most the contractor keeps, in whole yen
    amount: int  # to repay (0: nothing owed)

    @property
    def owed(self) -> bool:
        return self.amount > 0

    def as_json(self) -> dict[str, int | bool]:
        return {"owed": self.owed, "amount": self.amount, "advance": self.advance,
                "intermediate_advance": self.intermediate_advance, "keep_tenths": self.keep_tenths,
                "may_keep": self.may_keep, "price_before": self.price_before, "price_after": self.price_after}

    def describe(self) -> str:
        """One line in Japanese for the answer and the history."""
        received = f"受領済みの前払金 {self.advance + self.intermediate_advance:,}円"
        base = f"減額後の請負金額の{self.keep_tenths}/10 {self.may_keep:,}円"
        if not self.owed:
            return f"前払金の返還: なし({received} ≦ {base})"
        return f"前払金の返還: {self.amount:,}円({received} − {base})"


def advance_repayment(price_before: int, price_after: int, advance: int,
                      intermediate_advance: int = 0) -> AdvanceRepayment | None:
    """The repayment a decrease owes (None: the price did not decrease, nothing to judge). The share kept is
    rounded down to whole yen, so an odd price never lets half a yen more be kept."""
    if price_after >= price_before:
        return None
    tenths = KEEP_TENTHS_WITH_INTERMEDIATE if intermediate_advance > 0 else KEEP_TENTHS
    may_keep = price_after * tenths // 10
    return AdvanceRepayment(price_before, price_after, advance, intermediate_advance, tenths, may_keep,
                            max(0, advance + intermediate_advance - may_keep))
