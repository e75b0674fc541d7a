"""`make run`: the whole service on this machine, against an embedded AWS emulator.

Starts moto's server (a fresh, empty account every run), creates every resource with the same code the tests
use (scripts.provision), seeds the demo world (scripts.seed), then runs `chalice local` on the `local`
stage pointed at the emulator. `chalice local` runs no event source, so this process also polls the emulator's
outbox queue and calls the same consumer the queue's Lambda runs, and runs the outbox's sweep every
few seconds (docs/ARCHITECTURE.md, outbox). Ctrl-C (SIGINT) or SIGTERM stops all of it and exits 0.

Environment: PORT (API, default 8000), LOCAL_AWS_PORT (emulator, default 5000).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from types import FrameType
from typing import Any

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGE = "local"
HOST = "127.0.0.1"
REGION = "ap-northeast-1"
READY_TIMEOUT_SECONDS = 60

# Never real credentials: everything this process and its children do goes to the emulator.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}

CHILD_COMMAND = "chalice"  # `python -m scripts.local_run chalice ARGS...` runs `chalice ARGS...` as our child


class Stop(Exception):
    """SIGINT or SIGTERM arrived."""


class SetupError(Exception):
    """Something the user can fix (a port in use, a bad setting)."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def stage_environment(stage: str = STAGE) -> dict[str, str]:
    """The stage's environment variables from .chalice/config.json (global ones, then the stage's)."""
    with open(os.path.join(PROJECT_DIR, ".chalice", "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SetupError(f"{name}={raw!r} is not a TCP port number (1-65535).")
    return int(raw)


def port_is_free(port: int, host: str = HOST) -> bool:
    """True if a server could listen on host:port now (with SO_REUSEADDR, as both servers use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _check_ports(api_port: int, aws_port: int) -> None:
    if api_port == aws_port:
        raise SetupError(f"PORT and LOCAL_AWS_PORT are both {api_port}; choose two different ports.")
    for name, port in (("PORT", api_port), ("LOCAL_AWS_PORT", aws_port)):
        if not port_is_free(port):
            raise SetupError(
                f"Port {port} on {HOST} is already in use (is another `make run` still running?). "
                f"Stop what uses it, or choose another port, e.g. `{name}={port + 1} make run`."
            )


def start_emulator(port: int) -> Any:
    """moto's server in a thread of this process: a fresh, empty account, patched to hold the scale
    (scripts/emulator.py; EMULATOR_SHIMS=off leaves moto as it is)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per emulated AWS call
    from moto.server import ThreadedMotoServer

    from scripts import emulator, mail

    emulator.install()
    emulator.keep_object_bytes_on_disk()
    mail.stamp_sent_times()  # for `make mail`

    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    return server


def stop_emulator(server: Any) -> None:
    server.stop()
    inner = getattr(server, "_server", None)
    if inner is not None:
        inner.server_close()  # release the port now, not at interpreter exit


LOCAL_SWEEP_SECONDS = 5.0  # on AWS the sweep runs every minute


def start_outbox_poller(stop: threading.Event) -> threading.Thread:
    """The outbox's consumer and sweep, as Lambda would run them (same functions, messages deleted after)."""
    def loop() -> None:
        from chalicelib.adapters import aws, queue
        from chalicelib.handlers.outbox import consume, sweep

        logger = logging.getLogger("denshi_hosho.outbox_poller")
        last_sweep = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - last_sweep > LOCAL_SWEEP_SECONDS:
                    sweep()
                    last_sweep = time.monotonic()
                sqs = aws.client("sqs", REGION)
                url = queue.queue_url()
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=1).get("Messages", [])
                if messages:
                    consume([m["Body"] for m in messages])
                    sqs.delete_message_batch(QueueUrl=url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
            except Exception:
                logger.exception("outbox poller")
                stop.wait(1.0)

    thread = threading.Thread(target=loop, name="outbox-poller", daemon=True)
    thread.start()
    return thread


def start_api(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # No autoreload: the reloader re-executes argv as a second process, which would outlive a clean stop.
    command = [sys.executable, "-m", "scripts.local_run", CHILD_COMMAND, "--project-dir", PROJECT_DIR,
               "local", "--stage", STAGE, "--host", HOST, "--port", str(port), "--no-autoreload"]
    # Its own session: a terminal's Ctrl-C reaches only this process, which then stops the API in order.
    return subprocess.Popen(command, cwd=PROJECT_DIR, env=env, start_new_session=True)


def stop_api(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SetupError(f"`chalice local` exited with status {process.returncode} before it answered.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise SetupError(f"The API did not answer {url} within {timeout:.0f} s.")
        time.sleep(0.2)


def banner(api_url: str, aws_url: str, identity: Any) -> str:
    from scripts import demo_data

    login = json.dumps({"username": "demo-contractor-1", "password": demo_data.DEMO_PASSWORD})
    lines = [
        "",
        "電子保証 service is running (stage: local).",
        f"  API:       {api_url}      (health: {api_url}/v1/health)",
        f"  Emulator:  {aws_url}      (moto; the emails sent: `make mail`)",
        f"  User pool: {identity.user_pool_id}, app client {identity.client_id}",
        "",
        f"Demo logins (password {demo_data.DEMO_PASSWORD}):",
    ]
    for username, (role, org_id) in demo_data.USERS.items():
        lines.append(f"  {username:<20} role {role:<11} org {org_id}")
    lines += [
        "",
        "Try (log in as a contractor and list its certificates):",
        f"  TOKEN=$(curl -s -X POST {api_url}/v1/auth/login -H 'Content-Type: application/json' -d '{login}' "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"id_token\"])') && "
        f"curl -s {api_url}/v1/certificates -H \"Authorization: Bearer $TOKEN\"",
        "",
        "Ctrl-C stops the API and the emulator.",
        "",
    ]
    return "\n".join(lines)


def use_emulator_environment(aws_url: str, api_url: str) -> None:
    """This process's environment for the `local` stage against the emulator at `aws_url` (fake credentials)."""
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    os.environ["AWS_ENDPOINT_URL"] = aws_url
    os.environ.update(stage_environment(STAGE))
    os.environ.setdefault("APP_PORTAL_URL", api_url)  # links in the emails point at this run
    for name in ("NO_PROXY", "no_proxy"):  # the emulator and the API are local even behind a proxy
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), HOST, "localhost"]))


def provision_demo_world() -> tuple[Any, list[str]]:
    """Every resource and the demo world in the emulator the environment points at; (identity, seeded numbers).
    The pool's ids are added to this process's environment."""
    from chalicelib.config import get_settings
    from scripts.provision import identity_environment, provision
    from scripts.seed import seed_demo

    identity = provision(get_settings())
    os.environ.update(identity_environment(identity))
    return identity, seed_demo(get_settings(), identity)


def run() -> int:
    api_port = port_from_env("PORT", 8000)
    aws_port = port_from_env("LOCAL_AWS_PORT", 5000)
    _check_ports(api_port, aws_port)
    aws_url = f"http://{HOST}:{aws_port}"
    api_url = f"http://{HOST}:{api_port}"

    use_emulator_environment(aws_url, api_url)
    os.environ["APP_LOG_FORMAT"] = "json"  # one JSON line per request, as on Lambda (chalicelib/logs.py)
    from chalicelib import logs

    logs.configure()  # the outbox poller's lines (this process) in the same format
    emulator = None
    api = None
    poller_stop = threading.Event()
    try:
        print(f"Starting the AWS emulator on {aws_url} ...", flush=True)
        emulator = start_emulator(aws_port)

        print("Creating resources and demo data ...", flush=True)
        identity, numbers = provision_demo_world()
        print(f"Seeded certificates: {', '.join(numbers)}", flush=True)

        child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        child_env.pop("CHALICE_WORKER", None)
        api = start_api(api_port, child_env)
        wait_until_healthy(f"{api_url}/v1/health", api)
        start_outbox_poller(poller_stop)
        print(banner(api_url, aws_url, identity), flush=True)

        while api.poll() is None:
            time.sleep(0.5)
        print(f"`chalice local` stopped by itself (status {api.returncode}); stopping the emulator.",
              file=sys.stderr, flush=True)
        return 1
    except Stop as stop:
        print(f"\n{stop.args[0]}: stopping the API and the emulator ...", flush=True)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        poller_stop.set()
        if api is not None:
            stop_api(api)
        if emulator is not None:
            stop_emulator(emulator)


def chalice_child(args: list[str]) -> int:
    """`chalice ARGS` that also ends when its parent is gone (even if the parent was killed outright)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    from chalice import local
    from chalice.cli import main as chalice_main

    # The app's access log is the line per request (route, status, request id, duration), as on Lambda; the
    # development server's own line would repeat it without those, and with the query string.
    local.ChaliceRequestHandler.log_request = lambda self, *args: None  # type: ignore[method-assign]

    from scripts import local_gateway

    local_gateway.install()  # unknown paths reach the app's fallback route, as on API Gateway

    sys.argv = ["chalice", *args]
    return chalice_main()


def main() -> int:
    if sys.argv[1:2] == [CHILD_COMMAND]:
        return chalice_child(sys.argv[2:])
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        code = run()
    except Stop:
        code = 0
    except SetupError as exc:
        print(f"make run: {exc}", file=sys.stderr, flush=True)
        code = 1
    if code == 0:
        print("Stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
