"""What the two small lists' searches mean: the owner's 確認済み一覧 (by 保証契約番号, 工事名 or 受注者) and the
surety console's contractor lookup (by id or by the beginning of the name). Which read serves each is the store's
(docs/ARCHITECTURE.md, the owner's 確認済み一覧 and the contractor lookup). Pure: no AWS, no Chalice."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.limits import CONTRACT_NUMBER_DIGITS, SEARCH_TEXT_MAX
from chalicelib.domain.normalize import normalize_contract_number, normalize_search_text
from chalicelib.domain.records import VerificationEntry
from chalicelib.domain.search import company_name_key
from chalicelib.domain.validation import FieldError, Invalid, ValidationFailed, is_identifier, optional_text


class VerifiedField(StrEnum):
    """`field` of GET /v1/verifications: where `q` is looked for; "all" lists everything."""

    ALL = "all"
    CONTRACT_NUMBER = "contract_number"
    PROJECT_NAME = "project_name"
    CONTRACTOR = "contractor"


VERIFIED_FIELD_NAMES_JA = {VerifiedField.ALL: "全件", VerifiedField.CONTRACT_NUMBER: "保証契約番号",
                           VerifiedField.PROJECT_NAME: "工事名", VerifiedField.CONTRACTOR: "受注者"}


@dataclass(frozen=True)
class VerifiedSearch:
    """A search of the owner's 確認済み一覧: a 保証契約番号 (whole: the clerk has it from the key notice and the
    前払金請求書) is one keyed read; a 工事名 or a 受注者 (folded as the stored search fields are) a partial match
    within the owner's rows."""

    field: VerifiedField
    needle: str

    @property
    def contract_number(self) -> str | None:
        return self.needle if self.field is VerifiedField.CONTRACT_NUMBER else None

    def matches(self, entry: VerificationEntry) -> bool:
        """The search as a plain predicate over a row (the reference the store's reads are tested against)."""
        if self.field is VerifiedField.CONTRACT_NUMBER:
            return self.needle == entry.contract_number
        assert entry.state is not None
        text = entry.state.project_name if self.field is VerifiedField.PROJECT_NAME else entry.state.contractor_name
        return self.needle in normalize_search_text(text)

    def scope(self) -> dict[str, str]:
        """The search, to bind a cursor to it."""
        return {"sf": self.field.value, "sq": self.needle}


def parse_verified_search(params: Mapping[str, str]) -> VerifiedSearch | None:
    """`field` and `q` of the owner's list (query string or portal form); None lists everything (全件, or no `q`).
    ValidationFailed names the field at fault."""
    raw_field = params.get("field") or VerifiedField.ALL.value
    try:
        field = VerifiedField(raw_field)
    except ValueError:
        choices = "・".join(f"{name}({f.value})" for f, name in VERIFIED_FIELD_NAMES_JA.items())
        message = f"検索項目は{choices}のいずれかを指定してください"
        raise ValidationFailed([FieldError("field", message)], message) from None
    q = (params.get("q") or "").strip()
    if field is VerifiedField.ALL or not q:
        return None
    try:
        optional_text("検索語", q, SEARCH_TEXT_MAX)
    except Invalid as problem:
        raise ValidationFailed([FieldError("q", problem.message)], problem.message) from None
    if field is VerifiedField.CONTRACT_NUMBER:
        number = normalize_contract_number(q)
        if number is None:
            message = f"保証契約番号で検索する場合は{CONTRACT_NUMBER_DIGITS}桁の数字を入力してください"
            raise ValidationFailed([FieldError("q", message)], message)
        return VerifiedSearch(field, number)
    needle = normalize_search_text(q)
    return VerifiedSearch(field, needle) if needle else None


@dataclass(frozen=True)
class ContractorLookup:
    """What the console's search box asks for: the contractor of that id (when the text could be one) and those
    whose name begins with it (法人格 before or after the name ignored: company_name_key)."""

    contractor_id: str | None
    name_prefix: str

    def scope(self) -> dict[str, str]:
        return {"q": self.name_prefix, "id": self.contractor_id or ""}


def parse_contractor_lookup(q: str) -> ContractorLookup | None:
    """None for an empty box (the whole registry, in name order). Longer text than any name is cut, not refused:
    it simply matches nothing."""
    text = q.strip()[:SEARCH_TEXT_MAX]
    if not text:
        return None
    typed_id = unicodedata.normalize("NFKC", text)  # full-width letters and digits; ids keep their hyphens
    return ContractorLookup(typed_id if is_identifier(typed_id) else None, company_name_key(text))
