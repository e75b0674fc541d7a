"""Owners and contractors, registered by the surety."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.domain.parties import parse_contractor, parse_obligee, parse_registry_id
from chalicelib.domain.validation import ValidationFailed
from chalicelib.errors import ValidationError
from chalicelib.handlers.common import Blueprint, authorized_call, json_object
from chalicelib.store import parties as registry_store
from chalicelib.store.models import Contractor, Obligee

bp = Blueprint(__name__)


def _validated(parse: Any, *args: Any) -> Any:
    try:
        return parse(*args)
    except ValidationFailed as exc:
        raise ValidationError(errors=[{"field": e.field, "message": e.message} for e in exc.errors]) from exc


def _obligee_json(item: Obligee) -> dict[str, Any]:
    return {
        "obligee_id": item.obligee_id,
        "name": item.name,
        "e_guarantee_start_date": item.e_guarantee_start_date,
        "eligible_work_categories": list(item.eligible_work_categories),
        "submission_method": item.submission_method,
        "contact_email": item.contact_email,
        "ratio_rules": json.loads(item.ratio_rules) if item.ratio_rules else None,
    }


def _contractor_json(item: Contractor) -> dict[str, Any]:
    return {
        "contractor_id": item.contractor_id,
        "name": item.name,
        "address": item.address,
        "email": item.email,
    }


def _register(field: str, raw_id: str, parse: Any, save: Any, present: Any) -> Response:
    """PUT semantics: 201 when the item is new, 200 when it replaced one."""
    call = authorized_call(bp, "surety")
    item_id = _validated(parse_registry_id, field, raw_id)
    item, created = save(item_id, _validated(parse, json_object(call.request)))
    return Response(body=present(item), status_code=201 if created else 200)


@bp.route("/v1/obligees/{obligee_id}", methods=["PUT"])
def put_obligee(obligee_id: str) -> Response:
    return _register("obligee_id", obligee_id, parse_obligee, registry_store.save_obligee, _obligee_json)


@bp.route("/v1/contractors/{contractor_id}", methods=["PUT"])
def put_contractor(contractor_id: str) -> Response:
    return _register("contractor_id", contractor_id, parse_contractor, registry_store.save_contractor,
                     _contractor_json)
