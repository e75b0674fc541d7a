"""POST /v1/auth/login: username + password against the Cognito pool, answered with an ID token."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.adapters.aws import client
from chalicelib.adapters.identity import verify_id_token
from chalicelib.config import get_settings
from chalicelib.errors import Unauthorized, ValidationError
from chalicelib.handlers.common import json_object

bp = Blueprint(__name__)

_BAD_CREDENTIALS = "ユーザー名またはパスワードが正しくありません。"


@bp.route("/v1/auth/login", methods=["POST"])
def login() -> dict[str, Any]:
    body = json_object(bp.current_request)
    errors = [
        {"field": name, "message": f"{label}を入力してください"}
        for name, label in (("username", "ユーザー名"), ("password", "パスワード"))
        if not isinstance(body.get(name), str) or not body[name]
    ]
    if errors:
        raise ValidationError(errors=errors)
    settings = get_settings()
    cognito = client("cognito-idp", settings.region)
    try:
        result = cognito.initiate_auth(
            ClientId=settings.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": body["username"], "PASSWORD": body["password"]},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        # One answer for an unknown user and a wrong password.
        raise Unauthorized(_BAD_CREDENTIALS, code="invalid_credentials") from None
    tokens = result.get("AuthenticationResult")
    if not tokens:  # a challenge (e.g. a new password) is not served by this API
        raise Unauthorized("このアカウントは追加の手続きが必要です。管理者にお問い合わせください。",
                           code="challenge_required")
    principal = verify_id_token(tokens["IdToken"], settings)
    return {
        "id_token": tokens["IdToken"],
        "expires_in": tokens.get("ExpiresIn", 3600),
        "role": principal.role,
        "org_id": principal.org_id,
    }
