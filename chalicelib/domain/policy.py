"""Named policy of the service, defined once (docs/ARCHITECTURE.md, where each rule lives):
the owners' amount rules (保証金額 against 請負金額(対象額)) with their message, and the limits on guessing 認証キー."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from chalicelib.domain.types import GuaranteeType
from chalicelib.domain.validation import FIELD_NAMES_JA, FieldError, IssueRequest, ValidationFailed

# --- amount rules -------------------------------------------------------------------------------------------

RatioKind = Literal["max", "min"]


@dataclass(frozen=True)
class RatioRule:
    """保証金額 ≤ (max) or ≥ (min) `percent` % of 請負金額(対象額)."""

    kind: RatioKind
    percent: int


# The usual rules (docs/ARCHITECTURE.md, where each rule lives); an owner may override them per guarantee type.
DEFAULT_RATIO_RULES: dict[GuaranteeType, RatioRule] = {
    GuaranteeType.ADVANCE_PAYMENT: RatioRule("max", 40),
    GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT: RatioRule("max", 20),
    GuaranteeType.PERFORMANCE: RatioRule("min", 10),
}


class RatioRulesInvalid(ValueError):
    """An owner's overrides are not of the form {"<type>": {"kind": "max"|"min", "percent": 1..100}}."""


def parse_ratio_overrides(raw: object) -> dict[str, dict[str, Any]] | None:
    """An owner's overrides as registered: each names both `kind` and `percent` (an override that gave only
    a percent would silently keep a kind the clerk did not choose), for a known type; None when empty."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise RatioRulesInvalid("ratio rules must be an object")
    rules: dict[str, dict[str, Any]] = {}
    for key, rule in raw.items():
        if key not in GuaranteeType.__members__.values() or not isinstance(rule, Mapping) or set(rule) != {
            "kind", "percent"
        }:
            raise RatioRulesInvalid(f"bad ratio rule for {key!r}")
        kind, percent = rule["kind"], rule["percent"]
        if kind not in ("max", "min") or type(percent) is not int or not 1 <= percent <= 100:
            raise RatioRulesInvalid(f"bad ratio rule for {key!r}")
        rules[key] = {"kind": kind, "percent": percent}
    return rules or None


def ratio_rules(overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[GuaranteeType, RatioRule]:
    """The rule of each guarantee type: an owner's registered override, else the default."""
    rules = dict(DEFAULT_RATIO_RULES)
    for type_value, override in (parse_ratio_overrides(overrides) or {}).items():
        rules[GuaranteeType(type_value)] = RatioRule(override["kind"], override["percent"])
    return rules


def amount_bound(rule: RatioRule, covered: int) -> int:
    """The largest (max) or smallest (min) 保証金額 the rule allows, in integer yen (no float rounding)."""
    if rule.kind == "max":
        return covered * rule.percent // 100  # floor: the largest amount still within the rule
    return -(-covered * rule.percent // 100)  # ceil: the smallest amount that meets the rule


def within_rule(rule: RatioRule, guarantee_amount: int, covered: int) -> bool:
    if rule.kind == "max":
        return guarantee_amount * 100 <= covered * rule.percent
    return guarantee_amount * 100 >= covered * rule.percent


def check_amount_rule(guarantee_amount: int, covered: int, rule: RatioRule) -> FieldError | None:
    """The rule's ratio of 保証金額 to 請負金額(対象額) as a field error naming the bound in yen (None: kept)."""
    if within_rule(rule, guarantee_amount, covered):
        return None
    name = FIELD_NAMES_JA["guarantee_amount"]
    base = FIELD_NAMES_JA["contract_amount_covered"]
    bound = amount_bound(rule, covered)
    limit = "以下としてください(上限" if rule.kind == "max" else "以上としてください(下限"
    return FieldError("guarantee_amount", f"{name}は{base}の{rule.percent}%{limit} {bound:,}円)")


def check_owner_amount_rule(req: IssueRequest, overrides: Mapping[str, Mapping[str, Any]] | None) -> None:
    """An issue or an amendment against its owner's rule (its registered override, else the type's default)."""
    error = check_amount_rule(req.guarantee_amount, req.contract_amount_covered,
                              ratio_rules(overrides)[req.guarantee_type])
    if error is not None:
        raise ValidationFailed([error])


# --- guessing limits of 認証キー ------------------------------------------------------------------------------

@dataclass(frozen=True)
class GuessingLimits:
    """Per contract: `lock_after` consecutive failures lock it for `lock_duration`; `disable_after` failures in
    all disable the key until it is reissued. Per owner account: `account_failures_per_hour`."""

    lock_after: int
    lock_duration: timedelta
    disable_after: int
    account_failures_per_hour: int


GUESSING_LIMITS = GuessingLimits(
    lock_after=5,
    lock_duration=timedelta(minutes=15),
    disable_after=20,
    account_failures_per_hour=100,
)
