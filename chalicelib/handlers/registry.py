"""Owners and contractors, registered by the surety (PUT: 201 when new, 200 when replaced)."""

from __future__ import annotations

from chalice import Response

from chalicelib.domain.principal import Role
from chalicelib.handlers.common import Blueprint, authorized_call, json_object

bp = Blueprint(__name__)


@bp.route("/v1/obligees/{obligee_id}", methods=["PUT"])
def put_obligee(obligee_id: str) -> Response:
    from chalicelib.services.parties import register_obligee

    call = authorized_call(bp, Role.SURETY)
    body, created = register_obligee(obligee_id, json_object(call.request))
    return Response(body=body, status_code=201 if created else 200)


@bp.route("/v1/contractors/{contractor_id}", methods=["PUT"])
def put_contractor(contractor_id: str) -> Response:
    from chalicelib.services.parties import register_contractor

    call = authorized_call(bp, Role.SURETY)
    body, created = register_contractor(contractor_id, json_object(call.request))
    return Response(body=body, status_code=201 if created else 200)
