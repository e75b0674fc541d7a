"""電子保証 service: the Chalice app. Routes live in chalicelib/handlers, one Blueprint per audience."""

import logging
from collections.abc import Callable

from chalice import Chalice, ChaliceUnhandledError, Response
from chalice.app import Request

from chalicelib.errors import ApiError, reshape_chalice_error
from chalicelib.handlers import auth, certificates, guarantees, health, registry, verifications

app = Chalice(app_name="denshi-hosho")
app.log.setLevel(logging.INFO)

for blueprint in (health.bp, auth.bp, registry.bp, guarantees.bp, certificates.bp, verifications.bp):
    app.register_blueprint(blueprint)


@app.middleware("http")
def error_envelope(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every error leaves as `{code, message[, errors]}` with a Japanese message."""
    try:
        response = get_response(event)
    except ApiError as exc:
        return exc.to_response()
    except ChaliceUnhandledError:
        app.log.exception("unhandled error")
        return ApiError().to_response()
    return reshape_chalice_error(response)
