"""Webhook deliveries over HTTPS, refusing private destinations (docs/ARCHITECTURE.md, webhooks).

An endpoint's host is resolved at registration and again at every delivery, and every address it resolves
to must be public; the connection then goes to the very address that was checked (so a DNS answer that
changes between the check and the connection cannot point it inside). Only the local stage may allow
loopback receivers (plain http on 127.0.0.1 for the demo); private, link-local (the metadata service),
multicast and reserved addresses are refused everywhere.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.limits import WEBHOOK_ANSWER_MAX_BYTES, WEBHOOK_DELIVERY_SECONDS, WEBHOOK_URL_MAX


class UnsafeDestination(Exception):
    """The URL may not be called; the message says why (in Japanese, for the API's answer)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


def _allowed(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def resolve(url: str, allow_loopback: bool) -> Target:
    """Check a webhook URL and pick the address to connect to; raises UnsafeDestination."""
    if len(url) > WEBHOOK_URL_MAX or not url.isprintable():
        raise UnsafeDestination(f"URL は{WEBHOOK_URL_MAX}文字以内の印字可能な文字列としてください")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeDestination("URL の形式が正しくありません") from None
    host = parts.hostname or ""
    if parts.username or parts.password or not host or parts.fragment:
        raise UnsafeDestination("URL にはユーザー情報やフラグメントを含めず、ホスト名を指定してください")
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_loopback):
        raise UnsafeDestination("URL は https で指定してください")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeDestination("URL のホスト名を解決できません") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses or not all(_allowed(a, allow_loopback) for a in addresses):
        raise UnsafeDestination("URL のホストがプライベート、ループバックまたはリンクローカルのアドレスです")
    if parts.scheme == "http" and not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise UnsafeDestination("URL は https で指定してください")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


def post(url: str, body: bytes, headers: dict[str, str], allow_loopback: bool, timeout: float | None = None) -> int:
    """POST once and return the HTTP status; raises UnsafeDestination, or OSError on a network failure or
    timeout. Redirects are not followed (a 3xx is a failure: it could lead inside). The whole delivery, however
    slowly the receiver answers, ends within limits.WEBHOOK_DELIVERY_SECONDS (or `timeout`), and at most
    limits.WEBHOOK_ANSWER_MAX_BYTES of the answer's body is read."""
    import http.client

    target = resolve(url, allow_loopback)
    deadline = time.monotonic() + (WEBHOOK_DELIVERY_SECONDS if timeout is None else timeout)

    class _Pinned(http.client.HTTPSConnection):
        def connect(self) -> None:
            context = ssl.create_default_context()
            context.sslsocket_class = _DeadlineSSLSocket
            wrapped = context.wrap_socket(_connect(target, deadline), server_hostname=target.host)
            assert isinstance(wrapped, _DeadlineSSLSocket)
            wrapped.deadline = deadline
            self.sock = wrapped

    class _PinnedPlain(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = _connect(target, deadline)

    connection_class = _Pinned if target.scheme == "https" else _PinnedPlain
    connection = connection_class(target.host, target.port, timeout=_remaining(deadline))
    try:
        connection.request("POST", target.path, body=body,
                           headers={"Content-Type": "application/json", "User-Agent": "denshi-hosho-webhooks",
                                    **headers})
        response = connection.getresponse()
        response.read(WEBHOOK_ANSWER_MAX_BYTES)
        return response.status
    finally:
        connection.close()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the webhook delivery ran past its time")
    return left


class _Deadline:
    """A socket whose every send and receive waits at most until its deadline, not a fresh timeout each:
    a receiver that drips a byte at a time cannot hold a delivery open."""

    deadline: float = 0.0

    def _arm(self) -> None:
        self.settimeout(_remaining(self.deadline))  # type: ignore[attr-defined]

    def recv_into(self, *args: Any, **kwargs: Any) -> int:
        self._arm()
        return super().recv_into(*args, **kwargs)  # type: ignore[misc]

    def sendall(self, *args: Any, **kwargs: Any) -> None:
        self._arm()
        super().sendall(*args, **kwargs)  # type: ignore[misc]


class _DeadlineSocket(_Deadline, socket.socket):
    pass


class _DeadlineSSLSocket(_Deadline, ssl.SSLSocket):
    pass


def _connect(target: Target, deadline: float) -> _DeadlineSocket:
    plain = socket.create_connection((target.address, target.port), _remaining(deadline))
    sock = _DeadlineSocket(fileno=plain.detach())
    sock.deadline = deadline
    sock.settimeout(_remaining(deadline))  # the TLS handshake's one deadline (the ssl module keeps it whole)
    return sock
