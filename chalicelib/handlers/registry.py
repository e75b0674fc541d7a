"""Owners and contractors, registered by the surety (PUT: 201 when new, 200 when replaced)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.principal import Role
from chalicelib.handlers.common import authorized_call, json_object
from chalicelib.http import Blueprint

bp = Blueprint(__name__)


@bp.route("/v1/obligees/{obligee_id}", methods=["PUT"])
def put_obligee(obligee_id: str) -> Response:
    from chalicelib.services.parties import register_obligee

    call = authorized_call(bp, Role.SURETY)
    body, created = register_obligee(obligee_id, json_object(call.request))
    return Response(body=body, status_code=201 if created else 200)


@bp.route("/v1/obligees/{obligee_id}", methods=["GET"])
def get_obligee(obligee_id: str) -> dict[str, Any]:
    from chalicelib.services.parties import read_obligee

    authorized_call(bp, Role.SURETY)
    return read_obligee(obligee_id)


@bp.route("/v1/contractors/{contractor_id}", methods=["PUT"])
def put_contractor(contractor_id: str) -> Response:
    from chalicelib.services.parties import register_contractor

    call = authorized_call(bp, Role.SURETY)
    body, created = register_contractor(contractor_id, json_object(call.request))
    return Response(body=body, status_code=201 if created else 200)


@bp.route("/v1/obligees/{obligee_id}/machine-clients", methods=["POST"])
def post_machine_client(obligee_id: str) -> Response:
    from chalicelib.services.machine_clients import register

    call = authorized_call(bp, Role.SURETY)
    return Response(body=register(call.principal, obligee_id, json_object(call.request), call.request_id),
                    status_code=201)


@bp.route("/v1/obligees/{obligee_id}/machine-clients", methods=["GET"])
def get_machine_clients(obligee_id: str) -> dict[str, Any]:
    from chalicelib.services.machine_clients import list_clients

    authorized_call(bp, Role.SURETY)
    return list_clients(obligee_id)


@bp.route("/v1/obligees/{obligee_id}/machine-clients/{client_id}", methods=["DELETE"])
def delete_machine_client(obligee_id: str, client_id: str) -> dict[str, Any]:
    from chalicelib.services.machine_clients import revoke

    call = authorized_call(bp, Role.SURETY)
    return revoke(call.principal, obligee_id, client_id, call.request_id)


@bp.route("/v1/obligees/{obligee_id}/events", methods=["GET"])
def get_obligee_events(obligee_id: str) -> dict[str, Any]:
    from chalicelib.services.parties import obligee_events

    call = authorized_call(bp, Role.SURETY)
    return obligee_events(obligee_id, call.params)
