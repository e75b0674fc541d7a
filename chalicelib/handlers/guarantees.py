"""The surety's side: issuing, amending and cancelling guarantees."""

from __future__ import annotations

from chalice import Response

from chalicelib.handlers.common import Blueprint, authorized_call, contract_number_param, json_object

bp = Blueprint(__name__)


def _idempotency_key() -> str | None:
    return bp.current_request.headers.get("idempotency-key")


@bp.route("/v1/guarantees", methods=["POST"])
def issue() -> Response:
    from chalicelib.services.issuance import issue_guarantee  # imported by the route that uses it (cold start)

    call = authorized_call(bp, "surety")
    status, body = issue_guarantee(call.principal, json_object(call.request), _idempotency_key(), call.request_id)
    return Response(body=body, status_code=status)


@bp.route("/v1/guarantees/{contract_number}/amendments", methods=["POST"])
def post_amendment(contract_number: str) -> Response:
    from chalicelib.services.amendments import amend

    call = authorized_call(bp, "surety")
    status, body = amend(call.principal, contract_number_param(contract_number), json_object(call.request),
                         _idempotency_key(), call.request_id)
    return Response(body=body, status_code=status)


@bp.route("/v1/guarantees/{contract_number}/cancel", methods=["POST"])
def post_cancel(contract_number: str) -> Response:
    from chalicelib.services.amendments import cancel

    call = authorized_call(bp, "surety")
    status, body = cancel(call.principal, contract_number_param(contract_number), json_object(call.request),
                          _idempotency_key(), call.request_id)
    return Response(body=body, status_code=status)
