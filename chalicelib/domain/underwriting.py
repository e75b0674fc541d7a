"""What a surety refuses to issue however well-formed the request is (docs/ARCHITECTURE.md, where each rule
lives): a 保証期間 that has already ended, a contract signed long before without a stated reason (遅延登録), and a
中間前払金保証 with no 前払金保証 of the same owner and works. Each answer says why and what to do; the API
turns it into a 422. Pure: the caller looks up the advance guarantees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chalicelib.domain.wareki import format_wareki_text

# A contract this much older than the issue date is registered late: only with a stated reason.
LATE_REGISTRATION_YEARS = 1
LATE_REGISTRATION_FIELD = "late_registration_reason"


@dataclass(frozen=True)
class Refusal:
    code: str  # machine code of the 422
    field: str  # the API field at fault
    message: str  # Japanese: why, and what to do


def late_registration_since(issued_on: date) -> date:
    """The earliest contract date issued without a reason: the same day LATE_REGISTRATION_YEARS before."""
    try:
        return issued_on.replace(year=issued_on.year - LATE_REGISTRATION_YEARS)
    except ValueError:  # 29 February
        return issued_on.replace(year=issued_on.year - LATE_REGISTRATION_YEARS, day=28)


def period_refusal(period_end: date, issued_on: date) -> Refusal | None:
    """A guarantee whose period ended before the day it is issued guarantees nothing."""
    if period_end >= issued_on:
        return None
    return Refusal(
        "guarantee_period_ended", "guarantee_period_end",
        f"保証期間の末日({format_wareki_text(period_end)})が証書発行日({format_wareki_text(issued_on)})より前のため、"
        "保証を発行できません。工期が延長されている場合は、延長後の工期末日(または保証期間の末日)を指定してください。",
    )


def late_registration_refusal(contract_date: date, issued_on: date, reason: str | None) -> Refusal | None:
    """A contract date years in the past is a mistake unless the surety states why it registers it late."""
    if contract_date >= late_registration_since(issued_on) or reason:
        return None
    return Refusal(
        "late_registration_reason_required", "contract_date",
        f"契約日({format_wareki_text(contract_date)})が証書発行日({format_wareki_text(issued_on)})の"
        f"{LATE_REGISTRATION_YEARS}年以上前です。契約日に誤りがないかご確認ください。"
        f"契約後に遅れて保証を登録する場合は、遅延登録の理由({LATE_REGISTRATION_FIELD})を入力してください。",
    )


def intermediate_refusal(obligee_name: str, project_name: str, has_advance_guarantee: bool) -> Refusal | None:
    """中間前払金 is paid on top of a 前払金: its guarantee needs the advance's guarantee for the same works."""
    if has_advance_guarantee:
        return None
    return Refusal(
        "advance_payment_guarantee_missing", "guarantee_type",
        f"中間前払金保証は、同じ発注者・工事の前払金保証がある契約にのみ発行できます。"
        f"{obligee_name}の「{project_name}」の前払金保証が見つかりません。"
        "先に前払金保証を発行するか、発注者と工事名が前払金保証と同じかご確認ください。",
    )
