"""変更契約: which changes issue a new certificate version and which are only recorded (注2, 注3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.validation import FIELD_NAMES_JA, FieldError, IssueRequest, ValidationFailed, parse_issue_request

AMENDABLE_FIELDS = (
    "guarantee_amount",
    "contract_amount_total",
    "contract_amount_covered",
    "completion_date",
    "guarantee_period_end",
    "project_name",
    "deposit_bank",
)
# Changes that issue no new certificate: the contract amount alone (注3) and the completion date, which
# the guarantee period follows (注2).
RECORDED_ONLY = frozenset({"contract_amount_total", "contract_amount_covered", "completion_date"})


@dataclass(frozen=True)
class AmendmentPlan:
    expected_version: int
    expected_revision: int | None  # the revision read (every change bumps it); None: not checked
    state: IssueRequest  # the guarantee after the change, validated like an issue
    changed: dict[str, tuple[Any, Any]]  # field -> (before, after), as JSON values
    issues_certificate: bool


def plan_amendment(current: Mapping[str, Any], body: Mapping[str, Any]) -> AmendmentPlan:
    """`current` is the guarantee as an issue body (JSON values); `body` the requested change."""
    errors: list[FieldError] = []
    for name in sorted(set(body) - set(AMENDABLE_FIELDS) - {"expected_version", "expected_revision"}):
        errors.append(FieldError(name, f"{name}は変更できない項目です"))
    expected = body.get("expected_version")
    if not _positive_int(expected):
        errors.append(FieldError("expected_version", "expected_version(確認した版)は1以上の整数で指定してください"))
    revision = body.get("expected_revision")
    if revision is not None and not _positive_int(revision):
        errors.append(FieldError("expected_revision",
                                 "expected_revision(確認した内容の改訂番号)は1以上の整数で指定してください"))
    if errors:
        raise ValidationFailed(errors)

    merged = dict(current)
    merged.update({k: body[k] for k in AMENDABLE_FIELDS if k in body})
    if ("contract_amount_total" in body and "contract_amount_covered" not in body
            and current.get("contract_amount_covered") == current.get("contract_amount_total")):
        merged["contract_amount_covered"] = None  # 対象額 that was the whole contract stays the whole contract
    if "completion_date" in body and "guarantee_period_end" not in body:
        # The period follows the completion (注2): defaulted as at issue, so a bad date is reported once.
        merged["guarantee_period_end"] = None
    state = parse_issue_request(merged)

    after = _as_json(state)
    changed = {k: (current.get(k), after[k]) for k in AMENDABLE_FIELDS if current.get(k) != after[k]}
    if not changed:
        raise ValidationFailed([FieldError("body", "変更内容がありません。変更する項目を指定してください")])
    period_followed = "completion_date" in changed and after["guarantee_period_end"] == after["completion_date"]
    printed = set(changed) - RECORDED_ONLY - ({"guarantee_period_end"} if period_followed else set())
    assert isinstance(expected, int)  # checked above
    return AmendmentPlan(expected, revision if isinstance(revision, int) else None, state, changed, bool(printed))


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _as_json(state: IssueRequest) -> dict[str, Any]:
    return {
        "guarantee_amount": state.guarantee_amount,
        "contract_amount_total": state.contract_amount_total,
        "contract_amount_covered": state.contract_amount_covered,
        "completion_date": state.completion_date.isoformat(),
        "guarantee_period_end": state.guarantee_period_end.isoformat(),
        "project_name": state.project_name,
        "deposit_bank": state.deposit_bank,
    }


def describe_changes(changed: Mapping[str, tuple[Any, Any]]) -> list[str]:
    """One Japanese line per change, for emails and the history (values as stored: yen, ISO dates)."""
    lines = []
    for field, (before, after) in changed.items():
        label = FIELD_NAMES_JA.get(field, field)
        if isinstance(after, int) and not isinstance(after, bool):
            lines.append(f"{label}: {before:,}円 → {after:,}円")
        else:
            lines.append(f"{label}: {before or '(なし)'} → {after or '(なし)'}")
    return lines
