"""JSON log lines for CloudWatch: a fixed allow-list of context fields, so no key, token or link can
slip into a log through `extra=`."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

# The only `extra=` fields that reach a log line.
CONTEXT_FIELDS = ("request_id", "contract_number", "method", "route", "status", "duration_ms", "role",
                  "certificate_issued", "subject", "operation", "count", "notice_kind", "attempts", "outcome",
                  "error")


def log_context(**fields: Any) -> dict[str, Any]:
    """The `extra=` of a log call. A field the formatter would drop is refused where APP_LOG_STRICT=1 (the test
    suite), so nobody logs a field believing it reaches CloudWatch; elsewhere it is dropped here."""
    unknown = sorted(set(fields) - set(CONTEXT_FIELDS))
    if unknown and os.environ.get("APP_LOG_STRICT") == "1":
        raise ValueError(f"log fields not on the allow-list (chalicelib.logs.CONTEXT_FIELDS): {unknown}")
    return {k: v for k, v in fields.items() if k in CONTEXT_FIELDS}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({f: getattr(record, f) for f in CONTEXT_FIELDS if hasattr(record, f)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


# Libraries whose INFO lines (credentials found, every connection, every call) are chatter, not the service's log.
QUIET_LOGGERS = ("botocore", "boto3", "pynamodb", "urllib3", "s3transfer")


def configure() -> None:
    """In Lambda, and where APP_LOG_FORMAT=json (the local run: `chalice local` gives the root logger a handler of
    bare messages before the app is imported), give the handlers our format; elsewhere add one if none is set.
    Test runners keep their own handlers and format. The AWS libraries log at WARNING and above."""
    root = logging.getLogger()
    root.setLevel(os.environ.get("APP_LOG_LEVEL", "INFO"))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or os.environ.get("APP_LOG_FORMAT") == "json":
        for handler in root.handlers:
            handler.setFormatter(JsonFormatter())
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
