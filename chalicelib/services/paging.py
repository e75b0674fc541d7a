"""Paging of every list (保証工事一覧, 確認済み一覧, audit trail): the `limit` parameter and opaque,
tamper-proof cursors bound to the caller's own query (docs/ARCHITECTURE.md, paging)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib.adapters.key_material import derived_key
from chalicelib.domain.limits import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT
from chalicelib.domain.validation import FieldError, ValidationFailed
from chalicelib.errors import BadRequest

T = TypeVar("T")


def parse_limit(raw: str | None) -> int:
    """`?limit=` (1..MAX_LIMIT, default DEFAULT_LIMIT); full-width digits are read, anything else is a 400."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    # NFKC (full-width digits) but not normalize_typed, which drops hyphens: "-1" is not 1.
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_LIMIT)) or not 1 <= int(text) <= MAX_LIMIT:
        message = f"limit(表示件数)は1から{MAX_LIMIT}までの整数で指定してください。"
        raise ValidationFailed([FieldError("limit", message)], message)
    return int(text)


def _sign(payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(derived_key("cursor"), payload, hashlib.sha256).digest()[:16]).decode()


def encode_cursor(state: Mapping[str, Any]) -> str:
    payload = json.dumps(state, sort_keys=True, separators=(",", ":")).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{_sign(payload)}"


def decode_cursor(cursor: str, scope: Mapping[str, Any]) -> dict[str, Any]:
    """A cursor is only good for the same caller's same search; anything else is a 400. The signature is
    checked before the payload is parsed, so only our own JSON is ever parsed."""
    message = "cursor が不正です。一覧の先頭から取得し直してください。"
    invalid = BadRequest(message, code="invalid_cursor", errors=[{"field": "cursor", "message": message}])
    if len(cursor) > MAX_CURSOR:
        raise invalid
    body, _, signature = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, binascii.Error):
        raise invalid from None
    if not signature.isascii() or not hmac.compare_digest(signature.encode(), _sign(payload).encode()):
        raise invalid
    state = json.loads(payload)
    if not isinstance(state, dict) or any(state.get(k) != v for k, v in scope.items()):
        raise invalid
    if not isinstance(state.get("sort"), str):
        raise invalid
    return state


@dataclass(frozen=True)
class PageRequest:
    """`limit` and the position after which the page starts (None: from the top), for one scope."""

    scope: dict[str, Any]
    limit: int
    after: dict[str, Any] | None

    @classmethod
    def from_params(cls, params: Mapping[str, str], scope: dict[str, Any]) -> PageRequest:
        limit = parse_limit(params.get("limit"))
        cursor = params.get("cursor")
        return cls(scope, limit, decode_cursor(cursor, scope) if cursor else None)

    def next_cursor(self, page: Sequence[T], has_more: bool, position: Callable[[T], dict[str, Any]]) -> str | None:
        """The cursor of the page after `page`, or None at the end; `position` says where an item stands
        (it must hold "sort")."""
        if not has_more or not page:
            return None
        return encode_cursor({**self.scope, **position(page[-1])})
