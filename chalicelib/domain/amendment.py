"""変更契約: which changes issue a new certificate version and which are only recorded (注2, 注3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.domain.validation import (
    FIELD_NAMES_JA,
    FieldError,
    IssueRequest,
    ValidationFailed,
    iso_date,
    parse_issue_request,
    unknown_fields,
)
from chalicelib.domain.wareki import format_wareki_text

AMENDABLE_FIELDS = (
    "guarantee_amount",
    "contract_amount_total",
    "contract_amount_covered",
    "completion_date",
    "guarantee_period_end",
    "project_name",
    "deposit_bank",
)
# Changes that issue no new certificate: the contract amount alone (注3), and the completion date and the
# guarantee period, which follows the works' completion (注2: 「保証期間については、工期の完了に応じて自動的に
# 変更されますので、変更の保証証書は発行しません。」). They update the latest version in place, and its PDF.
RECORDED_ONLY = frozenset({"contract_amount_total", "contract_amount_covered", "completion_date",
                           "guarantee_period_end"})
# Recorded changes the owner relies on: the owners who verified the certificate are told of them.
OWNER_RELEVANT = frozenset({"completion_date", "guarantee_period_end"})


def followed_period_end(completion: date, period_end: date, new_completion: date) -> date:
    """The 保証期間's end after the 工期末日 moves (注2; docs/ARCHITECTURE.md, where each rule lives).

    A period that ran to the completion date follows it, either way. A period agreed beyond the completion
    date is never pulled back by a completion change: it stays, unless the new completion passes it.
    """
    if period_end <= completion:
        return new_completion
    return max(period_end, new_completion)


@dataclass(frozen=True)
class AmendmentPlan:
    expected_version: int
    expected_revision: int  # the revision read (every change bumps it)
    state: IssueRequest  # the guarantee after the change, validated like an issue
    changed: dict[str, tuple[Any, Any]]  # field -> (before, after), as JSON values
    issues_certificate: bool
    period_shortened: bool = False  # the guarantee period now ends earlier (always stated in `changes`)

    @property
    def tells_owner(self) -> bool:
        """Whether owners who verified the certificate are told of a change that issues no certificate."""
        return bool(OWNER_RELEVANT & set(self.changed))


def plan_amendment(current: Mapping[str, Any], body: Mapping[str, Any]) -> AmendmentPlan:
    """`current` is the guarantee as an issue body (JSON values); `body` the requested change."""
    # A field of the guarantee that no amendment changes (the contractor, the owner, ...) says so; any other
    # unknown field is refused as every body refuses one.
    errors = [FieldError(name, f"「{name}」は変更できない項目です")
              for name in sorted(set(body) & set(FIELD_NAMES_JA) - set(AMENDABLE_FIELDS))]
    errors += unknown_fields(body, (*FIELD_NAMES_JA, "expected_version", "expected_revision"))
    expected = body.get("expected_version")
    if not _positive_int(expected):
        errors.append(FieldError("expected_version", "expected_version(確認した版)は1以上の整数で指定してください"))
    # Both are required: the version alone would let a change overwrite a change recorded since it was read (注2, 注3).
    revision = body.get("expected_revision")
    if not _positive_int(revision):
        errors.append(FieldError("expected_revision",
                                 "expected_revision(確認した内容の改訂番号)は必須です。1以上の整数で指定してください"))
    if errors:
        raise ValidationFailed(errors)

    merged = dict(current)
    merged.update({k: body[k] for k in AMENDABLE_FIELDS if k in body})
    if ("contract_amount_total" in body and "contract_amount_covered" not in body
            and current.get("contract_amount_covered") == current.get("contract_amount_total")):
        merged["contract_amount_covered"] = None  # 対象額 that was the whole contract stays the whole contract
    if "completion_date" in body and "guarantee_period_end" not in body:
        # The period follows the completion (注2). A bad date leaves the period defaulted as at issue, so the
        # mistake is reported once, on completion_date.
        new_completion = iso_date(body["completion_date"])
        old_completion = iso_date(current.get("completion_date"))
        old_end = iso_date(current.get("guarantee_period_end"))
        merged["guarantee_period_end"] = (
            followed_period_end(old_completion, old_end, new_completion).isoformat()
            if new_completion and old_completion and old_end
            and new_completion >= (iso_date(current.get("contract_date")) or new_completion) else None)
    state = parse_issue_request(merged)

    after = state.terms.as_json()
    changed = {k: (current.get(k), after[k]) for k in AMENDABLE_FIELDS if current.get(k) != after[k]}
    if not changed:
        raise ValidationFailed([FieldError("body", "変更内容がありません。変更する項目を指定してください")])
    printed = set(changed) - RECORDED_ONLY
    shortened = "guarantee_period_end" in changed and after["guarantee_period_end"] < str(current.get(
        "guarantee_period_end"))
    assert isinstance(expected, int) and isinstance(revision, int)  # checked above
    return AmendmentPlan(expected, revision, state, changed, bool(printed), shortened)


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def describe_changes(changed: Mapping[str, tuple[Any, Any]]) -> list[str]:
    """One Japanese line per change, for the API answer, emails and the history: yen with separators, dates in
    和暦 as the certificate prints them; a guarantee period that ends earlier says so (never silently)."""
    lines = []
    for field, (before, after) in changed.items():
        label = FIELD_NAMES_JA.get(field, field)
        if isinstance(after, int) and not isinstance(after, bool):
            lines.append(f"{label}: {before:,}円 → {after:,}円")
        elif field in _DATE_FIELDS:
            line = f"{label}: {_date_text(before)} → {_date_text(after)}"
            if field == "guarantee_period_end":
                following = "completion_date" in changed
                note = "工期末日に連動" if following else "保証期間の変更"
                if str(after) < str(before):
                    note += "・短縮"
                line += f"({note})"
            lines.append(line)
        else:
            lines.append(f"{label}: {before or '(なし)'} → {after or '(なし)'}")
    return lines


_DATE_FIELDS = frozenset({"completion_date", "guarantee_period_end"})


def _date_text(value: object) -> str:
    parsed = iso_date(value)
    return format_wareki_text(parsed) if parsed else "(なし)"
