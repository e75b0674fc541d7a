"""The owner's webhooks (docs/ARCHITECTURE.md, webhooks): endpoints, their deliveries, replaying a parked one."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.principal import Role
from chalicelib.handlers.common import authorized_call, json_object
from chalicelib.http import Blueprint

bp = Blueprint(__name__)


@bp.route("/v1/webhooks/endpoints", methods=["POST"])
def post_endpoint() -> Response:
    from chalicelib.services.webhooks import register

    call = authorized_call(bp, Role.OBLIGEE)
    return Response(register(call.principal, json_object(call.request), call.request_id), status_code=201)


@bp.route("/v1/webhooks/endpoints", methods=["GET"])
def get_endpoints() -> dict[str, Any]:
    from chalicelib.services.webhooks import list_endpoints

    return list_endpoints(authorized_call(bp, Role.OBLIGEE).principal)


@bp.route("/v1/webhooks/endpoints/{endpoint_id}", methods=["DELETE"])
def delete_endpoint(endpoint_id: str) -> dict[str, Any]:
    from chalicelib.services.webhooks import revoke

    call = authorized_call(bp, Role.OBLIGEE)
    return revoke(call.principal, endpoint_id, call.request_id)


@bp.route("/v1/webhooks/endpoints/{endpoint_id}/deliveries", methods=["GET"])
def get_deliveries(endpoint_id: str) -> dict[str, Any]:
    from chalicelib.services.webhooks import deliveries

    call = authorized_call(bp, Role.OBLIGEE)
    return deliveries(call.principal, endpoint_id, call.params)


@bp.route("/v1/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}/replay", methods=["POST"])
def post_replay(endpoint_id: str, delivery_id: str) -> Response:
    from chalicelib.services.webhooks import replay

    call = authorized_call(bp, Role.OBLIGEE)
    return Response(replay(call.principal, endpoint_id, delivery_id, call.request_id), status_code=202)
