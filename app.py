"""電子保証 service: the Chalice app. Routes live in chalicelib/handlers, one Blueprint per audience."""

import logging
import time
from collections.abc import Callable

from chalice import Chalice, ChaliceUnhandledError, Response
from chalice.app import Request

from chalicelib import logs
from chalicelib.errors import ApiError, reshape_chalice_error
from chalicelib.handlers import auth, certificates, guarantees, health, registry, verifications
from chalicelib.handlers.common import request_id

logs.configure()
access_log = logging.getLogger("denshi_hosho.access")

app = Chalice(app_name="denshi-hosho")

for blueprint in (health.bp, auth.bp, registry.bp, guarantees.bp, certificates.bp, verifications.bp):
    app.register_blueprint(blueprint)


@app.middleware("http")
def error_envelope(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every error leaves as `{code, message[, errors]}` with a Japanese message; one access line per
    request (route template, never the query string or headers)."""
    started = time.perf_counter()
    rid = request_id(event, event.lambda_context)
    try:
        response = reshape_chalice_error(get_response(event))
    except ApiError as exc:
        response = exc.to_response()
    except ChaliceUnhandledError:
        app.log.exception("unhandled error")
        response = ApiError().to_response()
    access_log.info("request", extra=logs.log_context(
        method=event.method,
        route=(event.context or {}).get("resourcePath"),
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        request_id=rid,
    ))
    return response
