"""boto3 clients, made once per process from one shared botocore session.

Every botocore session loads the endpoint and service models anew (about 150 ms each here), so clients
and pynamodb's connections all come from one session: a cold Lambda pays that once, not per table.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

from chalicelib import caches
from chalicelib.domain.limits import CHECK_FUNCTION_TIMEOUT_SECONDS

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)
# Presigned links must be SigV4 (X-Amz-Expires, ≤ 7 days): botocore otherwise still presigns SigV2 in
# regions that once took it, and S3 refuses SigV2 for buckets created since June 2020.
# Lambda: the one call is the PDF check's Invoke (adapters/check_function), answered within the function's timeout;
# a throttled or failed check is answered at once (503), never retried into API Gateway's 29 s.
_SERVICE_CONFIG = {
    "s3": _CONFIG.merge(Config(signature_version="s3v4")),
    "lambda": _CONFIG.merge(Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                   read_timeout=CHECK_FUNCTION_TIMEOUT_SECONDS + 5)),
}
_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[tuple[str, str, str | None], Any] = {}


def session() -> boto3.session.Session:
    global _session
    with _lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session


def client(service: str, region: str) -> Any:
    # AWS_ENDPOINT_URL points every client at the emulator in the local run.
    key = (service, region, os.environ.get("AWS_ENDPOINT_URL") or None)
    found = _clients.get(key)
    if found is None:
        shared = session()
        with _lock:  # botocore sessions are not safe for concurrent client creation
            found = _clients.get(key) or shared.client(service, region_name=region, endpoint_url=key[2],
                                                       config=_SERVICE_CONFIG.get(service, _CONFIG))
            _clients[key] = found
    return found


@caches.on_reset
def reset_clients() -> None:
    """Forget clients (not the session, which holds only loaded models and credentials)."""
    with _lock:
        _clients.clear()
