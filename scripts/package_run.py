"""Run the built Lambda package as Lambda would: its handlers, from the zip alone, against the emulator.

`make package-check` runs this after the native-library check. It unzips `deployment.zip` into an empty directory,
starts the emulator (moto's server, with the local run's provisioning and demo world: scripts/local_run.py), and
drives the handlers the template names from a bare interpreter of the template's runtime (`python3.X -I -S`: no
venv, no site-packages, only the unzipped directory on sys.path): API Gateway REST proxy events to the API's
handler, the check function's event, an SQS event to the outbox's consumer and a schedule event to its sweep.
It prints one row per call (route or handler -> status) and fails on any unexpected answer, so a file, template or
library missing from the package fails CI (docs/ARCHITECTURE.md, deployment).

    python -m scripts.package_run build/package

The part after `--drive` runs inside the bare interpreter: it imports nothing but the standard library until it
loads the package's own modules.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# (row, what it must answer): the HTTP status, or "ok" for an event handler that returned without raising.
EXPECTED = (
    ("import of the API handler (cold start)", "ok"),
    ("GET /v1/health", 200),
    ("POST /v1/auth/login (surety)", 200),
    ("POST /v1/auth/login (contractor)", 200),
    ("POST /v1/auth/login (obligee)", 200),
    ("POST /v1/guarantees (issue, signed PDF)", 201),
    ("modules the issue never uses: aiohttp", "absent"),
    ("GET /v1/certificates", 200),
    ("GET /v1/certificates/{contract_number}/pdf", 200),
    ("GET presigned PDF URL", 200),
    ("GET /v1/certificates/{contract_number}/auth-key", 200),
    ("POST /v1/verifications", 200),
    ("POST /v1/documents/check", 200),
    ("DocumentCheck function", "genuine"),
    ("GET /login (portal)", 200),
    ("GET /certificates (portal, signed in)", 200),
    ("OutboxConsumer (SQS event)", "ok"),
    ("OutboxSweep (schedule event)", "ok"),
)
DRIVE = "--drive"
REGION = "ap-northeast-1"


def table(results: Iterable[Mapping[str, Any]], expected: Iterable[tuple[str, Any]] = EXPECTED,
          ) -> tuple[list[str], list[str]]:
    """(printed rows, failures): each expected row with what it answered; a row that never ran fails too."""
    got = {r["row"]: r for r in results}
    expected = list(expected)
    width = max(len(row) for row, _ in expected)
    lines = [f"{'route / handler':<{width}}  {'expected':>8}  {'got':>8}  {'ms':>6}"]
    failures = []
    for row, want in expected:
        result = got.get(row)
        answer = "-" if result is None else result["status"]
        ok = result is not None and answer == want
        ms = "" if result is None else f"{result.get('ms', 0):.0f}"
        lines.append(f"{row:<{width}}  {want!s:>8}  {answer!s:>8}  {ms:>6}  {'ok' if ok else 'FAIL'}")
        if not ok:
            detail = "never ran (an earlier step failed)" if result is None else result.get("detail", "")
            failures.append(f"{row}: expected {want}, got {answer} {detail}".rstrip())
    return lines, failures


# --- the parent: the emulator, the unzipped package, the bare interpreter --------------------------------------

def template_functions(package_dir: Path) -> dict[str, str]:
    """{logical id: handler} of the template's Lambda functions."""
    template = json.loads((package_dir / "sam.json").read_text(encoding="utf-8"))
    return {name: r["Properties"]["Handler"] for name, r in template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"}


def runtime_interpreter(runtime: str) -> str:
    """The plain interpreter of `runtime` (python3.X): the one this venv was made from."""
    interpreter = getattr(sys, "_base_executable", sys.executable)
    if f"python{sys.version_info.major}.{sys.version_info.minor}" != runtime:
        raise SystemExit(f"the template's runtime is {runtime}, but this venv runs "
                         f"python{sys.version_info.major}.{sys.version_info.minor}: run it from the runtime's venv")
    return interpreter


def run(package_dir: Path, timeout: float = 300) -> int:
    import socket
    import subprocess
    import tempfile
    import zipfile

    from scripts import local_run, package_check

    runtime = package_check.package_runtime(package_dir)
    interpreter = runtime_interpreter(runtime)
    with socket.socket() as s:
        s.bind((local_run.HOST, 0))
        port = s.getsockname()[1]
    aws_url = f"http://{local_run.HOST}:{port}"
    local_run.use_emulator_environment(aws_url, "https://portal.invalid")
    emulator = local_run.start_emulator(port)
    try:
        local_run.provision_demo_world()
        names = [*local_run.stage_environment(), "APP_USER_POOL_ID", "APP_USER_POOL_CLIENT_ID", "APP_PORTAL_URL",
                 "AWS_ENDPOINT_URL", *local_run.FAKE_AWS_ENVIRONMENT, "NO_PROXY", "no_proxy"]
        env = {name: os.environ[name] for name in names if name in os.environ}
        # what Lambda's runtime sets for a function
        env.update({"LANG": "en_US.UTF-8", "TZ": ":UTC", "AWS_LAMBDA_FUNCTION_NAME": "denshi-hosho-package-run",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        with tempfile.TemporaryDirectory(prefix="lambda-task-") as task_root:
            with zipfile.ZipFile(package_dir / "deployment.zip") as zf:
                zf.extractall(task_root)
            env["LAMBDA_TASK_ROOT"] = task_root
            print(f"{runtime}: {interpreter} -I -S, sys.path = [{task_root}, the standard library]; "
                  f"emulator {aws_url}", flush=True)
            done = subprocess.run(
                [interpreter, "-I", "-S", os.path.abspath(__file__), DRIVE, task_root,
                 json.dumps(template_functions(package_dir))],
                cwd=task_root, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        local_run.stop_emulator(emulator)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    lines, failures = table(results)
    print("\n".join(lines))
    if done.returncode != 0 or failures:
        print(done.stderr[-6000:], file=sys.stderr)
        for failure in failures:
            print(f"FAIL: {failure}", file=sys.stderr)
        print(f"package run: {len(failures)} failure(s), driver exit status {done.returncode}")
        return 1
    print(f"package run: {len(results)} calls, all as expected")
    return 0


# --- the driver: inside the bare interpreter ---------------------------------------------------------------------

class _Context:
    """What a Lambda handler is given as its context."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "package-run"
        self._deadline = time.monotonic() + 29

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def rest_event(method: str, resource: str, *, params: Mapping[str, str] | None = None, body: Any = None,
               token: str = "", headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway REST API (v1) proxy event, as the stage's gateway sends it."""
    params = dict(params or {})
    path = resource.format(**params)
    all_headers = {"Host": "abc123.execute-api.ap-northeast-1.amazonaws.com", "User-Agent": "package-run",
                   "X-Forwarded-For": "203.0.113.10", "X-Forwarded-Proto": "https", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    request_id = str(uuid.uuid4())
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": all_headers, "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": params or None, "stageVariables": None,
        "requestContext": {
            "resourcePath": resource, "httpMethod": method, "path": f"/api{path}", "stage": "api",
            "requestId": request_id, "extendedRequestId": request_id, "accountId": "123456789012",
            "apiId": "abc123", "protocol": "HTTP/1.1", "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "package-run"},
        },
        "body": None if body is None else json.dumps(body, ensure_ascii=False), "isBase64Encoded": False,
    }


def sqs_event(messages: Iterable[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
        "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn, "awsRegion": REGION} for m in messages]}


def schedule_event(rule: str) -> dict[str, Any]:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": REGION, "resources": [f"arn:aws:events:{REGION}:123456789012:rule/{rule}"], "detail": {}}


def _handler(spec: str) -> Callable[[Any, Any], Any]:
    module, _, name = spec.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _emit(row: str, status: Any, started: float, detail: str = "") -> None:
    print(json.dumps({"row": row, "status": status, "ms": (time.perf_counter() - started) * 1000,
                      "detail": detail}, ensure_ascii=False), flush=True)


def drive(task_root: str, functions: Mapping[str, str]) -> None:  # noqa: C901 - one scenario, in order
    sys.path.insert(0, task_root)
    started = time.perf_counter()
    api = _handler(functions["APIHandler"])
    _emit("import of the API handler (cold start)", "ok", started)

    def call(row: str, event: dict[str, Any], expect: int | None = None) -> dict[str, Any]:
        begun = time.perf_counter()
        response = api(event, _Context("APIHandler"))
        body = response.get("body") or ""
        status = response["statusCode"]
        _emit(row, status, begun, "" if status == expect else body[:300])
        if expect is not None and status != expect:
            raise SystemExit(f"{row}: {status} {body[:300]}")
        try:
            answer = json.loads(body)
        except ValueError:
            return {"html": body}
        return answer if isinstance(answer, dict) else {"json": answer}

    call("GET /v1/health", rest_event("GET", "/v1/health"), 200)
    tokens = {}
    for role, username in (("surety", "demo-surety"), ("contractor", "demo-contractor-1"),
                           ("obligee", "demo-sakaiminato")):
        answer = call(f"POST /v1/auth/login ({role})", rest_event(
            "POST", "/v1/auth/login", body={"username": username, "password": "Demo-Passw0rd!"}), 200)
        tokens[role] = answer["id_token"]
    today = date.today()
    issued = call("POST /v1/guarantees (issue, signed PDF)", rest_event(
        "POST", "/v1/guarantees", token=tokens["surety"], headers={"Idempotency-Key": f"package-run-{uuid.uuid4()}"},
        body={"guarantee_type": "advance_payment", "contractor_id": "contractor-1", "obligee_id": "sakaiminato",
              "work_category": "construction", "project_name": "境港市道 渡町線 道路改良工事 (package run)",
              "contract_date": (today - timedelta(days=3)).isoformat(),
              "completion_date": (today + timedelta(days=300)).isoformat(),
              "contract_amount_total": 100_000_000, "guarantee_amount": 40_000_000,
              "deposit_bank": "山陰銀行 境港支店", "delivery": "electronic"}), 201)
    number = issued["contract_number"]
    _emit("modules the issue never uses: aiohttp", "loaded" if "aiohttp" in sys.modules else "absent",
          time.perf_counter())
    params = {"contract_number": number}
    listed = call("GET /v1/certificates", rest_event("GET", "/v1/certificates", token=tokens["contractor"]), 200)
    if number not in {item["contract_number"] for item in listed["items"]}:
        raise SystemExit(f"the list does not show {number}")
    link = call("GET /v1/certificates/{contract_number}/pdf", rest_event(
        "GET", "/v1/certificates/{contract_number}/pdf", params=params, token=tokens["contractor"]), 200)
    begun = time.perf_counter()
    with urllib.request.urlopen(link["url"], timeout=10) as response:  # noqa: S310 - the emulator's presigned URL
        pdf = response.read()
        _emit("GET presigned PDF URL", response.status if pdf.startswith(b"%PDF-") else "not a PDF", begun)
    key = call("GET /v1/certificates/{contract_number}/auth-key", rest_event(
        "GET", "/v1/certificates/{contract_number}/auth-key", params=params, token=tokens["contractor"]), 200)
    call("POST /v1/verifications", rest_event(
        "POST", "/v1/verifications", token=tokens["obligee"],
        body={"contract_number": number, "auth_key": key["auth_key"]}), 200)
    checked = call("POST /v1/documents/check", rest_event(
        "POST", "/v1/documents/check", token=tokens["obligee"],
        body={"pdf_base64": base64.b64encode(pdf).decode("ascii")}), 200)
    if checked.get("result") != "genuine":
        raise SystemExit(f"the check route answered {checked}")
    from chalicelib.adapters import signing_key
    from chalicelib.pdf.signing import check_request

    begun = time.perf_counter()
    ours = [(chain.signing_cert, chain.root) for chain in signing_key.known_chains()]
    answer = _handler(functions["DocumentCheck"])(check_request(pdf, ours), _Context("DocumentCheck"))
    _emit("DocumentCheck function", answer.get("verdict", answer.get("result")), begun, json.dumps(answer)[:300])
    call("GET /login (portal)", rest_event("GET", "/login"), 200)
    page = call("GET /certificates (portal, signed in)", rest_event(
        "GET", "/certificates", headers={"Cookie": f"__Host-denshi-session={tokens['contractor']}"}), 200)
    if number not in page.get("html", ""):
        raise SystemExit(f"the portal's list does not show {number}")

    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    settings = get_settings()
    sqs, ses = client("sqs", settings.region), client("ses", settings.region)
    url = sqs.get_queue_url(QueueName=settings.outbox_queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sent_before = ses.get_send_quota()["SentLast24Hours"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    begun = time.perf_counter()
    result = _handler(functions["OutboxConsumer"])(sqs_event(messages, arn), _Context("OutboxConsumer"))
    sent = ses.get_send_quota()["SentLast24Hours"] - sent_before
    failed = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
    _emit("OutboxConsumer (SQS event)", "ok" if messages and sent > 0 and not failed else "no email",
          begun, f"{len(messages)} message(s), {sent:.0f} email(s) sent, result {result!r}")
    begun = time.perf_counter()
    _handler(functions["OutboxSweep"])(schedule_event("denshi-hosho-outbox-sweep"), _Context("OutboxSweep"))
    _emit("OutboxSweep (schedule event)", "ok", begun)
    leaked = sorted(p for p in sys.path if "site-packages" in p)
    if leaked:
        raise SystemExit(f"site-packages on the path: {leaked}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [DRIVE]:
        os.chdir(argv[1])
        drive(argv[1], json.loads(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("package_dir", type=Path, help="the output directory of `chalice package`")
    return run(parser.parse_args(argv).package_dir)


if __name__ == "__main__":
    sys.exit(main())
