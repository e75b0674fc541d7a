"""Handing an uploaded PDF to the check's own function and reading its answer (docs/ARCHITECTURE.md, signing).

On AWS the stack names the function in `APP_DOCUMENT_CHECK_FUNCTION` and the API calls it with one synchronous
Lambda Invoke (RequestResponse); its role may invoke that function only. Where no function is named (`make run`,
the tests: moto runs no Lambda without Docker) the same handler runs in a local child process capped in memory
and time (adapters/local_function). Either way a failure is a 503 that names the check, never a verdict.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.local_function import FunctionFailed, LocalFunction
from chalicelib.config import get_settings
from chalicelib.domain.limits import CHECK_FUNCTION_TIMEOUT_SECONDS
from chalicelib.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

HANDLER_MODULE = "chalicelib.handlers.check_function"  # run as a script locally; Lambda's handler on AWS


class CheckUnavailable(ServiceUnavailable):
    """The check function gave no answer (throttled by its reserved concurrency, past its time or memory,
    failed): the upload is not judged, and the owner may try again."""

    CODE = "document_check_unavailable"
    MESSAGE = "PDFの確認を完了できませんでした。時間をおいて再度お試しください。"


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """The check function's answer to `event` (pdf/signing.check_request)."""
    settings = get_settings()
    if not settings.document_check_function:
        try:
            return dict(_local().invoke(event))
        except FunctionFailed as exc:
            logger.error("the local document check failed: %s", exc)
            raise CheckUnavailable() from None
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client("lambda", settings.region).invoke(
            FunctionName=settings.document_check_function, InvocationType="RequestResponse",
            Payload=json.dumps(event, separators=(",", ":")).encode())
        payload = response["Payload"].read()
    except (BotoCoreError, ClientError) as exc:
        logger.error("invoking the document check failed: %s", type(exc).__name__)
        raise CheckUnavailable() from None
    if response.get("FunctionError"):  # its error, timeout or memory: the function's own alarm counts it
        logger.error("the document check function failed: %s", response["FunctionError"])
        raise CheckUnavailable()
    return dict(json.loads(payload))


_lock = threading.Lock()
_functions: list[LocalFunction] = []


def _local() -> LocalFunction:
    with _lock:
        if not _functions:
            _functions.append(LocalFunction(HANDLER_MODULE, timeout_seconds=CHECK_FUNCTION_TIMEOUT_SECONDS))
        return _functions[0]
