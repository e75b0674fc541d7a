"""Documents handed around: an owner checks a PDF's signature and status (docs/ARCHITECTURE.md, signing)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.limits import MAX_CHECK_BODY_BYTES
from chalicelib.domain.principal import Role
from chalicelib.handlers.common import authorized_call, json_object
from chalicelib.http import Blueprint

bp = Blueprint(__name__)


@bp.route("/v1/documents/check", methods=["POST"])
def check_document() -> dict[str, Any]:
    # The PDF comes as base64 inside JSON: API Gateway passes application/json through untouched, where a
    # raw application/pdf body would need a binary media type (and the matching Accept) to survive.
    from chalicelib.services.document_check import check_pdf  # pyHanko and the store: loaded on first use

    call = authorized_call(bp, Role.OBLIGEE)
    return check_pdf(call.principal, json_object(call.request, MAX_CHECK_BODY_BYTES), call.request_id)
