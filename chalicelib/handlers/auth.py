"""POST /v1/auth/login: username + password against the Cognito pool, answered with an ID token.
POST /v1/auth/new-password: the first login of a user created with a temporary password sets its own."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.identity import (
    NEW_PASSWORD_RULES,
    InvalidNewPassword,
    SignIn,
    complete_new_password,
    sign_in,
)
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
    return _signed_in(sign_in(body["username"], body["password"]))


@bp.route("/v1/auth/new-password", methods=["POST"])
def new_password() -> dict[str, Any]:
    body = json_object(bp.current_request)
    errors = [
        FieldError(name, f"{label}を入力してください")
        for name, label in (("username", "ユーザー名"), ("session", "セッション"), ("new_password", "新しいパスワード"))
        if not isinstance(body.get(name), str) or not body[name]
    ]
    if errors:
        raise ValidationFailed(errors)
    try:
        signed_in = complete_new_password(body["username"], body["session"], body["new_password"])
    except InvalidNewPassword:
        raise ValidationFailed([FieldError("new_password", NEW_PASSWORD_RULES)]) from None
    return _signed_in(signed_in)


def _signed_in(signed_in: SignIn) -> dict[str, Any]:
    return {
        "id_token": signed_in.id_token,
        "expires_in": signed_in.expires_in,
        "role": signed_in.principal.role,
        "org_id": signed_in.principal.org_id,
    }
