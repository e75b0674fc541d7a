"""POST /v1/auth/login: username + password against the Cognito pool, answered with an ID token.
POST /v1/auth/new-password: the first login of a user created with a temporary password sets its own.
POST /v1/auth/mfa-setup, /v1/auth/mfa: surety staff enrol a TOTP app, then answer its code at each login."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.identity import (
    CODE_RULES,
    NEW_PASSWORD_RULES,
    InvalidNewPassword,
    SignIn,
    WrongCode,
    answer_totp,
    complete_new_password,
    enrol_totp,
    sign_in,
)
from chalicelib.domain.validation import FieldError, ValidationFailed, required_message
from chalicelib.handlers.common import json_object
from chalicelib.http import Blueprint

bp = Blueprint(__name__)


def _required(body: dict[str, Any], fields: tuple[tuple[str, str], ...]) -> None:
    """Credentials are taken as typed (never stripped or judged as text): only their presence is checked.
    Other fields are ignored (openapi.yaml)."""
    errors = [FieldError(name, required_message(label)) for name, label in fields
              if not isinstance(body.get(name), str) or not body[name]]
    if errors:
        raise ValidationFailed(errors)


@bp.route("/v1/auth/login", methods=["POST"])
def login() -> dict[str, Any]:
    body = json_object(bp.current_request)
    _required(body, (("username", "ユーザー名"), ("password", "パスワード")))
    return _signed_in(sign_in(body["username"], body["password"]))


@bp.route("/v1/auth/new-password", methods=["POST"])
def new_password() -> dict[str, Any]:
    body = json_object(bp.current_request)
    _required(body, (("username", "ユーザー名"), ("session", "セッション"), ("new_password", "新しいパスワード")))
    try:
        signed_in = complete_new_password(body["username"], body["session"], body["new_password"])
    except InvalidNewPassword:
        raise ValidationFailed([FieldError("new_password", NEW_PASSWORD_RULES)]) from None
    return _signed_in(signed_in)




@bp.route("/v1/auth/mfa-setup", methods=["POST"])
def mfa_setup() -> dict[str, Any]:
    body = json_object(bp.current_request)
    _required(body, (("setup_token", "登録トークン"), ("code", "ワンタイムコード")))
    try:
        enrol_totp(body["setup_token"], body["code"])
    except WrongCode:
        raise ValidationFailed([FieldError("code", CODE_RULES)]) from None
    return {"mfa": "totp"}


@bp.route("/v1/auth/mfa", methods=["POST"])
def mfa() -> dict[str, Any]:
    body = json_object(bp.current_request)
    _required(body, (("username", "ユーザー名"), ("session", "セッション"), ("code", "ワンタイムコード")))
    try:
        return _signed_in(answer_totp(body["username"], body["session"], body["code"]))
    except WrongCode:
        raise ValidationFailed([FieldError("code", CODE_RULES)]) from None


def _signed_in(signed_in: SignIn) -> dict[str, Any]:
    from chalicelib.services.presenters import signed_in as presented  # off the start-up path (cold start)

    return presented(signed_in)
