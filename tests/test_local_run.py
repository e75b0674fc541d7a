"""`make run` end to end: the emulator, provisioning, the seed and `chalice local`, then a clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from scripts.demo_data import DEMO_PASSWORD
from scripts.local_run import port_is_free

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_health(http: requests.Session, url: str, process: subprocess.Popen, log_path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"local run exited early ({process.returncode}):\n{_read(log_path)}"
        try:
            if http.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {READY_TIMEOUT} s:\n{_read(log_path)}")


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def test_local_run_serves_the_demo_and_stops_cleanly(tmp_path):
    api_port, aws_port = _free_port(), _free_port()
    while aws_port == api_port:
        aws_port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "APP_"))}
    env.update({"PORT": str(api_port), "LOCAL_AWS_PORT": str(aws_port), "PYTHONUNBUFFERED": "1"})
    log_path = str(tmp_path / "local_run.log")
    api = f"http://127.0.0.1:{api_port}"
    http = requests.Session()
    http.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "scripts.local_run"], cwd=PROJECT_DIR, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_health(http, f"{api}/v1/health", process, log_path)

        login = http.post(f"{api}/v1/auth/login", json={"username": "demo-contractor-1",
                                                             "password": DEMO_PASSWORD}, timeout=10)
        assert login.status_code == 200, login.text
        assert login.json()["role"] == "contractor"
        token = login.json()["id_token"]
        listing = http.get(f"{api}/v1/certificates", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert listing.status_code == 200, listing.text
        body = listing.json()
        assert body["total"] == 3
        assert [i["contract_number"] for i in body["items"]] == ["2070202096", "2070004427", "2070004426"]

        output = _read(log_path)
        assert api in output and "demo-contractor-1" in output and DEMO_PASSWORD in output

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0, _read(log_path)
    finally:
        http.close()
        if process.poll() is None:
            process.kill()
            process.wait()
    # Both servers are gone: their ports can be listened on again at once.
    assert port_is_free(api_port), f"the API still holds port {api_port}"
    assert port_is_free(aws_port), f"the emulator still holds port {aws_port}"
