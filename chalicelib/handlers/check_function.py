"""The PDF check's own Lambda function (docs/ARCHITECTURE.md, signing and deployment).

The API and the portal hand an uploaded PDF over (services/document_check through adapters/check_function) and
answer what this function decides; it runs with its own memory, timeout, reserved concurrency and role, so a
flood of hostile uploads can slow the check and nothing else. It is given what it needs (the PDF and our
certificates) and reaches nothing. Run as `python -m chalicelib.handlers.check_function`, it is the same handler
in a local child process capped in memory and time (adapters/local_function), for `make run` and the tests.
"""

from __future__ import annotations

from typing import Any

import chalice

bp = chalice.Blueprint(__name__)


@bp.lambda_function(name="document_check")
def document_check(event: Any, context: Any) -> dict[str, Any]:
    from chalicelib.pdf.signing import answer_check  # the check's modules: loaded by the first check

    return answer_check(event)


if __name__ == "__main__":
    from chalicelib.adapters.local_function import serve
    from chalicelib.domain.limits import CHECK_LOCAL_ADDRESS_SPACE_BYTES

    serve(document_check, address_space_bytes=CHECK_LOCAL_ADDRESS_SPACE_BYTES)
