"""How a request body is checked (docs/ARCHITECTURE.md, where each rule lives): the one set of field parsers
every parser of the service uses (unknown fields, required/printable/bounded text, identifiers, dates, amounts,
保証契約番号, 認証キー), each message worded once and built from its bound in chalicelib.domain.limits; and the
issue request of POST /v1/guarantees read with them.

Every bad field is reported at once, each with a Japanese message that names the item, so a clerk can fix
the whole form in one go.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.limits import (
    CONTRACT_NUMBER_DIGITS,
    DEPOSIT_BANK_MAX,
    EARLIEST_DATE,
    ID_MAX,
    LATE_REGISTRATION_REASON_MAX,
    LATEST_DATE,
    MAX_AMOUNT,
    PROJECT_NAME_MAX,
    unprintable_characters,
)
from chalicelib.domain.normalize import normalize_contract_number
from chalicelib.domain.types import Delivery, GuaranteeType, WorkCategory
from chalicelib.domain.wareki import format_wareki_text

if TYPE_CHECKING:  # records and the key's rules are loaded when used: every Lambda start imports this module
    from chalicelib.domain.records import CertificateVersion, StatedTerms

T = TypeVar("T")

_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{ID_MAX}}}")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
DATE_RANGE_JA = f"{format_wareki_text(EARLIEST_DATE)}から{format_wareki_text(LATEST_DATE)}まで"


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
        names = ", ".join(dict.fromkeys(e.field for e in self.errors))
        super().__init__(f"入力内容に誤りがあります: {names}")


class Invalid(Exception):
    """Why one value cannot be accepted, naming the item; BodyCheck (or parse_issue_request) files it under
    its field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the field parsers: each returns the value or raises Invalid with the one wording of its message -------


def required_message(label: str) -> str:
    return f"{label}は必須です"


def unknown_fields(body: Mapping[str, Any], allowed: Iterable[str]) -> list[FieldError]:
    """An error for every field of `body` that is not one of `allowed` (by name, in name order)."""
    known = set(allowed)
    return [FieldError(str(name), f"「{name}」は受け付けられない項目です")
            for name in sorted(map(str, body)) if name not in known]


def optional_text(label: str, value: object, max_len: int) -> str | None:
    """Text that prints on a certificate or a screen, stripped, at most `max_len` characters; absent or blank
    is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > max_len:
        raise Invalid(f"{label}は{max_len}文字以内の文字列で入力してください")
    stripped = value.strip()
    bad = unprintable_characters(stripped)
    if bad:
        raise Invalid(f"{label}に使用できない文字(制御文字・書式文字: {', '.join(bad[:3])})が含まれています")
    return stripped


def required_text(label: str, value: object, max_len: int) -> str:
    """optional_text that must be given."""
    text = optional_text(label, value, max_len)
    if text is None:
        raise Invalid(required_message(label))
    return text


def is_identifier(value: object) -> bool:
    """An id of the registry (発注者ID, 保証契約者ID): ASCII letters, digits, '-' and '_', at most ID_MAX."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def identifier(label: str, value: object) -> str:
    if is_identifier(value):
        assert isinstance(value, str)
        return value
    raise Invalid(f"{label}は半角英数字・ハイフン・アンダースコアの1〜{ID_MAX}文字で入力してください")


def amount(label: str, value: object) -> int:
    """Yen as a JSON integer, 1 to MAX_AMOUNT."""
    # bool is an int in Python but never an amount; 1.0 and "1000" are refused so that no client relies
    # on a conversion this API does not promise.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"{label}は1円以上の整数(円)で入力してください")
    if value > MAX_AMOUNT:
        raise Invalid(f"{label}は{MAX_AMOUNT:,}円以下の整数(円)で入力してください")
    return value


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


def business_date(label: str, value: object) -> date:
    """A date people rely on (contract, completion, guarantee period, adoption): YYYY-MM-DD, printable in 和暦."""
    parsed = iso_date(value)
    if parsed is None:
        raise Invalid(f"{label}は存在する日付をYYYY-MM-DD形式で入力してください")
    if not in_date_range(parsed):
        raise Invalid(f"{label}は{DATE_RANGE_JA}の日付で入力してください")
    return parsed


def contract_number(label: str, value: object) -> str:
    """A 保証契約番号 as typed (full-width digits, spaces, hyphens), normalised to its digits."""
    number = normalize_contract_number(value) if isinstance(value, str) else None
    if number is None:
        raise Invalid(f"{label}は{CONTRACT_NUMBER_DIGITS}桁の数字で入力してください")
    return number


def typed_auth_key(label: str, value: object) -> str:
    """A 認証キー as typed, normalised (domain.auth_key)."""
    from chalicelib.domain.auth_key import KEY_LENGTH, normalize_auth_key

    key = normalize_auth_key(value) if isinstance(value, str) else None
    if key is None:
        raise Invalid(f"{label}は英数字{KEY_LENGTH}文字(例: ABCDE-12345)で入力してください")
    return key


def choice(enum_type: type[Enum]) -> Callable[[str, object], Any]:
    """A parser of one of the enum's values; its message lists the Japanese labels (建設工事・測量等業務・物品),
    never the API's codes (those are in openapi.yaml)."""

    def parse(label: str, value: object) -> Any:
        if isinstance(value, str) and value in [m.value for m in enum_type]:
            return enum_type(value)
        labels = "・".join(getattr(m, "name_ja", m.value) for m in enum_type)
        raise Invalid(f"{label}は{labels}のいずれかを指定してください")

    return parse


class BodyCheck:
    """One request body checked field by field with the parsers above: every fault is collected (unknown fields
    first) and `done()` raises them all at once. `allowed` None: fields the API documents as free are ignored."""

    def __init__(self, body: Mapping[str, Any], allowed: Iterable[str] | None) -> None:
        self.body = body
        self.errors: list[FieldError] = [] if allowed is None else unknown_fields(body, allowed)

    def field(self, name: str, parse: Callable[..., T], label: str, *args: Any) -> T | None:
        """`parse(label, value, *args)` of the field `name` (None when it failed: its error is kept)."""
        try:
            return parse(label, self.body.get(name), *args)
        except Invalid as bad:
            self.add(name, bad.message)
            return None

    def add(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def done(self, message: str | None = None) -> None:
        if self.errors:
            raise ValidationFailed(self.errors, message)


# --- the issue request of POST /v1/guarantees -----------------------------------------------------------

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

    @property
    def terms(self) -> StatedTerms:
        """What a certificate issued for this request states that an amendment may change (the request names every
        stated term as StatedTerms does)."""
        from chalicelib.domain.records import StatedTerms

        return StatedTerms(**{term.name: getattr(self, term.name) for term in fields(StatedTerms)})


def issue_body(item: CertificateVersion) -> dict[str, Any]:
    """A guarantee as it stands, in the JSON shape of its issue request (what an amendment is checked against)."""
    return {
        "guarantee_type": item.guarantee_type.value,
        "contractor_id": item.contractor_id,
        "obligee_id": item.obligee_id,
        "work_category": item.work_category.value,
        "contract_date": item.contract_date.isoformat(),
        "delivery": item.delivery.value,
        **item.terms.as_json(),
    }


_PARSERS: dict[str, Callable[[str, object], Any]] = {
    "guarantee_type": choice(GuaranteeType),
    "contractor_id": identifier,
    "obligee_id": identifier,
    "work_category": choice(WorkCategory),
    "project_name": lambda label, value: required_text(label, value, PROJECT_NAME_MAX),
    "contract_date": business_date,
    "completion_date": business_date,
    "contract_amount_total": amount,
    "contract_amount_covered": amount,
    "guarantee_amount": amount,
    "guarantee_period_end": business_date,
    "deposit_bank": lambda label, value: optional_text(label, value, DEPOSIT_BANK_MAX),
    "delivery": choice(Delivery),
    "late_registration_reason": lambda label, value: optional_text(label, value, LATE_REGISTRATION_REASON_MAX),
}


def parse_issue_request(body: object, *, today: date | None = None) -> IssueRequest:
    """The issue request, or ValidationFailed listing every bad field. With `today` (the Japan date it is issued
    on), a 契約日 after it is refused: a guarantee follows a signed contract.

    Optional fields (contract_amount_covered, guarantee_period_end, deposit_bank) given as null count as
    not given. Cross-field rules run only when the fields they involve are individually valid, so one
    mistake is reported once. The owner's ratio rule is not checked here (domain.policy.check_owner_amount_rule).
    """
    if not isinstance(body, Mapping):
        raise ValidationFailed([FieldError("body", "リクエスト本文はJSONオブジェクトで送信してください")])

    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for field, parse in _PARSERS.items():
        name = FIELD_NAMES_JA[field]
        if field not in body or (field not in REQUIRED_FIELDS and body[field] is None):
            if field in REQUIRED_FIELDS:
                errors.append(FieldError(field, required_message(name)))
            continue
        try:
            values[field] = parse(name, body[field])
        except Invalid as bad:
            errors.append(FieldError(field, bad.message))
    errors.extend(unknown_fields(body, _PARSERS))

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
    if today is not None and "contract_date" in values and values["contract_date"] > today:
        errors.append(FieldError("contract_date", future_contract_date_message(values["contract_date"], today)))
    if errors:
        raise ValidationFailed(errors)
    return IssueRequest(**values)


def future_contract_date_message(contract_date: date, today: date) -> str:
    name = FIELD_NAMES_JA["contract_date"]
    return (f"{name}({format_wareki_text(contract_date)})が本日({format_wareki_text(today)})より後です。"
            f"保証は締結済みの契約に対して発行します。{name}は本日以前の日付としてください")


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
