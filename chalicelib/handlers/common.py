"""What the JSON API's Blueprints share: the authorised call and the JSON body within its limits
(docs/ARCHITECTURE.md, layers). What the portal shares with them is chalicelib/http.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import chalice
from chalice.app import Request

from chalicelib.adapters.identity import (
    bearer_token,
    claims_token_use,
    require_role,
    verify_access_token,
    verify_id_token,
)
from chalicelib.domain.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH
from chalicelib.domain.principal import Principal
from chalicelib.errors import BadRequest, PayloadTooLarge
from chalicelib.http import request_id


@dataclass(frozen=True)
class Call:
    """An authorised request: who calls, its query parameters and its id for the audit trail."""

    request: Request
    principal: Principal
    request_id: str

    @property
    def params(self) -> dict[str, str]:
        return dict(self.request.query_params or {})


def authorized_call(bp: chalice.Blueprint, *roles: str, machine_scope: str | None = None) -> Call:
    """The current request, once its caller holds one of `roles` (401/403 otherwise), with tables bound.
    With `machine_scope`, an owner's machine client may call too, with an access token granting that scope
    (docs/ARCHITECTURE.md, machine clients); everywhere else only ID tokens are taken."""
    from chalicelib.services.tables import use_tables  # pynamodb: loaded by the first route that needs it

    request = bp.current_request
    token = bearer_token(request.headers)
    if machine_scope is not None and claims_token_use(token) == "access":
        from chalicelib.services.machine_clients import machine_principal

        verified = verify_access_token(token)
        use_tables()
        principal = require_role(machine_principal(verified, machine_scope), *roles)
    else:
        principal = require_role(verify_id_token(token), *roles)
    use_tables()
    return Call(request, principal, request_id(request, bp.lambda_context))


def _too_deep(value: Any, limit: int) -> bool:
    """Whether objects/arrays nest deeper than `limit` (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _unpaired_surrogate_field(body: dict[str, Any]) -> str | None:
    """The top-level field whose value (or name) holds a lone UTF-16 surrogate (JSON's `\\udc00`): no UTF-8 text
    can carry it, so storing, logging or answering it would fail later as a 500."""
    for field, value in body.items():
        stack: list[Any] = [field, value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return field.encode("utf-8", "backslashreplace").decode("ascii", "replace")
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return None


def json_object(request: Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request body, which must be a JSON object within the limits of chalicelib.domain.limits."""
    raw = request.raw_body
    if not raw:
        raise BadRequest("リクエスト本文(JSON)がありません。", code="body_required",
                         errors=[{"field": "body", "message": "JSON形式の本文が必要です"}])
    if len(raw) > max_bytes:
        limit = f"{max_bytes // 1024}KB以内"
        raise PayloadTooLarge(f"リクエスト本文は{limit}としてください。",
                              errors=[{"field": "body", "message": f"{limit}で送信してください"}])
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("リクエスト本文がJSONとして読み取れません。", code="invalid_json",
                         errors=[{"field": "body", "message": "JSON形式で送信してください"}]) from None
    if _too_deep(body, MAX_JSON_DEPTH):
        raise BadRequest(f"リクエスト本文の入れ子は{MAX_JSON_DEPTH}段までとしてください。", code="invalid_json",
                         errors=[{"field": "body", "message": f"入れ子は{MAX_JSON_DEPTH}段までです"}])
    if not isinstance(body, dict):
        raise BadRequest("リクエスト本文はJSONオブジェクトとしてください。", code="invalid_json",
                         errors=[{"field": "body", "message": "JSONオブジェクトで送信してください"}])
    field = _unpaired_surrogate_field(body)
    if field is not None:
        raise BadRequest(f"「{field}」に文字として読めない値(対になっていないサロゲート)があります。",
                         code="invalid_json",
                         errors=[{"field": field, "message": "UTF-8で表せる文字で送信してください"}])
    return body
