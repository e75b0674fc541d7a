"""電子保証 service: the Chalice app. The JSON API's routes live in chalicelib/handlers, the portal's screens in
chalicelib/portal, one Blueprint per audience."""

import logging
import time
from collections.abc import Callable

from chalice import Chalice, ChaliceUnhandledError, Response
from chalice.app import Request

from chalicelib import logs
from chalicelib.errors import ApiError, reshape_chalice_error
from chalicelib.handlers import (
    auth,
    certificates,
    check_function,
    documents,
    guarantees,
    health,
    outbox,
    registry,
    verifications,
    webhooks,
)
from chalicelib.http import request_id, utf8_json
from chalicelib.portal import contractor as portal_contractor
from chalicelib.portal import owner as portal_owner
from chalicelib.portal import session as portal_session
from chalicelib.portal import surety as portal_surety

logs.configure()
access_log = logging.getLogger("denshi_hosho.access")

app = Chalice(app_name="denshi-hosho")
# The owner's PDF upload (portal /check): API Gateway hands a binary type's body over base64-encoded and Chalice
# decodes it, where a text type's bytes would be mangled. Answers stay text: no browser asks for this type.
app.api.binary_types.append("multipart/form-data")

for blueprint in (health.bp, auth.bp, registry.bp, guarantees.bp, certificates.bp, verifications.bp, documents.bp,
                  portal_session.bp, portal_contractor.bp, portal_owner.bp, portal_surety.bp, outbox.bp,
                  webhooks.bp, check_function.bp):
    app.register_blueprint(blueprint)


@app.middleware("http")
def error_envelope(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every API error leaves as `{code, message[, errors]}` with a Japanese message, every API answer as UTF-8
    JSON without escapes (`http.utf8_json`); on the portal's paths (everything outside /v1/) an error is an HTML
    page instead. One access line per request (route template, never the query string or headers)."""
    started = time.perf_counter()
    rid = request_id(event, event.lambda_context)
    if not event.path.startswith("/v1/"):
        response = portal_errors(event, get_response)
    else:
        try:
            response = reshape_chalice_error(get_response(event))
        except ApiError as exc:
            response = exc.to_response()
        except ChaliceUnhandledError:
            app.log.exception("unhandled error")
            response = ApiError().to_response()
        response = utf8_json(response)
        # Answers carry 認証キー, presigned links and certificates: no browser or proxy may keep them.
        response.headers = {**(response.headers or {}), "Cache-Control": "no-store"}
    access_log.info("request", extra=logs.log_context(
        method=event.method,
        route=(event.context or {}).get("resourcePath"),
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        request_id=rid,
    ))
    return response


def portal_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """The portal's views draw their own error pages; what reaches here (Chalice's 405/415, an unhandled
    exception) becomes one too, never JSON and never a stack trace."""
    from chalicelib.portal import errors

    try:
        response = get_response(event)
    except ApiError as exc:
        return errors.error_page(exc.STATUS_CODE, exc.message, headers=exc.headers)
    except ChaliceUnhandledError:
        app.log.exception("unhandled error")
        return errors.error_page(500)
    return errors.from_response(response) if errors.is_framework_error(response) else response
