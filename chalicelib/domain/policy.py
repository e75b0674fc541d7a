"""Named policy of the service, defined once (docs/ARCHITECTURE.md, where each rule lives):
the owners' amount rules (保証金額 against 請負金額(対象額)) with their message, and the limits on guessing 認証キー."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from chalicelib.domain.types import GuaranteeType, WorkCategory
from chalicelib.domain.validation import FIELD_NAMES_JA, FieldError, IssueRequest, ValidationFailed

# --- amount rules -------------------------------------------------------------------------------------------

RatioKind = Literal["max", "min"]


@dataclass(frozen=True)
class RatioRule:
    """保証金額 ≤ (max) or ≥ (min) `percent` % of 請負金額(対象額)."""

    kind: RatioKind
    percent: int


# The usual rules by kind of work, stated once (docs/ARCHITECTURE.md, where each rule lives): None means the kind
# of guarantee does not exist for that work (測量等業務: no 中間前払金). An owner may override them (ratio_rules).
DEFAULT_RATIO_RULES: dict[GuaranteeType, RatioRule] = {
    GuaranteeType.ADVANCE_PAYMENT: RatioRule("max", 40),
    GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT: RatioRule("max", 20),
    GuaranteeType.PERFORMANCE: RatioRule("min", 10),
}
DEFAULT_RULES_BY_CATEGORY: dict[WorkCategory, dict[GuaranteeType, RatioRule | None]] = {
    WorkCategory.CONSTRUCTION: dict(DEFAULT_RATIO_RULES),
    # 測量・設計等: many owners pay 30 % and no intermediate advance.
    WorkCategory.SURVEY: {
        GuaranteeType.ADVANCE_PAYMENT: RatioRule("max", 30),
        GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT: None,
        GuaranteeType.PERFORMANCE: RatioRule("min", 10),
    },
    WorkCategory.GOODS: dict(DEFAULT_RATIO_RULES),
}


class RatioRulesInvalid(ValueError):
    """An owner's overrides are not of the form {"<type>": {"kind": "max"|"min", "percent": 1..100}}, optionally
    by kind of work: {"<work category>": {"<type>": {...} | null}} (null: that kind of guarantee is not offered)."""


def _parse_rule(key: str, rule: object) -> dict[str, Any]:
    if not isinstance(rule, Mapping) or set(rule) != {"kind", "percent"}:
        raise RatioRulesInvalid(f"bad ratio rule for {key!r}")
    kind, percent = rule["kind"], rule["percent"]
    if kind not in ("max", "min") or type(percent) is not int or not 1 <= percent <= 100:
        raise RatioRulesInvalid(f"bad ratio rule for {key!r}")
    return {"kind": kind, "percent": percent}


def parse_ratio_overrides(raw: object) -> dict[str, Any] | None:
    """An owner's overrides as registered: each names both `kind` and `percent` (an override that gave only
    a percent would silently keep a kind the clerk did not choose), for a known type, either for every kind of work
    or under a work category (where null says the type is not offered); None when empty."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise RatioRulesInvalid("ratio rules must be an object")
    types = set(GuaranteeType.__members__.values())
    rules: dict[str, Any] = {}
    for key, rule in raw.items():
        if key in types:
            rules[key] = _parse_rule(key, rule)
        elif key in set(WorkCategory.__members__.values()) and isinstance(rule, Mapping) and rule \
                and set(rule) <= types:
            rules[key] = {t: None if r is None else _parse_rule(f"{key}.{t}", r) for t, r in rule.items()}
        else:
            raise RatioRulesInvalid(f"bad ratio rule for {key!r}")
    return rules or None


def ratio_rules(overrides: Mapping[str, Any] | None,
                category: WorkCategory = WorkCategory.CONSTRUCTION) -> dict[GuaranteeType, RatioRule | None]:
    """The rule of each guarantee type for one kind of work: the owner's override for that kind of work, else its
    override for every kind, else the kind of work's default (None: not offered)."""
    parsed = parse_ratio_overrides(overrides) or {}
    rules = dict(DEFAULT_RULES_BY_CATEGORY[category])
    for kind_of_guarantee in GuaranteeType:
        by_category = parsed.get(category.value) or {}
        if kind_of_guarantee.value in by_category:
            override = by_category[kind_of_guarantee.value]
        elif kind_of_guarantee.value in parsed:
            override = parsed[kind_of_guarantee.value]
        else:
            continue
        rules[kind_of_guarantee] = None if override is None else RatioRule(override["kind"], override["percent"])
    return rules


def rules_by_category(overrides: Mapping[str, Any] | None) -> dict[str, dict[str, dict[str, Any] | None]]:
    """Every kind of work's rules as they apply to this owner, as JSON (GET /v1/obligees/{id})."""
    return {c.value: {t.value: None if r is None else {"kind": r.kind, "percent": r.percent}
                      for t, r in ratio_rules(overrides, c).items()}
            for c in WorkCategory}


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


def _owner_rule(req: IssueRequest, overrides: Mapping[str, Any] | None) -> RatioRule:
    rule = ratio_rules(overrides, req.work_category)[req.guarantee_type]
    if rule is None:
        kind, work = req.guarantee_type.name_ja, req.work_category.name_ja
        raise ValidationFailed([FieldError(
            "guarantee_type", f"{FIELD_NAMES_JA['guarantee_type']}: この発注者の{work}には{kind}の制度がないため、"
                              f"{kind}は発行できません")])
    return rule


def check_owner_amount_rule(req: IssueRequest, overrides: Mapping[str, Any] | None) -> None:
    """An issue against its owner's rule for its kind of work (its registered override, else the default); a kind of
    guarantee the owner does not offer for that work is refused naming guarantee_type."""
    error = check_amount_rule(req.guarantee_amount, req.contract_amount_covered, _owner_rule(req, overrides))
    if error is not None:
        raise ValidationFailed([error])


def check_amended_amount_rule(guarantee_amount_before: int, req: IssueRequest,
                              overrides: Mapping[str, Any] | None) -> None:
    """An amendment against its owner's rule. A cap (the advance kinds' max) binds a 保証金額 that grows; a smaller
    price under an unchanged or lower 保証金額 is the contract's own business (前金払の条: what is repaid,
    domain/advance.py), never refused for the cap. A minimum (契約保証) binds every change, as at issue."""
    rule = ratio_rules(overrides, req.work_category)[req.guarantee_type]
    # A guarantee of a kind no longer offered for its work stands as issued: a change is not refused for it.
    if rule is None or (rule.kind == "max" and req.guarantee_amount <= guarantee_amount_before):
        return
    error = check_amount_rule(req.guarantee_amount, req.contract_amount_covered, rule)
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
