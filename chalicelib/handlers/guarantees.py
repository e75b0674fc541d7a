"""The surety's side: issuing guarantees."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.auth import require_role
from chalicelib.handlers.common import json_object, request_id, use_tables
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
