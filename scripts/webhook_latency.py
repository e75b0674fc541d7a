"""Webhook latency in the local run: from an amendment's request to its signed delivery at a receiver.

With `make run` running (API at $API, default http://127.0.0.1:8000), this starts a receiver on 127.0.0.1,
registers it as 〇〇県's endpoint (the local stage admits loopback receivers), has 〇〇県 verify a seeded
certificate, then amends it N times (default 20) and prints the median and the slowest. Every delivery's
signature is checked with the secret the registration answered. `python -m scripts.webhook_latency [N]`.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalicelib.domain.outbox import SIGNATURE_HEADER, signature_valid
from scripts.demo_data import DEMO_PASSWORD

API = os.environ.get("API", "http://127.0.0.1:8000")
NUMBER = "2070004426"  # the flyer's certificate, addressed to pref-demo


def call(method: str, path: str, body: Any = None, token: str | None = None,
         headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(f"{API}{path}", method=method,  # noqa: S310 - the local API
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {}),
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local API
        return json.loads(response.read())


def login(username: str) -> str:
    return str(call("POST", "/v1/auth/login", {"username": username, "password": DEMO_PASSWORD})["id_token"])


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    arrivals: dict[str, float] = {}
    bodies: list[tuple[str, bytes]] = []
    arrived = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with arrived:
                event = json.loads(body)
                arrivals[str(event["data"].get("version"))] = time.perf_counter()
                bodies.append((self.headers[SIGNATURE_HEADER], body))
                arrived.notify_all()
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    owner, contractor, surety = login("demo-pref"), login("demo-contractor-1"), login("demo-surety")
    secret = call("POST", "/v1/webhooks/endpoints",
                  {"url": f"http://127.0.0.1:{server.server_address[1]}/hook"}, owner)["secret"]
    key = call("GET", f"/v1/certificates/{NUMBER}/auth-key", token=contractor)["auth_key"]
    call("POST", "/v1/verifications", {"contract_number": NUMBER, "auth_key": key}, owner)
    current = call("GET", f"/v1/certificates/{NUMBER}", token=surety)
    latencies = []
    for i in range(n):
        started = time.perf_counter()
        new = call("POST", f"/v1/guarantees/{NUMBER}/amendments",
                   {"expected_version": current["version"], "expected_revision": current["revision"],
                    "guarantee_amount": current["guarantee_amount"] - 1000},
                   surety, {"Idempotency-Key": f"latency-{time.time_ns()}"})
        version = str(new["version"])
        with arrived:
            if not arrived.wait_for(lambda v=version: v in arrivals, timeout=60):
                print(f"delivery {i + 1} did not arrive within 60 s", file=sys.stderr)
                return 1
        latencies.append((arrivals[version] - started) * 1000)
        current = new
    valid = sum(signature_valid(secret.encode(), sig, body, int(time.time())) for sig, body in bodies)
    server.shutdown()
    print(f"{n} amendments -> {len(bodies)} deliveries, {valid} with a valid signature")
    print(f"latency request -> receiver: median {statistics.median(latencies):.0f} ms, "
          f"min {min(latencies):.0f} ms, max {max(latencies):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
