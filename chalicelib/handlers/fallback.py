"""Paths that no route serves: a 404 in the caller's language, the JSON envelope under /v1 and the portal's HTML
page elsewhere (app.py's middleware draws the page).

API Gateway sends what no other resource matches to the greedy `/{proxy+}` resource, so the app answers it,
not the gateway's own 403 "Missing Authentication Token" (docs/ARCHITECTURE.md, unknown paths). Chalice's local
gateway (`chalice local`, chalice.test) matches greedy paths through scripts/local_gateway.py.
"""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.http import Blueprint, is_api_path, requested_path

bp = Blueprint(__name__)

API_NOT_FOUND = "指定されたURLは存在しません。"  # as the gateway's own answer says it (scripts/infra.api_resources)
PAGE_NOT_FOUND = "指定されたページは見つかりませんでした。URLをご確認ください。"
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


@bp.route("/{proxy+}", methods=METHODS)
def unknown_path() -> None:
    api = is_api_path(requested_path(bp.current_request))
    raise NotFound(API_NOT_FOUND if api else PAGE_NOT_FOUND, code="not_found")
