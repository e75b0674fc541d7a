"""Whether an owner (発注者) accepts an electronic guarantee for a contract.

See docs/ARCHITECTURE.md, where each rule lives.

Owners adopt 電子保証 from a date and for some work categories. Only electronic delivery is judged here:
paper delivery is always possible, so the caller asks only when delivery is electronic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chalicelib.domain.types import WorkCategory
from chalicelib.domain.wareki import format_wareki_text


@dataclass(frozen=True)
class ObligeePolicy:
    e_guarantee_start_date: date | None  # None: the owner has not adopted electronic guarantees
    eligible_work_categories: frozenset[WorkCategory]


def format_date_ja(d: date) -> str:
    """'令和6年1月1日': dates in messages are written as the documents write them (和暦)."""
    return format_wareki_text(d)


def electronic_refusal(
    policy: ObligeePolicy, obligee_name: str, contract_date: date, work_category: WorkCategory
) -> str | None:
    """None when electronic delivery is allowed, else the Japanese reason naming the owner.

    When both the date and the category fail, both reasons are given, so the clerk is not sent back twice.
    """
    start = policy.e_guarantee_start_date
    if start is None:
        return f"{obligee_name}は電子保証を導入していないため、電子交付はできません。書面で交付してください。"
    reasons: list[str] = []
    if contract_date < start:
        reasons.append(
            f"{obligee_name}の電子保証は{format_date_ja(start)}以降に締結した契約が対象です"
            f"(契約日 {format_date_ja(contract_date)})。"
        )
    if work_category not in policy.eligible_work_categories:
        # Enum order, so the message reads the same whatever order the owner was registered with.
        eligible = [c.name_ja for c in WorkCategory if c in policy.eligible_work_categories]
        if eligible:
            reasons.append(
                f"{obligee_name}の電子保証の対象は{'・'.join(eligible)}です({work_category.name_ja}は対象外)。"
            )
        else:
            reasons.append(
                f"{obligee_name}の電子保証には対象となる種別がありません({work_category.name_ja}は対象外)。"
            )
    return "".join(reasons) or None
