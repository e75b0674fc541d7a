"""The owner's side (確認サービス): verify a certificate with number + 認証キー, list what was verified, and open one of
those again."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.identity import SCOPE_READ, SCOPE_WRITE
from chalicelib.domain.principal import Role
from chalicelib.handlers.common import authorized_call, json_object
from chalicelib.http import Blueprint, contract_number_param

bp = Blueprint(__name__)


@bp.route("/v1/verifications", methods=["POST"])
def post_verification() -> dict[str, Any]:
    from chalicelib.services.verification import verify  # imported by the route that uses it (cold start)

    call = authorized_call(bp, Role.OBLIGEE, machine_scope=SCOPE_WRITE)
    return verify(call.principal, json_object(call.request), call.request_id)


@bp.route("/v1/verifications", methods=["GET"])
def get_verifications() -> dict[str, Any]:
    from chalicelib.services.verification import list_verified

    call = authorized_call(bp, Role.OBLIGEE, machine_scope=SCOPE_READ)
    return list_verified(call.principal, call.params)


@bp.route("/v1/verifications/{contract_number}", methods=["GET"])
def get_verification(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.verification import reopen_verified

    call = authorized_call(bp, Role.OBLIGEE, machine_scope=SCOPE_READ)
    return reopen_verified(call.principal, contract_number_param(contract_number), call.request_id)
