"""Bounds on what the service reads from outside (chalicelib/domain/limits.py, issue 18): tokens are measured
before they are decoded, forms and multipart uploads are counted before they are parsed, and what a webhook
receiver answers is read within a size and a time however it answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain import limits
from tests.support.api import OWNER
from tests.support.documents import upload


def _never_decoded(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a token past MAX_TOKEN_CHARS was decoded")


def test_a_token_past_its_bound_is_a_401_before_anything_decodes_it(api, monkeypatch):
    import jwt

    from chalicelib.portal.security import SESSION_COOKIE
    from tests.support.portal import Browser

    huge = "e" * (limits.MAX_TOKEN_CHARS + 1)
    monkeypatch.setattr(jwt, "get_unverified_header", _never_decoded)
    monkeypatch.setattr(jwt, "decode", _never_decoded)
    for path in ("/v1/certificates", "/v1/verifications"):  # ID tokens; and the route that takes access tokens
        response = api.get(path, headers={"Authorization": f"Bearer {huge}"})
        assert response.status_code == 401 and response.json_body["code"] == "unauthorized", path
    browser = Browser(api, cookies={SESSION_COOKIE: huge})
    page = browser.get("/verify")
    assert page.status_code in (302, 303) and "/login" in page.headers["Location"]


def test_a_portal_form_with_more_fields_than_any_of_ours_is_a_400(api):
    from tests.support.portal import Browser

    browser = Browser(api)
    form = browser.get("/login")
    fields = {"csrf_token": form.field("csrf_token") or "", "username": "demo-sakaiminato", "password": "x",
              **{f"extra{i}": "x" for i in range(limits.MAX_FORM_FIELDS)}}
    page = browser.post("/login", fields)
    assert page.status_code == 400 and "項目が多すぎます" in page.visible_text


def _multipart(parts: list[bytes], boundary: str = "b0und4ry") -> tuple[str, bytes]:
    body = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def test_a_multipart_upload_is_counted_before_it_is_parsed(api):
    """The standard library's MIME parser took 6.6 s for 11,000 parts in 700 KB and recursed into nested
    multiparts until it failed: the upload's parts are counted first and read flat."""
    from chalicelib.portal.pages import _multipart as read_multipart
    from tests.support.portal import ORIGIN, signed_in

    field = b'Content-Disposition: form-data; name="a"\r\n\r\nv'
    content_type, body = _multipart([field] * 11_000)
    assert len(body) < limits.MAX_CHECK_BODY_BYTES
    browser = signed_in(api, OWNER)
    csrf = browser.get("/check").field("csrf_token") or ""
    started = time.perf_counter()
    response = browser.api.client.http.request(
        "POST", "/check", body=body,
        headers={"Content-Type": content_type, "Origin": ORIGIN,
                 "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())})
    assert response.status_code == 400 and "項目が多すぎます" in response.body.decode()
    assert time.perf_counter() - started < 1.0

    nested = b"Content-Type: multipart/mixed; boundary=inner\r\n\r\n" + b"--inner\r\n" * 1000
    content_type, body = _multipart([nested])
    assert read_multipart(content_type, body) == ({}, {})  # no part of a form is read as a form of its own
    # A form as browsers send it still reads: the file's bytes as they were, CRLFs and all.
    pdf = b"%PDF-1.7\r\n\r\n--not-the-boundary\r\n%%EOF\r\n"
    page = upload(browser, pdf, csrf)
    assert page.status_code == 200 and "PDFとして読み取れません" in page.visible_text
    content_type, body = _multipart([b'Content-Disposition: form-data; name="csrf_token"\r\n\r\nt',
                                     b'Content-Disposition: form-data; name="pdf"; filename="x.pdf"\r\n'
                                     b"Content-Type: application/pdf\r\n\r\n" + pdf])
    assert read_multipart(content_type, body) == ({"csrf_token": "t"}, {"pdf": pdf})


# --- webhook receivers' answers --------------------------------------------------------------------------

def _tls_contexts() -> tuple[Any, Any]:
    """(server context, client context) for a certificate of 127.0.0.1 made here."""
    import datetime as dt
    import ipaddress
    import ssl
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now, day = dt.datetime.now(dt.UTC), dt.timedelta(days=1)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now - day).not_valid_after(now + day)
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    with tempfile.NamedTemporaryFile(suffix=".pem") as chain:
        chain.write(pem + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        chain.flush()
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(chain.name)
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client


@pytest.fixture(params=["http", "https"])
def raw_receiver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict]]:
    """A server on 127.0.0.1 (plain, or TLS with a certificate the sender is told to trust) that answers each
    connection as `behaviour["answer"]` says: "drip" (a status line, then one header byte every 50 ms, for ever)
    or "flood" (a 200 whose body never ends). Yields its URL."""
    from chalicelib.adapters import webhook_http

    behaviour: dict[str, Any] = {"answer": "drip", "sent": 0}
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    tls = None
    if request.param == "https":
        tls, trusting = _tls_contexts()
        monkeypatch.setattr(webhook_http.ssl, "create_default_context", lambda: trusting)

    def serve(connection: socket.socket) -> None:
        try:
            if tls is not None:
                connection = tls.wrap_socket(connection, server_side=True)
            connection.settimeout(5)
            connection.recv(65536)
            if behaviour["answer"] == "drip":
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                while not stop.is_set():
                    connection.sendall(b"X")
                    behaviour["sent"] += 1
                    time.sleep(0.05)
            else:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
                chunk = b"x" * 65536
                while not stop.is_set():
                    connection.sendall(chunk)
                    behaviour["sent"] += len(chunk)
        except OSError:  # the sender hung up: what it should do
            pass
        finally:
            connection.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"{request.param}://127.0.0.1:{server.getsockname()[1]}/hook", behaviour
    finally:
        stop.set()
        server.close()


def test_a_receiver_that_drips_its_answer_cannot_hold_a_delivery_past_its_time(raw_receiver):
    from chalicelib.adapters import webhook_http

    url, behaviour = raw_receiver
    started = time.perf_counter()
    with pytest.raises(OSError):  # TimeoutError, an OSError: the outbox records a failed attempt
        webhook_http.post(url, b"{}", {}, allow_loopback=True, timeout=0.5)
    assert time.perf_counter() - started < 1.5  # not a fresh timeout per byte
    assert behaviour["sent"] >= 3  # it did keep dripping


def test_a_receiver_that_answers_without_end_is_read_no_further_than_the_bound(raw_receiver):
    from chalicelib.adapters import webhook_http

    url, behaviour = raw_receiver
    behaviour["answer"] = "flood"
    started = time.perf_counter()
    assert webhook_http.post(url, b"{}", {}, allow_loopback=True, timeout=5) == 200
    assert time.perf_counter() - started < 2
    assert limits.WEBHOOK_ANSWER_MAX_BYTES <= 64 * 1024
