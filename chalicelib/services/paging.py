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
from enum import StrEnum
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
    invalid = _invalid_cursor()
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
    return state


def _invalid_cursor() -> BadRequest:
    message = "cursor が不正です。一覧の先頭から取得し直してください。"
    return BadRequest(message, code="invalid_cursor", errors=[{"field": "cursor", "message": message}])


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
        after = decode_cursor(cursor, scope) if cursor else None
        if after is not None and not isinstance(after.get("sort"), str):
            raise _invalid_cursor()
        return cls(scope, limit, after)

    def next_cursor(self, page: Sequence[T], has_more: bool, position: Callable[[T], dict[str, Any]]) -> str | None:
        """The cursor of the page after `page`, or None at the end; `position` says where an item stands
        (it must hold "sort")."""
        if not has_more or not page:
            return None
        return encode_cursor({**self.scope, **position(page[-1])})


# --- lists paged both ways: 先頭 / 前 / 次 / 最後 (保証工事一覧 and its searches) ------------------------------


class Direction(StrEnum):
    AFTER = "f"  # the page after `position` (次)
    BEFORE = "b"  # the page before `position` (前), read backwards and shown in order
    LAST = "l"  # the last page (最後), read backwards from the end


@dataclass(frozen=True)
class Cursor:
    """Where a page of a two-way list starts, signed and bound to the caller's search: the direction, the position
    (sort key, 保証契約番号, version) of the row it starts past, the offset of its first row (「N件中 a - b件」), the
    search's total counted on its first page (a list reads its counter instead), and, across contractors by month,
    the month to go on from."""

    direction: Direction
    position: tuple[str, str, int] | None = None
    offset: int = 0
    total: int | None = None
    month: str | None = None
    inclusive: bool = False  # BEFORE: the page ending with the row at `position` (back from an empty page)

    def encode(self, scope: Mapping[str, Any]) -> str:
        state: dict[str, Any] = {**scope, "d": self.direction.value, "o": self.offset}
        if self.position is not None:
            state["p"] = list(self.position)
        if self.total is not None:
            state["t"] = self.total
        if self.month is not None:
            state["m"] = self.month
        if self.inclusive:
            state["i"] = 1
        return encode_cursor(state)

    @classmethod
    def decode(cls, cursor: str, scope: Mapping[str, Any]) -> Cursor:
        """Our own signed state (decode_cursor checks the signature first); a shape we never write is a 400 too."""
        state = decode_cursor(cursor, scope)
        position, total, month = state.get("p"), state.get("t"), state.get("m")
        try:
            direction = Direction(str(state.get("d")))
        except ValueError:
            raise _invalid_cursor() from None
        well_formed = (
            _is_count(state.get("o"))
            and (total is None or _is_count(total))
            and (month is None or isinstance(month, str))
            and (position is None or (isinstance(position, list) and len(position) == 3
                                      and isinstance(position[0], str) and isinstance(position[1], str)
                                      and _is_count(position[2])))
            and (position is not None or month is not None or direction is Direction.LAST)
        )
        if not well_formed:
            raise _invalid_cursor()
        return cls(direction, None if position is None else (position[0], position[1], position[2]),
                   state["o"], total, month, state.get("i") == 1)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
