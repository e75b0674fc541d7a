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
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.domain.limits import WEBHOOK_URL_MAX

TIMEOUT_SECONDS = 10.0


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
    timeout. Redirects are not followed (a 3xx is a failure: it could lead inside)."""
    import http.client
    import ssl

    target = resolve(url, allow_loopback)
    timeout = TIMEOUT_SECONDS if timeout is None else timeout

    class _Pinned(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = socket.create_connection((target.address, target.port), timeout)
            self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)

    class _PinnedPlain(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.create_connection((target.address, target.port), timeout)

    connection_class = _Pinned if target.scheme == "https" else _PinnedPlain
    connection = connection_class(target.host, target.port, timeout=timeout)
    try:
        connection.request("POST", target.path, body=body,
                           headers={"Content-Type": "application/json", "User-Agent": "denshi-hosho-webhooks",
                                    **headers})
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()
