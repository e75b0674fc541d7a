"""`make run` end to end, one runner for the module (its ports free, stopped with Ctrl-C by the last test): the
README's walk-through run as written, `make mail`, the structured request log, a client generated from
openapi.yaml, then the demo's list, `make backfill` and a clean stop."""

from __future__ import annotations

import compileall
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from chalicelib.domain.clock import japan_today
from scripts.demo_data import DEMO_PASSWORD, seeded_numbers
from scripts.local_run import port_is_free
from tests.support.processes import LocalRun, free_port, local_run
from tests.support.world import PROJECT_DIR

READY_TIMEOUT = 60
# One worker, one runner: the module's tests share it, in order (the last one stops it).
pytestmark = pytest.mark.xdist_group("local_run")


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without AWS or app settings (a child must find its own), going straight to 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "APP_"))}
    return {**env, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **extra}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRun]:
    with local_run(tmp_path_factory.mktemp("local_run") / "local_run.log", READY_TIMEOUT) as started:
        yield started


@pytest.fixture(scope="module")
def walked(run: LocalRun) -> str:
    """The README's walk-through against the runner (scripts/walkthrough.py, as `make walkthrough`): its output."""
    done = subprocess.run([sys.executable, "-m", "scripts.walkthrough"], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=240, env=_clean_env(API=run.url, HOOK_PORT=str(free_port())))
    assert done.returncode == 0, f"the README's walk-through failed:\n{done.stdout}\n{done.stderr}\n{run.log()}"
    return done.stdout


def test_the_readme_walk_through_runs_as_written(walked):
    # Plain Japanese from curl (UTF-8 JSON without escapes), every step of the flow.
    assert "\\u" not in walked
    assert '"project_name":"境港市道 渡町線 道路改良工事"' in walked  # issued, then listed by the contractor
    assert "%PDF-" in walked  # the certificate's PDF through its presigned link
    assert re.search(r"認証キー: [0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", walked)
    assert '"guarantee_amount":30000000' in walked and '"certificate_issued":true' in walked  # the amendment
    assert "\ncancelled\n" in walked
    for event in ("certificate.amended", "certificate.cancelled"):  # signed deliveries to the local receiver
        assert re.search(rf"受信: {event} \d{{10}} 版2 署名OK", walked), walked
    check = json.loads(next(line for line in walked.splitlines() if line.startswith('{"result"')))
    assert (check["result"], check["status"]) == ("genuine", "cancelled"), check
    assert "この保証は解約されています" in check["message"]


def test_make_mail_lists_the_kept_emails_newest_first_and_readable(run, walked):
    shown = subprocess.run([sys.executable, "-m", "scripts.mail"], cwd=PROJECT_DIR, capture_output=True, text=True,
                           timeout=60, env=_clean_env(LOCAL_AWS_PORT=str(run.aws_port)))
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    times = [datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t in re.findall(r"^日時:   (.+) JST$", out, re.M)]
    subjects = re.findall(r"^件名:   (.+)$", out, re.M)
    # The demo world's notices, then the walk-through's issue, amendment and cancellation (contractor and owner).
    assert len(times) == len(subjects) >= 8 and out.startswith(f"メール {len(subjects)} 通(新しい順)"), out
    assert times == sorted(times, reverse=True)
    assert subjects[0] == "保証契約解約のお知らせ" and subjects[-1] == "電子証書・認証キー登録のお知らせ", subjects
    assert "差出人: no-reply@denshi-hosho.example.jp" in out and "宛先:   keiyaku@sakaiminato.example.jp" in out
    assert "境港市長 様" in out and "このメールには認証キーを記載していません。" in out  # the body as text
    key = re.search(r"認証キー: (\S+)", walked)[1]
    assert key not in out and key.replace("-", "") not in out

    newest = subprocess.run([sys.executable, "-m", "scripts.mail", "--limit", "1", "--to",
                             "info@maru-kensetsu.example.jp"], cwd=PROJECT_DIR, capture_output=True, text=True,
                            timeout=60, env=_clean_env(LOCAL_AWS_PORT=str(run.aws_port)))
    assert re.match(r"メール \d+ 通\(新しい順\)、うち 1 通を表示", newest.stdout), newest.stdout
    assert "件名:   保証契約解約のお知らせ" in newest.stdout and "株式会社○○建設 様" in newest.stdout


def test_the_local_run_logs_one_json_line_per_request_and_no_secret(run, walked):
    output = run.log()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "denshi_hosho.access"]
    assert access and all(set(line) >= {"time", "request_id", "method", "route", "status", "duration_ms"}
                          for line in access), access[:3]
    routes = {(line["method"], line["route"], line["status"]) for line in access}
    assert {("POST", "/v1/guarantees", 201), ("POST", "/v1/guarantees/{contract_number}/amendments", 201),
            ("GET", "/v1/certificates/{contract_number}/auth-key", 200),
            ("POST", "/v1/verifications", 200)} <= routes, routes
    assert len({line["request_id"] for line in access}) == len(access)  # one line per request
    # No development-server line per request, no AWS library chatter.
    assert '" 200 -' not in output and "HTTP/1.1" not in output, output[-2000:]
    assert not [line for line in lines if line["logger"].startswith(("botocore", "boto3", "pynamodb", "urllib3"))]
    # Nothing that grants access: the key shown, an ID token, a presigned link.
    key = re.search(r"認証キー: (\S+)", walked)[1]
    for secret in (key, key.replace("-", ""), "eyJ", "X-Amz-Signature", "X-Amz-Credential"):
        assert secret not in output, secret


def test_a_client_generated_from_openapi_verifies_a_certificate(run, tmp_path):
    """openapi.yaml through a mainstream generator (openapi-python-client): the client builds, and an owner's clerk
    verifies a certificate with it against the local run, as an integrator would."""
    bin_dir = Path(sys.executable).parent  # its formatting hook runs this environment's ruff
    generated = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", os.path.join(PROJECT_DIR, "openapi.yaml"),
         "--meta", "none", "--output-path", str(tmp_path / "denshi_hosho_client")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert generated.returncode == 0 and "Warning" not in generated.stdout + generated.stderr, generated
    assert compileall.compile_dir(str(tmp_path / "denshi_hosho_client"), quiet=1)

    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module("denshi_hosho_client")
        for module in pkgutil.walk_packages(package.__path__, "denshi_hosho_client."):
            importlib.import_module(module.name)  # every operation and model imports
        from denshi_hosho_client import AuthenticatedClient, Client
        from denshi_hosho_client.api.auth import login
        from denshi_hosho_client.api.certificates import get_auth_key
        from denshi_hosho_client.api.verifications import verify_certificate
        from denshi_hosho_client.models import LoginRequest, VerificationRequest

        options = {"base_url": run.url, "raise_on_unexpected_status": True, "httpx_args": {"trust_env": False}}

        def signed_in(username: str) -> AuthenticatedClient:
            answer = login.sync(client=Client(**options), body=LoginRequest(username=username, password=DEMO_PASSWORD))
            return AuthenticatedClient(token=answer.id_token, **options)

        number = "2070004426"  # the flyer's certificate: contractor-1's, addressed to ○○県
        key = get_auth_key.sync(client=signed_in("demo-contractor-1"), contract_number=number)
        verified = verify_certificate.sync_detailed(client=signed_in("demo-pref"),
                                                    body=VerificationRequest(contract_number=number,
                                                                             auth_key=key.auth_key))
        assert verified.status_code == 200, verified.content
        certificate = verified.parsed.certificate
        assert (certificate.contract_number, certificate.project_name, certificate.obligee.name) == (
            number, "○○道路改良工事", "○○県知事")
        assert verified.parsed.pdf_url.startswith(run.aws_url)

        wrong = verify_certificate.sync_detailed(client=signed_in("demo-pref"),
                                                 body=VerificationRequest(contract_number=number,
                                                                          auth_key="00000-00000"))
        assert wrong.status_code == 404 and wrong.parsed.code == "verification_failed"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == "denshi_hosho_client"]:
            del sys.modules[name]


def test_local_run_serves_the_demo_and_stops_cleanly(run):
    """Last: the runner is stopped here."""
    api, http = run.url, run.http
    login = http.post(f"{api}/v1/auth/login", json={"username": "demo-contractor-1",
                                                         "password": DEMO_PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    assert login.json()["role"] == "contractor"
    token = login.json()["id_token"]
    listing = http.get(f"{api}/v1/certificates", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert listing.status_code == 200, listing.text
    assert listing.headers["Content-Type"] == "application/json; charset=utf-8"
    body = listing.json()
    # The demo world's (the seed's three and the variety), in their order, and the walk-through's when it ran first.
    seeded = seeded_numbers("contractor-1", japan_today())
    numbers = [i["contract_number"] for i in body["items"]]
    assert [n for n in numbers if n in seeded] == seeded and body["total"] >= len(seeded), numbers

    # `make backfill` against this run's emulator: the certificates were written with every index's keys.
    backfill = subprocess.run([sys.executable, "-m", "scripts.backfill", "--local"], cwd=PROJECT_DIR,
                              env=_clean_env(LOCAL_AWS_PORT=str(run.aws_port)), capture_output=True, text=True,
                              timeout=60)
    assert backfill.returncode == 0, backfill.stderr
    current = body["total"]
    assert f"guarantees: {current} items; current {current}" in backfill.stdout, backfill.stdout

    output = run.log()
    assert api in output and "demo-contractor-1" in output and DEMO_PASSWORD in output

    assert run.stop() == 0, run.log()
    # Both servers are gone: their ports can be listened on again at once.
    assert port_is_free(run.api_port), f"the API still holds port {run.api_port}"
    assert port_is_free(run.aws_port), f"the emulator still holds port {run.aws_port}"
