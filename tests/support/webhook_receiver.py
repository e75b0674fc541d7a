"""A real HTTP receiver on 127.0.0.1 for webhook tests: it records each POST and answers as told."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """`answers`: what the next requests get (an HTTP status, or "hang" to outlast the sender's timeout);
    when empty, 200."""

    server: Any = None
    received: list[Received] = field(default_factory=list)
    answers: list[int | str] = field(default_factory=list)
    hang_seconds: float = 1.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/denshi-hosho"

    def delivery_ids(self) -> list[str]:
        return [r.headers["X-Denshi-Hosho-Delivery"] for r in self.received]


def start_receiver() -> Receiver:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                answer = receiver.answers.pop(0) if receiver.answers else 200
                receiver.received.append(Received(dict(self.headers), body, time.monotonic()))
            with receiver.arrived:
                receiver.arrived.notify_all()
            if answer == "hang":
                time.sleep(receiver.hang_seconds)
                answer = 200
            try:
                self.send_response(int(answer))
                self.end_headers()
            except OSError:  # the sender gave up (timeout)
                pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    return receiver
