"""The surety's side: issuing, amending and cancelling guarantees."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.amendments import amend, cancel
from chalicelib.auth import require_role
from chalicelib.handlers.common import contract_number_param, json_object, request_id, use_tables
from chalicelib.issuance import issue_guarantee

bp = Blueprint(__name__)


@bp.route("/v1/guarantees", methods=["POST"])
def issue() -> Response:
    request = bp.current_request
    principal = require_role(request.headers, "surety")
    use_tables()
    status, body = issue_guarantee(
        principal,
        json_object(request),
        request.headers.get("idempotency-key"),
        request_id(request, bp.lambda_context),
    )
    return Response(body=body, status_code=status)


@bp.route("/v1/guarantees/{contract_number}/amendments", methods=["POST"])
def post_amendment(contract_number: str) -> Response:
    request = bp.current_request
    principal = require_role(request.headers, "surety")
    number = contract_number_param(contract_number)
    body = json_object(request)
    use_tables()
    status, answer = amend(principal, number, body, request.headers.get("idempotency-key"),
                           request_id(request, bp.lambda_context))
    return Response(body=answer, status_code=status)


@bp.route("/v1/guarantees/{contract_number}/cancel", methods=["POST"])
def post_cancel(contract_number: str) -> Response:
    request = bp.current_request
    principal = require_role(request.headers, "surety")
    number = contract_number_param(contract_number)
    body = json_object(request)
    use_tables()
    status, answer = cancel(principal, number, body, request.headers.get("idempotency-key"),
                            request_id(request, bp.lambda_context))
    return Response(body=answer, status_code=status)
