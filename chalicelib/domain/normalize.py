"""Normalisation of text people type: judge what was meant, not how it was keyed in.

See docs/ARCHITECTURE.md, where each rule lives."""

from __future__ import annotations

import re
import unicodedata

from chalicelib.domain.limits import CONTRACT_NUMBER_DIGITS

# Hyphen-like characters people put in codes. NFKC already folds U+FF0D (full-width hyphen-minus) and
# U+FE63 to '-', U+2011 to U+2010 and U+FF70 (half-width ｰ) to U+30FC. U+30FC (ー) is here because a
# Japanese IME turns the minus key into it; normalize_typed is only for codes, never for free text.
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70")
# Invisible characters that ride along when a code is copied from a PDF or an email.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")

_CONTRACT_NUMBER = re.compile(rf"[0-9]{{{CONTRACT_NUMBER_DIGITS}}}")


def _is_separator(ch: str) -> bool:
    return ch.isspace() or ch in _HYPHENS or ch in _INVISIBLE


def normalize_typed(text: str) -> str:
    """NFKC (full-width to ASCII), then drop whitespace and hyphens. Case is kept."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not _is_separator(ch))


def normalize_contract_number(text: str) -> str | None:
    """The 保証契約番号 (CONTRACT_NUMBER_DIGITS digits) as typed, or None when it cannot be one."""
    candidate = normalize_typed(text)
    # [0-9], not \d: \d would also accept e.g. Arabic-Indic digits that NFKC leaves alone.
    return candidate if _CONTRACT_NUMBER.fullmatch(candidate) else None


def normalize_search_text(text: str) -> str:
    """Fold 工事名/発注者 for partial matching; apply the same to the stored field and to the query."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    joined = "".join(ch for ch in folded if not ch.isspace())
    # NFKC again: casefolding, and removing a space before a combining mark (NFKC of '¯' is ' ' + U+0304),
    # can leave sequences NFKC writes differently; without this a stored value would not re-normalise equal.
    return unicodedata.normalize("NFKC", joined)
