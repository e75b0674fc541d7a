"""Validation of the issue request of POST /v1/guarantees (docs/ARCHITECTURE.md, where each rule lives).

Every bad field is reported at once, each with a Japanese message that names the item, so a clerk can fix
the whole form in one go.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from chalicelib.domain.limits import (
    DEPOSIT_BANK_MAX,
    EARLIEST_DATE,
    ID_MAX,
    LATE_REGISTRATION_REASON_MAX,
    LATEST_DATE,
    MAX_AMOUNT,
    PROJECT_NAME_MAX,
    is_printable_text,
    unprintable_characters,
)
from chalicelib.domain.policy import RatioRule, amount_bound, within_rule
from chalicelib.domain.types import Delivery, GuaranteeType, WorkCategory
from chalicelib.domain.wareki import format_wareki_text

# Japanese names of the API fields, used in every message.
FIELD_NAMES_JA: dict[str, str] = {
    "guarantee_type": "保証区分",
    "contractor_id": "保証契約者ID",
    "obligee_id": "発注者ID",
    "work_category": "工事等の種別",
    "project_name": "工事名",
    "contract_date": "契約日",
    "completion_date": "工期末日",
    "contract_amount_total": "請負金額(総額)",
    "contract_amount_covered": "請負金額(対象額)",
    "guarantee_amount": "保証金額",
    "guarantee_period_end": "保証期間の末日",
    "deposit_bank": "預託金融機関",
    "delivery": "交付方法",
    "late_registration_reason": "遅延登録の理由",
}

REQUIRED_FIELDS = (
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
)

_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{ID_MAX}}}")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


@dataclass(frozen=True)
class FieldError:
    field: str  # API field name
    message: str  # Japanese, names the item


class ValidationFailed(Exception):
    """Input that cannot be accepted: every bad field with its Japanese message; `message` (optional) is the
    summary when one field alone is at fault. Handlers turn it into a 400 in one place (chalicelib.errors)."""

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        self.errors = list(errors)
        self.message = message
        fields = ", ".join(dict.fromkeys(e.field for e in self.errors))
        super().__init__(f"入力内容に誤りがあります: {fields}")


@dataclass(frozen=True)
class IssueRequest:
    guarantee_type: GuaranteeType
    contractor_id: str
    obligee_id: str
    work_category: WorkCategory
    project_name: str
    contract_date: date
    completion_date: date
    contract_amount_total: int
    contract_amount_covered: int
    guarantee_amount: int
    guarantee_period_end: date
    deposit_bank: str | None
    delivery: Delivery
    late_registration_reason: str | None = None  # why a contract long past is registered now (audited)


def check_amount_rule(
    guarantee_type: GuaranteeType, guarantee_amount: int, covered: int, rule: RatioRule
) -> FieldError | None:
    """The owner's ratio of 保証金額 to 請負金額(対象額) (chalicelib.domain.policy), as a field error."""
    if within_rule(rule, guarantee_amount, covered):
        return None
    name = FIELD_NAMES_JA["guarantee_amount"]
    base = FIELD_NAMES_JA["contract_amount_covered"]
    bound = amount_bound(rule, covered)
    limit = "以下としてください(上限" if rule.kind == "max" else "以上としてください(下限"
    return FieldError("guarantee_amount", f"{name}は{base}の{rule.percent}%{limit} {bound:,}円)")


# --- field parsers: each returns the value or raises _Bad with the message ---------------------------


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _enum(enum_type: type[Enum]) -> Callable[[str, object], Any]:
    def parse(name: str, value: object) -> Any:
        allowed = [m.value for m in enum_type]
        if isinstance(value, str) and value in allowed:
            return enum_type(value)
        # Japanese labels for people (建設工事・測量等業務・物品); the values themselves are in openapi.yaml.
        labels = "・".join(getattr(m, "name_ja", m.value) for m in enum_type)
        raise _Bad(f"{name}は{labels}のいずれかを指定してください")

    return parse


def is_identifier(value: object) -> bool:
    """An id of the registry (発注者ID, 保証契約者ID): 1–64 ASCII letters, digits, '-' and '_'."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


DATE_RANGE_JA = f"{format_wareki_text(EARLIEST_DATE)}から{format_wareki_text(LATEST_DATE)}まで"


def unprintable_message(name: str, text: str) -> str | None:
    """Why `text` cannot be printed as the item `name` (None when it can): control or format characters, or
    nothing visible at all."""
    bad = unprintable_characters(text)
    if bad:
        return f"{name}に使用できない文字(制御文字・書式文字: {', '.join(bad[:3])})が含まれています"
    if not any(not ch.isspace() for ch in text):
        return f"{name}を入力してください"
    return None


def in_date_range(value: date) -> bool:
    """Business dates print in 和暦: from the first day of 明治, up to LATEST_DATE."""
    return EARLIEST_DATE <= value <= LATEST_DATE


def iso_date(value: object) -> date | None:
    """A real date written YYYY-MM-DD, else None."""
    # Not date.fromisoformat: since 3.11 it also takes '20230101' and week dates, which the API does not.
    match = _ISO_DATE.fullmatch(value) if isinstance(value, str) else None
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    return None


def _identifier(name: str, value: object) -> str:
    if is_identifier(value):
        assert isinstance(value, str)
        return value
    raise _Bad(f"{name}は半角英数字・ハイフン・アンダースコアの1〜64文字で入力してください")


def _project_name(name: str, value: object) -> str:
    if isinstance(value, str):
        stripped = value.strip()
        if 1 <= len(stripped) <= PROJECT_NAME_MAX:
            problem = unprintable_message(name, stripped)
            if problem:
                raise _Bad(problem)
            return stripped
    raise _Bad(f"{name}は1〜{PROJECT_NAME_MAX}文字で入力してください")


def _deposit_bank(name: str, value: object) -> str | None:
    if isinstance(value, str) and len(value.strip()) <= DEPOSIT_BANK_MAX:
        stripped = value.strip()
        if not stripped:
            return None  # blank means not given
        if not is_printable_text(stripped):
            raise _Bad(unprintable_message(name, stripped) or f"{name}を入力してください")
        return stripped
    raise _Bad(f"{name}は{DEPOSIT_BANK_MAX}文字以内の文字列で入力してください")


def _late_registration_reason(name: str, value: object) -> str | None:
    if isinstance(value, str) and len(value.strip()) <= LATE_REGISTRATION_REASON_MAX:
        stripped = value.strip()
        if not stripped:
            return None  # blank means not given
        if problem := unprintable_message(name, stripped):
            raise _Bad(problem)
        return stripped
    raise _Bad(f"{name}は{LATE_REGISTRATION_REASON_MAX}文字以内の文字列で入力してください")


def _amount(name: str, value: object) -> int:
    # bool is an int in Python but never an amount; 1.0 and "1000" are refused so that no client relies
    # on a conversion this API does not promise.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Bad(f"{name}は1円以上の整数(円)で入力してください")
    if value > MAX_AMOUNT:
        raise _Bad(f"{name}は{MAX_AMOUNT:,}円以下の整数(円)で入力してください")
    return value


def _date(name: str, value: object) -> date:
    parsed = iso_date(value)
    if parsed is None:
        raise _Bad(f"{name}は存在する日付をYYYY-MM-DD形式で入力してください")
    if not in_date_range(parsed):
        raise _Bad(f"{name}は{DATE_RANGE_JA}の日付で入力してください")
    return parsed


_PARSERS: dict[str, Callable[[str, object], Any]] = {
    "guarantee_type": _enum(GuaranteeType),
    "contractor_id": _identifier,
    "obligee_id": _identifier,
    "work_category": _enum(WorkCategory),
    "project_name": _project_name,
    "contract_date": _date,
    "completion_date": _date,
    "contract_amount_total": _amount,
    "contract_amount_covered": _amount,
    "guarantee_amount": _amount,
    "guarantee_period_end": _date,
    "deposit_bank": _deposit_bank,
    "delivery": _enum(Delivery),
    "late_registration_reason": _late_registration_reason,
}


def parse_issue_request(body: object) -> IssueRequest:
    """The issue request, or ValidationFailed listing every bad field.

    Optional fields (contract_amount_covered, guarantee_period_end, deposit_bank) given as null count as
    not given. Cross-field rules run only when the fields they involve are individually valid, so one
    mistake is reported once. The owner's ratio rule is not checked here (see check_amount_rule).
    """
    if not isinstance(body, Mapping):
        raise ValidationFailed([FieldError("body", "リクエスト本文はJSONオブジェクトで送信してください")])

    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for field, parse in _PARSERS.items():
        name = FIELD_NAMES_JA[field]
        if field not in body or (field not in REQUIRED_FIELDS and body[field] is None):
            if field in REQUIRED_FIELDS:
                errors.append(FieldError(field, f"{name}は必須です"))
            continue
        try:
            values[field] = parse(name, body[field])
        except _Bad as bad:
            errors.append(FieldError(field, bad.message))
    for field in body:
        if field not in _PARSERS:
            errors.append(FieldError(str(field), f"「{field}」は受け付けられない項目です"))

    # From here `values` holds exactly the fields that are valid (or defaulted from a valid field).
    if "contract_amount_covered" not in values and body.get("contract_amount_covered") is None:
        if "contract_amount_total" in values:
            values["contract_amount_covered"] = values["contract_amount_total"]
    if "guarantee_period_end" not in values and body.get("guarantee_period_end") is None:
        if "completion_date" in values:
            values["guarantee_period_end"] = values["completion_date"]
    if "deposit_bank" not in values and body.get("deposit_bank") is None:
        values["deposit_bank"] = None
    values.setdefault("late_registration_reason", None)

    # A defaulted end date is not checked: its fault, if any, is reported on completion_date.
    errors.extend(_cross_field_errors(values, period_end_given=body.get("guarantee_period_end") is not None))
    if errors:
        raise ValidationFailed(errors)
    return IssueRequest(**values)


def _cross_field_errors(values: Mapping[str, Any], period_end_given: bool) -> list[FieldError]:
    def have(*fields: str) -> bool:
        return all(f in values for f in fields)

    names = FIELD_NAMES_JA
    errors: list[FieldError] = []

    def add(field: str, message: str) -> None:
        errors.append(FieldError(field, message))

    if have("contract_date", "completion_date") and values["completion_date"] < values["contract_date"]:
        add("completion_date", f"{names['completion_date']}は{names['contract_date']}以降としてください")
    # The guarantee must stand from the contract until the work is due to be finished (保証期間 ≥ 工期末日).
    if period_end_given and have("guarantee_period_end"):
        period_end = values["guarantee_period_end"]
        if have("contract_date") and period_end < values["contract_date"]:
            add("guarantee_period_end", f"{names['guarantee_period_end']}は{names['contract_date']}以降としてください")
        elif have("completion_date") and period_end < values["completion_date"]:
            add("guarantee_period_end",
                f"{names['guarantee_period_end']}は{names['completion_date']}以降としてください")
    if (
        have("contract_amount_total", "contract_amount_covered")
        and values["contract_amount_covered"] > values["contract_amount_total"]
    ):
        add(
            "contract_amount_covered",
            f"{names['contract_amount_covered']}は{names['contract_amount_total']}以下としてください",
        )
    if (
        have("guarantee_amount", "contract_amount_covered")
        and values["guarantee_amount"] > values["contract_amount_covered"]
    ):
        add(
            "guarantee_amount",
            f"{names['guarantee_amount']}は{names['contract_amount_covered']}以下としてください",
        )
    if have("guarantee_type", "deposit_bank"):
        guarantee_type: GuaranteeType = values["guarantee_type"]
        bank = values["deposit_bank"]
        if guarantee_type.is_advance and bank is None:
            add("deposit_bank", f"{names['deposit_bank']}は{guarantee_type.name_ja}では必須です")
        elif not guarantee_type.is_advance and bank is not None:
            add("deposit_bank", f"{guarantee_type.name_ja}では{names['deposit_bank']}は指定できません")
    return errors
