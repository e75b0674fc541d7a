"""`make run`'s runner as a child process on free ports, as the end-to-end and browser tests start it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.world import PROJECT_DIR


def free_port(taken: tuple[int, ...] = ()) -> int:
    """A TCP port nothing listens on now (and none of `taken`)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return int(port)


@dataclass
class LocalRun:
    """One `python -m scripts.local_run`: the API's and the emulator's addresses, its log, an HTTP session that
    goes straight to 127.0.0.1."""

    url: str
    aws_url: str
    api_port: int
    aws_port: int
    log_path: Path
    http: requests.Session
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """Ctrl-C, as a person stops it; its exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=20)


@contextmanager
def local_run(log_path: Path, ready_timeout: float) -> Iterator[LocalRun]:
    """The runner on two free ports, once /v1/health answers; stopped (SIGINT, else killed) on the way out."""
    api_port = free_port()
    aws_port = free_port(taken=(api_port,))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "APP_"))}
    env.update({"PORT": str(api_port), "LOCAL_AWS_PORT": str(aws_port), "PYTHONUNBUFFERED": "1"})
    http = requests.Session()
    http.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "scripts.local_run"], cwd=PROJECT_DIR, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    run = LocalRun(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{aws_port}", api_port, aws_port, log_path,
                   http, process)
    try:
        _wait_for_health(run, ready_timeout)
        yield run
    finally:
        http.close()
        if process.poll() is None:
            try:
                run.stop()
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_health(run: LocalRun, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.process.poll() is not None:
            raise AssertionError(f"the local runner exited early ({run.process.returncode}):\n{run.log()}")
        try:
            if run.http.get(f"{run.url}/v1/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the local runner did not answer within {timeout} s:\n{run.log()}")
