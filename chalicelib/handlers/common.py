"""Small pieces every Blueprint uses to turn HTTP into service calls and back (docs/ARCHITECTURE.md, handlers)."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

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
from chalicelib.domain.normalize import normalize_contract_number
from chalicelib.domain.principal import Principal
from chalicelib.domain.validation import FieldError, ValidationFailed
from chalicelib.errors import BadRequest, PayloadTooLarge, from_validation


class Blueprint(chalice.Blueprint):
    """Chalice's Blueprint whose views turn a domain ValidationFailed into the API's 400: the one place
    where that translation happens for every route."""

    def route(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def translated(*args: Any, **view_kwargs: Any) -> Any:
                try:
                    return view(*args, **view_kwargs)
                except ValidationFailed as exc:
                    raise from_validation(exc.errors, exc.message) from exc

            register(translated)
            return view

        return decorator


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


def request_id(request: Request, lambda_context: Any = None) -> str:
    """API Gateway's request id; where there is none (chalice local) one is made once per request and kept
    in the request context, so the audit trail and the access log name the same id."""
    context = request.context if request.context is not None else {}
    if not context.get("requestId"):
        context["requestId"] = getattr(lambda_context, "aws_request_id", None) or uuid.uuid4().hex
    return str(context["requestId"])


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
    return body


def contract_number_param(raw: str) -> str:
    """A 保証契約番号 from the path, normalised; not 10 digits is a 400 naming the field."""
    contract_number = normalize_contract_number(unquote(raw))
    if contract_number is None:
        message = "保証契約番号は10桁の数字で指定してください。"
        raise ValidationFailed([FieldError("contract_number", message)], message)
    return contract_number
