"""POST /v1/auth/login: username + password against the Cognito pool, answered with an ID token."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.identity import sign_in
from chalicelib.domain.validation import FieldError, ValidationFailed
from chalicelib.handlers.common import Blueprint, json_object

bp = Blueprint(__name__)


@bp.route("/v1/auth/login", methods=["POST"])
def login() -> dict[str, Any]:
    body = json_object(bp.current_request)
    errors = [
        FieldError(name, f"{label}を入力してください")
        for name, label in (("username", "ユーザー名"), ("password", "パスワード"))
        if not isinstance(body.get(name), str) or not body[name]
    ]
    if errors:
        raise ValidationFailed(errors)
    signed_in = sign_in(body["username"], body["password"])
    return {
        "id_token": signed_in.id_token,
        "expires_in": signed_in.expires_in,
        "role": signed_in.principal.role,
        "org_id": signed_in.principal.org_id,
    }
