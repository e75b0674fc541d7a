"""Opaque, tamper-proof page cursors: signed state bound to the caller's own query."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.adapters.key_material import derived_key
from chalicelib.errors import BadRequest


def _sign(payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(derived_key("cursor"), payload, hashlib.sha256).digest()[:16]).decode()


def encode_cursor(state: dict[str, Any]) -> str:
    payload = json.dumps(state, sort_keys=True, separators=(",", ":")).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{_sign(payload)}"


def decode_cursor(cursor: str, expect: dict[str, Any]) -> dict[str, Any]:
    """A cursor is only good for the same caller's same search; anything else is a 400."""
    message = "cursor が不正です。一覧の先頭から取得し直してください。"
    invalid = BadRequest(message, code="invalid_cursor", errors=[{"field": "cursor", "message": message}])
    try:
        body, _, signature = cursor.partition(".")
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        state = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if not hmac.compare_digest(signature.encode(), _sign(payload).encode()) or not isinstance(state, dict):
        raise invalid
    if any(state.get(k) != v for k, v in expect.items()) or not isinstance(state.get("sort"), str):
        raise invalid
    return state
