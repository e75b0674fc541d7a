"""Validation of the registry bodies: owners (発注者) and contractors (保証契約者)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.domain.types import GuaranteeType, SubmissionMethod, WorkCategory
from chalicelib.domain.validation import FieldError, ValidationFailed

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ObligeeData:
    name: str
    e_guarantee_start_date: date | None  # None: the owner has not adopted electronic guarantees
    eligible_work_categories: tuple[WorkCategory, ...]
    submission_method: SubmissionMethod
    contact_email: str
    ratio_rules: dict[str, dict[str, Any]] | None


@dataclass(frozen=True)
class ContractorData:
    name: str
    address: str
    email: str


def parse_registry_id(field: str, raw: str) -> str:
    if not _ID.fullmatch(raw or ""):
        label = "発注者ID" if field == "obligee_id" else "保証契約者ID"
        raise ValidationFailed([FieldError(field, f"{label}は半角英数字・ハイフン・アンダースコア64文字以内です")])
    return raw


def _text(body: dict[str, Any], field: str, label: str, max_len: int, errors: list[FieldError]) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError(field, f"{label}は必須です"))
        return ""
    if len(value.strip()) > max_len:
        errors.append(FieldError(field, f"{label}は{max_len}文字以内で入力してください"))
    return value.strip()


def _email(body: dict[str, Any], field: str, label: str, errors: list[FieldError]) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not _EMAIL.fullmatch(value.strip()):
        errors.append(FieldError(field, f"{label}は正しいメールアドレスで入力してください"))
        return ""
    return value.strip()


def _unknown(body: dict[str, Any], allowed: set[str], errors: list[FieldError]) -> None:
    errors.extend(FieldError(k, f"{k}は受け付けられない項目です") for k in sorted(set(body) - allowed))


def parse_obligee(body: dict[str, Any]) -> ObligeeData:
    errors: list[FieldError] = []
    allowed = {"name", "e_guarantee_start_date", "eligible_work_categories", "submission_method",
               "contact_email", "ratio_rules"}
    _unknown(body, allowed, errors)
    name = _text(body, "name", "発注者名", 100, errors)

    start: date | None = None
    raw_start = body.get("e_guarantee_start_date")
    if raw_start is not None:
        try:
            if not isinstance(raw_start, str) or not _ISO_DATE.fullmatch(raw_start):
                raise ValueError
            start = date.fromisoformat(raw_start)
        except ValueError:
            errors.append(FieldError("e_guarantee_start_date",
                                     "電子保証の開始日は存在する日付をYYYY-MM-DD形式で入力してください"))

    categories: list[WorkCategory] = []
    raw_categories = body.get("eligible_work_categories", [])
    allowed_categories = ", ".join(c.value for c in WorkCategory)
    if not isinstance(raw_categories, list) or not all(isinstance(c, str) for c in raw_categories):
        errors.append(FieldError("eligible_work_categories", "電子保証の対象種別は文字列の配列で指定してください"))
    else:
        for raw in raw_categories:
            try:
                if WorkCategory(raw) not in categories:
                    categories.append(WorkCategory(raw))
            except ValueError:
                errors.append(FieldError("eligible_work_categories",
                                         f"電子保証の対象種別は {allowed_categories} から指定してください"))
    if start is not None and not categories and not errors:
        errors.append(FieldError("eligible_work_categories", "電子保証の対象種別を1つ以上指定してください"))

    method = SubmissionMethod.EMAIL
    try:
        method = SubmissionMethod(body.get("submission_method"))
    except ValueError:
        errors.append(FieldError("submission_method", "認証キーの提出方法は email, e_contract のいずれかです"))
    email = _email(body, "contact_email", "発注者の連絡先メールアドレス", errors)
    rules = _ratio_rules(body.get("ratio_rules"), errors)
    if errors:
        raise ValidationFailed(errors)
    return ObligeeData(name, start, tuple(categories), method, email, rules)


def _ratio_rules(raw: Any, errors: list[FieldError]) -> dict[str, dict[str, Any]] | None:
    if raw is None:
        return None
    message = ("保証金額の割合の設定は {\"advance_payment\": {\"kind\": \"max\", \"percent\": 40}} の形式で、"
               "percent は1から100の整数としてください")
    if not isinstance(raw, dict):
        errors.append(FieldError("ratio_rules", message))
        return None
    rules: dict[str, dict[str, Any]] = {}
    for key, rule in raw.items():
        try:
            GuaranteeType(key)
            kind, percent = rule["kind"], rule["percent"]
            if kind not in ("max", "min") or type(percent) is not int or not 1 <= percent <= 100 or len(rule) != 2:
                raise ValueError
        except (ValueError, TypeError, KeyError):
            errors.append(FieldError("ratio_rules", message))
            return None
        rules[key] = {"kind": kind, "percent": percent}
    return rules or None


def parse_contractor(body: dict[str, Any]) -> ContractorData:
    errors: list[FieldError] = []
    _unknown(body, {"name", "address", "email"}, errors)
    name = _text(body, "name", "保証契約者名", 100, errors)
    address = _text(body, "address", "保証契約者の住所", 200, errors)
    email = _email(body, "email", "保証契約者のメールアドレス", errors)
    if errors:
        raise ValidationFailed(errors)
    return ContractorData(name, address, email)
