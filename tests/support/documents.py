"""Documents as tests handle them: a stored certificate's PDF, the API's check of a PDF, the portal's upload."""

from __future__ import annotations

import base64
from typing import Any

from tests.support.api import CONTRACTOR, OWNER
from tests.support.stored import certificate_object, s3_client


def stored_pdf(api: Any, number: str, version: int = 1) -> bytes:
    assert api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR).status_code == 200
    return s3_client().get_object(Bucket=api.account.settings.bucket,
                                     Key=certificate_object(number, version))["Body"].read()


def check(api: Any, data: bytes, user: str = OWNER) -> Any:
    return api.post("/v1/documents/check", {"pdf_base64": base64.b64encode(data).decode()}, user=user)


def upload(browser: Any, pdf: bytes | None, csrf: str) -> Any:
    """POST /check as a browser sends a file form: multipart/form-data with the CSRF token."""
    from tests.support.portal import ORIGIN, Page

    boundary = "----denshihoshoboundary7MA4YWxkTrZu0gW"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'.encode()]
    if pdf is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="pdf"; filename="証書.pdf"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode() + pdf + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": ORIGIN,
               "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}
    response = browser.api.client.http.request("POST", "/check", headers=headers, body=body)
    return Page(response.status_code, dict(response.headers), response.body.decode("utf-8"))
