"""API errors: every one leaves the service as JSON `{code, message[, errors]}` with a Japanese message.

The classes derive from Chalice's own view errors (so their STATUS_CODE is the HTTP status) and from
`ChaliceUnhandledError`, which Chalice re-raises past its default `{Code, Message}` rendering so that
the one error middleware in `app.py` renders them all the same way.
"""

from __future__ import annotations

from typing import Any

from chalice import (
    BadRequestError,
    ChaliceUnhandledError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    Response,
    TooManyRequestsError,
    UnauthorizedError,
    UnprocessableEntityError,
)


class ApiError(ChaliceUnhandledError):
    STATUS_CODE = 500
    CODE = "internal_error"
    MESSAGE = "内部エラーが発生しました。時間をおいて再度お試しください。"

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str | list[str]] | None = None,
        extra_body: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message or self.MESSAGE
        self.errors = errors
        self.headers = headers or {}
        self.extra_body = extra_body or {}  # more fields of the JSON answer
        self.code = code or self.CODE
        super().__init__(self.message)

    def to_response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra_body)
        return Response(body=body, status_code=self.STATUS_CODE, headers=self.headers)


class BadRequest(ApiError, BadRequestError):
    STATUS_CODE = 400
    CODE = "bad_request"
    MESSAGE = "リクエストの内容に誤りがあります。"


class ValidationError(BadRequest):
    CODE = "validation_error"
    MESSAGE = "入力内容に誤りがあります。"


class Unauthorized(ApiError, UnauthorizedError):
    STATUS_CODE = 401
    CODE = "unauthorized"
    MESSAGE = "ログインが必要です。再度ログインしてください。"


class Forbidden(ApiError, ForbiddenError):
    STATUS_CODE = 403
    CODE = "forbidden"
    MESSAGE = "この操作を行う権限がありません。"


class NotFound(ApiError, NotFoundError):
    STATUS_CODE = 404
    CODE = "not_found"
    MESSAGE = "該当する保証証書が見つかりません。"


class Conflict(ApiError, ConflictError):
    STATUS_CODE = 409
    CODE = "conflict"
    MESSAGE = "他の操作と競合しました。最新の内容を確認してください。"


class PayloadTooLarge(ApiError):
    STATUS_CODE = 413
    CODE = "payload_too_large"
    MESSAGE = "リクエスト本文が大きすぎます。"


class Unprocessable(ApiError, UnprocessableEntityError):
    STATUS_CODE = 422
    CODE = "unprocessable"
    MESSAGE = "この内容では処理できません。"


class TooManyRequests(ApiError, TooManyRequestsError):
    STATUS_CODE = 429
    CODE = "too_many_requests"
    MESSAGE = "試行回数が多すぎます。しばらくしてから再度お試しください。"


class ServiceUnavailable(ApiError):
    """A part the service needs is not set up (Chalice has no 503 of its own)."""

    STATUS_CODE = 503
    CODE = "service_unavailable"
    MESSAGE = "現在この操作を行えません。時間をおいて再度お試しください。"


def from_validation(errors: list[Any], message: str | None = None) -> ValidationError:
    """The one translation of a domain ValidationFailed (its FieldErrors) into the API's 400."""
    return ValidationError(message, errors=[{"field": e.field, "message": e.message} for e in errors])


# Chalice's own rejections (unknown method, media type, unhandled exception) use its default body;
# these give them our shape and a Japanese message.
_CHALICE_DEFAULTS = {
    400: (BadRequest.CODE, BadRequest.MESSAGE),
    401: (Unauthorized.CODE, Unauthorized.MESSAGE),
    403: (Forbidden.CODE, Forbidden.MESSAGE),
    404: (NotFound.CODE, "指定されたリソースが見つかりません。"),
    405: ("method_not_allowed", "このメソッドは使用できません。"),
    415: ("unsupported_media_type", "Content-Type は application/json としてください。"),
    500: (ApiError.CODE, ApiError.MESSAGE),
}


def reshape_chalice_error(response: Response) -> Response:
    """Turn Chalice's `{Code, Message}` body into ours, keeping status and headers."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    code, message = _CHALICE_DEFAULTS.get(response.status_code, (ApiError.CODE, ApiError.MESSAGE))
    response.body = {"code": code, "message": message}
    return response


__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "ValidationError",
    "from_validation",
    "reshape_chalice_error",
]
