"""PDFs in S3, handed out only as short-lived presigned GET links (never as response bodies)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib.adapters.aws import client
from chalicelib.config import get_settings

LINK_SECONDS = 300
KEY_NOTICES_PREFIX = "key-notices/"
EXPORTS_PREFIX = "exports/"  # CSV downloads too large to answer inline (docs/ARCHITECTURE.md, search and lists)
# The bucket's lifecycle, in the S3 API's shape: the one source for provisioning (scripts/provision.py) and the
# CloudFormation template (scripts/infra.py). Key notices print a 認証キー in clear: made on request, gone
# within a day, their old versions too. CSV exports are fetched once, through a link valid for minutes: gone within
# a day as well. Certificates are kept (docs/ARCHITECTURE.md, storage).
LIFECYCLE_RULES: list[dict[str, Any]] = [
    {"ID": "key-notices-expire", "Status": "Enabled", "Filter": {"Prefix": KEY_NOTICES_PREFIX},
     "Expiration": {"Days": 1}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
    {"ID": "exports-expire", "Status": "Enabled", "Filter": {"Prefix": EXPORTS_PREFIX},
     "Expiration": {"Days": 1}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
]


def certificate_key(contract_number: str, version: int, recorded_changes: int = 0) -> str:
    """Where a version's certificate is kept; after changes recorded in place (注2, 注3) the version prints
    the current terms, each state under its own name (written once, never overwritten)."""
    suffix = f"-c{recorded_changes}" if recorded_changes else ""
    return f"certificates/{contract_number}/v{version}{suffix}.pdf"


def key_notice_prefix(contract_number: str) -> str:
    return f"{KEY_NOTICES_PREFIX}{contract_number}/"


def _s3():  # noqa: ANN202 - boto3 clients are untyped
    return client("s3", get_settings().region)


def exists(key: str) -> bool:
    try:
        _s3().head_object(Bucket=get_settings().bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def put_pdf_once(key: str, data: bytes, filename: str) -> bool:
    """Write a PDF unless the key already holds one (a certificate version is written once, never
    overwritten, even by two requests at the same moment). Returns whether this call wrote it."""
    try:
        _s3().put_object(
            Bucket=get_settings().bucket, Key=key, Body=data, ContentType="application/pdf",
            ContentDisposition=_disposition(filename), ServerSideEncryption="AES256", IfNoneMatch="*",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict"):
            return False
        raise
    return True


def put_pdf(key: str, data: bytes, filename: str) -> None:
    _s3().put_object(
        Bucket=get_settings().bucket, Key=key, Body=data, ContentType="application/pdf",
        ContentDisposition=_disposition(filename), ServerSideEncryption="AES256",
    )


def put_export(data: bytes, filename: str, disposition: str) -> str:
    """Store a CSV download under a fresh, unguessable name (the lifecycle removes it within a day); its key."""
    key = f"{EXPORTS_PREFIX}{uuid.uuid4().hex}/{filename}"
    _s3().put_object(Bucket=get_settings().bucket, Key=key, Body=data, ContentType="text/csv; charset=utf-8",
                     ContentDisposition=disposition, ServerSideEncryption="AES256")
    return key


def _disposition(filename: str) -> str:
    return f"inline; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}"


def presign(key: str) -> str:
    """A GET link for exactly this object, valid LINK_SECONDS. Never log it."""
    return _s3().generate_presigned_url(
        "get_object", Params={"Bucket": get_settings().bucket, "Key": key}, ExpiresIn=LINK_SECONDS,
    )


def delete_prefix(prefix: str) -> list[str]:
    """Remove every object under `prefix` with all its versions: the bucket keeps versions, and a
    plain delete would leave the old bytes (an old key notice) behind a delete marker.

    DeleteObjects answers 200 even when it removed nothing, listing what failed in `Errors`: those are
    retried once, and the keys still not removed are returned (the caller logs them; the bucket's
    lifecycle removes key notices within a day whatever happens here, docs/ARCHITECTURE.md, storage)."""
    s3 = _s3()
    bucket = get_settings().bucket
    objects: list[dict[str, str]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        objects += [{"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]]
    failed: list[dict[str, str]] = []
    for start in range(0, len(objects), 1000):  # DeleteObjects takes 1,000 at a time
        failed += _delete_versions(s3, bucket, objects[start:start + 1000])
    if failed:
        failed = _delete_versions(s3, bucket, failed)
    return sorted({f["Key"] for f in failed})


def _delete_versions(s3: Any, bucket: str, objects: list[dict[str, str]]) -> list[dict[str, str]]:
    """The objects DeleteObjects reported as not deleted (Quiet: it lists only failures)."""
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    return [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in answer.get("Errors", [])
            if "Key" in e and "VersionId" in e]
