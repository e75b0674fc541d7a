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
    BodyCheck,
    FieldError,
    Invalid,
    ValidationFailed,
    business_date,
    identifier,
    required_text,
)

# Printable ASCII only in the local part: an address with NUL, BEL or a line break would reach SES headers.
_EMAIL = re.compile(rf"[!-?A-~]{{1,{EMAIL_LOCAL_MAX}}}@[A-Za-z0-9.-]{{1,{EMAIL_DOMAIN_MAX}}}\.[A-Za-z]{{2,}}")
_RATIO_RULES_FORMAT = ('保証金額の割合の設定は {"advance_payment": {"kind": "max", "percent": 40}} の形式で'
                       '(工事等の種別ごとには {"survey": {"advance_payment": {"kind": "max", "percent": 30}, '
                       '"intermediate_advance_payment": null}}、null はその保証を扱わないこと)、'
                       "percent は1から100の整数としてください")
_LABELS = {"obligee_id": "発注者ID", "contractor_id": "保証契約者ID"}
OBLIGEE_FIELDS = ("name", "e_guarantee_start_date", "eligible_work_categories", "submission_method",
                  "contact_email", "ratio_rules")
CONTRACTOR_FIELDS = ("name", "address", "email")


def parse_registry_id(field: str, raw: str) -> str:
    try:
        return identifier(_LABELS[field], raw)
    except Invalid as bad:
        raise ValidationFailed([FieldError(field, bad.message)]) from None


def email(label: str, value: object) -> str:
    if not isinstance(value, str) or not _EMAIL.fullmatch(value.strip()):
        raise Invalid(f"{label}は正しいメールアドレスで入力してください")
    return value.strip()


def _work_categories(check: BodyCheck) -> list[WorkCategory]:
    raw_categories = check.body.get("eligible_work_categories", [])
    categories: list[WorkCategory] = []
    allowed_categories = "・".join(c.name_ja for c in WorkCategory)
    if not isinstance(raw_categories, list) or not all(isinstance(c, str) for c in raw_categories):
        check.add("eligible_work_categories", "電子保証の対象種別は文字列の配列で指定してください")
        return categories
    for raw in raw_categories:
        try:
            if WorkCategory(raw) not in categories:
                categories.append(WorkCategory(raw))
        except ValueError:
            check.add("eligible_work_categories", f"電子保証の対象種別は{allowed_categories}から指定してください")
    return categories


def parse_obligee(obligee_id: str, body: dict[str, Any]) -> Obligee:
    check = BodyCheck(body, OBLIGEE_FIELDS)
    name = check.field("name", required_text, "発注者名", PARTY_NAME_MAX)
    start: date | None = None
    if body.get("e_guarantee_start_date") is not None:
        start = check.field("e_guarantee_start_date", business_date, "電子保証の開始日")
    categories = _work_categories(check)
    if start is not None and not categories and not check.errors:
        check.add("eligible_work_categories", "電子保証の対象種別を1つ以上指定してください")
    methods = _submission_methods(body.get("submission_method"), check.errors)
    contact = check.field("contact_email", email, "発注者の連絡先メールアドレス")
    rules = _ratio_rules(body.get("ratio_rules"), check.errors)
    check.done()
    assert name is not None and contact is not None
    return Obligee(obligee_id, name, start, tuple(categories), methods, contact, rules)


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
    check = BodyCheck(body, CONTRACTOR_FIELDS)
    name = check.field("name", required_text, "保証契約者名", PARTY_NAME_MAX)
    address = check.field("address", required_text, "保証契約者の住所", ADDRESS_MAX)
    contact = check.field("email", email, "保証契約者のメールアドレス")
    check.done()
    assert name is not None and address is not None and contact is not None
    return Contractor(contractor_id, name, address, contact)
