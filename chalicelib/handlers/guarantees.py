"""The surety's side: issuing, amending and cancelling guarantees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.domain.principal import Principal, Role
from chalicelib.handlers.common import authorized_call, json_object
from chalicelib.http import Blueprint, contract_number_param

bp = Blueprint(__name__)

ChangeService = Callable[[Principal, str, dict[str, Any], str | None, str], tuple[int, dict[str, Any]]]


def _created(result: tuple[int, dict[str, Any]]) -> Response:
    status, body = result
    return Response(body=body, status_code=status)


def _change(service: ChangeService, contract_number: str) -> Response:
    """An amendment or cancellation of one guarantee, once per Idempotency-Key."""
    call = authorized_call(bp, Role.SURETY)
    return _created(service(call.principal, contract_number_param(contract_number), json_object(call.request),
                            call.request.headers.get("idempotency-key"), call.request_id))


@bp.route("/v1/guarantees", methods=["POST"])
def issue() -> Response:
    from chalicelib.services.issuance import issue_guarantee  # imported by the route that uses it (cold start)

    call = authorized_call(bp, Role.SURETY)
    return _created(issue_guarantee(call.principal, json_object(call.request),
                                    call.request.headers.get("idempotency-key"), call.request_id))


@bp.route("/v1/guarantees/{contract_number}/amendments", methods=["POST"])
def post_amendment(contract_number: str) -> Response:
    from chalicelib.services.amendments import amend

    return _change(amend, contract_number)


@bp.route("/v1/guarantees/{contract_number}/cancel", methods=["POST"])
def post_cancel(contract_number: str) -> Response:
    from chalicelib.services.amendments import cancel

    return _change(cancel, contract_number)
