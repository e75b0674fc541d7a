"""Validation of the registry bodies: owners (発注者) and contractors (保証契約者), read into records."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from chalicelib.domain.limits import ADDRESS_MAX, EMAIL_DOMAIN_MAX, EMAIL_LOCAL_MAX, PARTY_NAME_MAX
from chalicelib.domain.policy import RatioRulesInvalid, parse_ratio_overrides
from chalicelib.domain.records import Contractor, Obligee
from chalicelib.domain.types import SubmissionMethod, WorkCategory
from chalicelib.domain.validation import (
    DATE_RANGE_JA,
    FieldError,
    ValidationFailed,
    in_date_range,
    is_identifier,
    iso_date,
    unprintable_message,
)

# Printable ASCII only in the local part: an address with NUL, BEL or a line break would reach SES headers.
_EMAIL = re.compile(rf"[!-?A-~]{{1,{EMAIL_LOCAL_MAX}}}@[A-Za-z0-9.-]{{1,{EMAIL_DOMAIN_MAX}}}\.[A-Za-z]{{2,}}")
_RATIO_RULES_FORMAT = ('保証金額の割合の設定は {"advance_payment": {"kind": "max", "percent": 40}} の形式で、'
                       "percent は1から100の整数としてください")
_LABELS = {"obligee_id": "発注者ID", "contractor_id": "保証契約者ID"}


def parse_registry_id(field: str, raw: str) -> str:
    if not is_identifier(raw):
        message = f"{_LABELS[field]}は半角英数字・ハイフン・アンダースコア64文字以内です"
        raise ValidationFailed([FieldError(field, message)])
    return raw


def _text(body: dict[str, Any], field: str, label: str, max_len: int, errors: list[FieldError]) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError(field, f"{label}は必須です"))
        return ""
    if len(value.strip()) > max_len:
        errors.append(FieldError(field, f"{label}は{max_len}文字以内で入力してください"))
        return ""
    problem = unprintable_message(label, value.strip())
    if problem:
        errors.append(FieldError(field, problem))
    return value.strip()


def _email(body: dict[str, Any], field: str, label: str, errors: list[FieldError]) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not _EMAIL.fullmatch(value.strip()):
        errors.append(FieldError(field, f"{label}は正しいメールアドレスで入力してください"))
        return ""
    return value.strip()


def _unknown(body: dict[str, Any], allowed: set[str], errors: list[FieldError]) -> None:
    errors.extend(FieldError(k, f"{k}は受け付けられない項目です") for k in sorted(set(body) - allowed))


def parse_obligee(obligee_id: str, body: dict[str, Any]) -> Obligee:
    errors: list[FieldError] = []
    allowed = {"name", "e_guarantee_start_date", "eligible_work_categories", "submission_method",
               "contact_email", "ratio_rules"}
    _unknown(body, allowed, errors)
    name = _text(body, "name", "発注者名", PARTY_NAME_MAX, errors)

    start: date | None = None
    raw_start = body.get("e_guarantee_start_date")
    if raw_start is not None:
        start = iso_date(raw_start)
        if start is None:
            errors.append(FieldError("e_guarantee_start_date",
                                     "電子保証の開始日は存在する日付をYYYY-MM-DD形式で入力してください"))
        elif not in_date_range(start):
            errors.append(FieldError("e_guarantee_start_date",
                                     f"電子保証の開始日は{DATE_RANGE_JA}の日付で入力してください"))
            start = None

    categories: list[WorkCategory] = []
    raw_categories = body.get("eligible_work_categories", [])
    allowed_categories = "・".join(c.name_ja for c in WorkCategory)
    if not isinstance(raw_categories, list) or not all(isinstance(c, str) for c in raw_categories):
        errors.append(FieldError("eligible_work_categories", "電子保証の対象種別は文字列の配列で指定してください"))
    else:
        for raw in raw_categories:
            try:
                if WorkCategory(raw) not in categories:
                    categories.append(WorkCategory(raw))
            except ValueError:
                errors.append(FieldError("eligible_work_categories",
                                         f"電子保証の対象種別は{allowed_categories}から指定してください"))
    if start is not None and not categories and not errors:
        errors.append(FieldError("eligible_work_categories", "電子保証の対象種別を1つ以上指定してください"))

    methods = _submission_methods(body.get("submission_method"), errors)
    email = _email(body, "contact_email", "発注者の連絡先メールアドレス", errors)
    rules = _ratio_rules(body.get("ratio_rules"), errors)
    if errors:
        raise ValidationFailed(errors)
    return Obligee(obligee_id, name, start, tuple(categories), methods, email, rules)


def _submission_methods(raw: Any, errors: list[FieldError]) -> tuple[SubmissionMethod, ...]:
    """One method (a string) or the methods the owner accepts (a list of one or both), in the flyer's order."""
    values = raw if isinstance(raw, list) else [raw]
    try:
        chosen = {SubmissionMethod(v) for v in values if isinstance(v, str)}
    except ValueError:
        chosen = set()
    if not chosen or len(chosen) != len(values):
        errors.append(FieldError("submission_method", "認証キー等のお知らせの提出方法は、電子契約システムへの登録・"
                                                      "電子メールでの送信の一方または両方を指定してください"))
        return (SubmissionMethod.EMAIL,)
    return tuple(m for m in SubmissionMethod if m in chosen)


def _ratio_rules(raw: Any, errors: list[FieldError]) -> dict[str, dict[str, Any]] | None:
    try:
        return parse_ratio_overrides(raw)
    except RatioRulesInvalid:
        errors.append(FieldError("ratio_rules", _RATIO_RULES_FORMAT))
        return None


def parse_contractor(contractor_id: str, body: dict[str, Any]) -> Contractor:
    errors: list[FieldError] = []
    _unknown(body, {"name", "address", "email"}, errors)
    name = _text(body, "name", "保証契約者名", PARTY_NAME_MAX, errors)
    address = _text(body, "address", "保証契約者の住所", ADDRESS_MAX, errors)
    email = _email(body, "email", "保証契約者のメールアドレス", errors)
    if errors:
        raise ValidationFailed(errors)
    return Contractor(contractor_id, name, address, email)
