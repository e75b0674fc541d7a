"""What both wings share, the JSON API (`handlers/`) and the portal (`portal/`): the Blueprint that turns a
domain ValidationFailed into a 400, the request id, and the parsing of path parameters
(docs/ARCHITECTURE.md, layers). Neither wing imports the other; both import this."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import chalice
from chalice.app import Request, Response, handle_extra_types

from chalicelib.domain.validation import FieldError, Invalid, ValidationFailed, contract_number
from chalicelib.errors import from_validation


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


JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def utf8_json(response: Response) -> Response:
    """The API's JSON as UTF-8 text: Chalice would serialise the body itself with `\\uXXXX` escapes for every
    Japanese character and no charset (docs/ARCHITECTURE.md, errors and logs). Applied once, to every /v1
    answer, errors included; a body that is already text (the CSV, a redirect) keeps its own type."""
    if isinstance(response.body, str | bytes):
        return response
    text = json.dumps(response.body, ensure_ascii=False, separators=(",", ":"), default=handle_extra_types)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed from a request: as an escape it stays valid JSON
        text = json.dumps(response.body, separators=(",", ":"), default=handle_extra_types)
    response.body = text
    headers = {name: value for name, value in (response.headers or {}).items() if name.lower() != "content-type"}
    response.headers = {**headers, "Content-Type": JSON_CONTENT_TYPE}
    return response


def request_id(request: Request, lambda_context: Any = None) -> str:
    """API Gateway's request id; where there is none (chalice local) one is made once per request and kept
    in the request context, so the audit trail and the access log name the same id."""
    context = request.context if request.context is not None else {}
    if not context.get("requestId"):
        context["requestId"] = getattr(lambda_context, "aws_request_id", None) or uuid.uuid4().hex
    return str(context["requestId"])


def contract_number_param(raw: str) -> str:
    """A 保証契約番号 from the path, normalised and checked as in a body (domain.validation.contract_number);
    a bad one is a 400 naming the field."""
    try:
        return contract_number("保証契約番号", unquote(raw))
    except Invalid as bad:
        raise ValidationFailed([FieldError("contract_number", bad.message)], f"{bad.message}。") from None


CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_download(body: bytes, disposition: str, headers: dict[str, Any] | None = None) -> chalice.Response:
    """A CSV answered inline, the same from both wings: text (API Gateway passes it through as it is), named by
    `disposition`, never kept by a browser or a proxy."""
    return chalice.Response(body=body.decode("utf-8"), status_code=200, headers={
        "Content-Type": CSV_CONTENT_TYPE, "Content-Disposition": disposition, "Cache-Control": "no-store",
        **(headers or {})})
