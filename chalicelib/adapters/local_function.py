"""A Lambda function's handler run locally the way Lambda runs it (docs/ARCHITECTURE.md, signing): in a process
of its own, reused while it is healthy (a warm container), capped in memory (RLIMIT_AS) and killed past its
timeout. `make run` and the tests use it where moto cannot run Lambda (no Docker), so a hostile upload can take
that process down, never the API's or the machine.

The child says `{"ready": true}` once it has started (within INIT_SECONDS, like Lambda's init phase); then the
parent writes one JSON event per line to its stdin and reads one JSON line back within the timeout:
`{"result": ...}` or `{"error": "<exception type>"}` (after which the child exits, as a crashed container is
replaced). The child's own stdout is its stderr, so nothing the handler prints can be taken for an answer.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

INIT_SECONDS = 10.0  # a cold start's imports, like Lambda's own init phase, beside the invocation's timeout
_PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The child reaches no AWS service: it is given no credentials and no endpoint, only what Python needs.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "APP_LOG_LEVEL", "APP_LOG_STRICT")


class FunctionFailed(Exception):
    """The invocation gave no answer: the handler raised, ran past its time or memory, or the process died."""


class LocalFunction:
    """One warm child process running `python -m <module>`, whose main calls `serve(handler, ...)`."""

    def __init__(self, module: str, *, timeout_seconds: float) -> None:
        self.module = module
        self.timeout_seconds = timeout_seconds
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def invoke(self, event: Any) -> Any:
        """The handler's answer to `event` (JSON values), or FunctionFailed. Invocations run one at a time."""
        line = json.dumps(event, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            try:
                process = self._process
                if process is None or process.poll() is not None:
                    process = self._process = self._start()
                    self._receive(process, time.monotonic() + INIT_SECONDS)  # its "ready" line
                self._send(process, line)
                answer = self._receive(process, time.monotonic() + self.timeout_seconds)
                if "error" in answer:  # the child ends after reporting it
                    raise FunctionFailed(str(answer["error"]))
            except FunctionFailed:
                self._stop()
                raise
        return answer["result"]

    def _start(self) -> subprocess.Popen[bytes]:
        env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        # Our own interpreter and a module name of this code base: nothing of a request reaches the command line.
        return subprocess.Popen([sys.executable, "-m", self.module], cwd=_PROJECT_DIR, env=env,  # noqa: S603
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def _send(self, process: subprocess.Popen[bytes], line: bytes) -> None:
        assert process.stdin is not None
        try:
            process.stdin.write(line)
            process.stdin.flush()
        except OSError:
            raise FunctionFailed("the function's process is gone") from None

    def _receive(self, process: subprocess.Popen[bytes], deadline: float) -> dict[str, Any]:
        assert process.stdout is not None
        received = bytearray()
        descriptor = process.stdout.fileno()
        while not received.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([descriptor], [], [], remaining)[0]:
                raise FunctionFailed("timed out")
            chunk = os.read(descriptor, 65536)
            if not chunk:
                raise FunctionFailed(f"the function's process ended (status {process.wait()})")
            received += chunk
        return dict(json.loads(received))

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def stop(self) -> None:
        with self._lock:
            self._stop()


def serve(handler: Callable[[Any, Any], Any], *, address_space_bytes: int) -> None:
    """The child's loop: cap this process, then answer each event line with the handler's result."""
    import resource
    import signal

    resource.setrlimit(resource.RLIMIT_AS, (address_space_bytes, address_space_bytes))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the parent's: it ends us by closing stdin
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the handler prints goes to stderr, never into an answer
    sys.stdout = sys.stderr
    _write(answers, {"ready": True})  # initialised: each invocation's time counts from here
    for line in sys.stdin.buffer:
        try:
            answer: dict[str, Any] = {"result": handler(json.loads(line), None)}
        except BaseException as exc:  # noqa: BLE001 - reported to the caller, then this process ends
            try:
                logger.exception("the function failed")
                _write(answers, {"error": type(exc).__name__})
            finally:
                os._exit(1)
        _write(answers, answer)


def _write(stream: Any, answer: dict[str, Any]) -> None:
    stream.write(json.dumps(answer, separators=(",", ":")).encode() + b"\n")
    stream.flush()
