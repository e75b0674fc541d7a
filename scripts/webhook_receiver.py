"""A webhook receiver for trying the service by hand (the README's walk-through): it listens on 127.0.0.1, checks
each delivery's signature with the secret the registration answered, prints one line per delivery and answers 204.

    python3 -m scripts.webhook_receiver --port 8765 --secret "$SECRET" --count 2

`--count N` ends it after N deliveries (exit 0); `--timeout S` ends it after S seconds without them (exit 1).
Standard library and the service's pure signature rule only (chalicelib/domain/outbox.py), so any python3.11+ runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalicelib.domain.outbox import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_valid


def describe(event_name: str, delivery_id: str, body: bytes, valid: bool) -> str:
    """One line a person reads: the event, the certificate and version it names, the signature's verdict."""
    try:
        data = json.loads(body).get("data", {})
    except (ValueError, AttributeError):
        data = {}
    number = data.get("contract_number", "?")
    version = f" 版{data['version']}" if "version" in data else ""
    verdict = "署名OK" if valid else "署名NG"
    return f"受信: {event_name} {number}{version} {verdict} (配信ID {delivery_id})"


def serve(port: int, secret: str, count: int, timeout: float) -> int:
    received: list[str] = []
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            valid = signature_valid(secret.encode(), self.headers.get(SIGNATURE_HEADER, ""), body, int(time.time()))
            self.send_response(204 if valid else 401)
            self.end_headers()
            delivery = self.headers.get(DELIVERY_HEADER, "")
            if valid and delivery in received:
                return  # a retry of a delivery already taken: dropped, as a receiver should
            print(describe(self.headers.get(EVENT_HEADER, "?"), delivery, body, valid), flush=True)
            if valid:
                received.append(delivery)
                if count and len(received) >= count:
                    done.set()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        finished = done.wait(timeout) if count else done.wait()
    except KeyboardInterrupt:
        finished = True
    server.shutdown()
    if not finished:
        print(f"{timeout:.0f} 秒待ちましたが、配信は {len(received)} 件でした(期待 {count} 件)。", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True, help="the secret POST /v1/webhooks/endpoints answered")
    parser.add_argument("--count", type=int, default=0, help="stop after this many deliveries (0: run until Ctrl-C)")
    parser.add_argument("--timeout", type=float, default=60.0, help="with --count: give up after this many seconds")
    args = parser.parse_args()
    return serve(args.port, args.secret, args.count, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
