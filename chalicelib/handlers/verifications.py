"""The owner's side (D-Sure): verify a certificate with number + 認証キー, and list what was verified."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.auth import require_role
from chalicelib.handlers.common import json_object, request_id, use_tables
from chalicelib.verification import list_verified, verify

bp = Blueprint(__name__)


@bp.route("/v1/verifications", methods=["POST"])
def post_verification() -> dict[str, Any]:
    request = bp.current_request
    principal = require_role(request.headers, "obligee")
    body = json_object(request)
    use_tables()
    return verify(principal, body, request_id(request, bp.lambda_context))


@bp.route("/v1/verifications", methods=["GET"])
def get_verifications() -> dict[str, Any]:
    request = bp.current_request
    principal = require_role(request.headers, "obligee")
    use_tables()
    return list_verified(principal, request.query_params or {})
