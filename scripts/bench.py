"""`make bench`: the figures the closing notes quote. One function per figure; `--only NAME` runs some.

    python -m scripts.bench                  # every section
    python -m scripts.bench --only listing   # one (repeat --only, or separate names by commas)
    python -m scripts.bench --list           # the section names

To add a figure, write `def bench_<name>(args) -> list[str]` (lines to print) and add it to SECTIONS.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

# The app's access log would drown the figures; warnings still show.
os.environ.setdefault("APP_LOG_LEVEL", "WARNING")

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-northeast-1",
}


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


# --- cold start --------------------------------------------------------------------------------------------

HEAVY_MODULES = ("reportlab", "moto", "pytest", "jwt", "requests", "jinja2", "pynamodb", "pyhanko", "cryptography",
                 "asn1crypto")
COLD_START_GOAL = 1.2  # import app / import boto3, CPU


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "APP_"))}
    return {**env, **FAKE_AWS_ENVIRONMENT}


def _run_child(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one child process; CPU (user + system) is far less disturbed by other load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_DIR, env=env, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _time_imports(statements: list[str], runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) of a fresh interpreter running each statement; runs alternate between the statements
    so that a change of machine load hits all alike, after one untimed run each to warm file and bytecode caches."""
    env = _child_env()
    commands = {s: [sys.executable, "-c", s] for s in statements}
    for command in commands.values():
        subprocess.run(command, cwd=PROJECT_DIR, env=env, check=True)
    samples: dict[str, list[tuple[float, float]]] = {s: [] for s in statements}
    for _ in range(runs):
        for statement, command in commands.items():
            samples[statement].append(_run_child(command, env))
    return {s: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for s, v in samples.items()}


def bench_cold_start(args: argparse.Namespace) -> list[str]:
    """A Lambda cold start pays for every import of app.py: compare it with boto3 alone."""
    runs = args.runs
    figures = _time_imports(["import app", "import boto3"], runs)
    (app_wall, app_cpu), (boto3_wall, boto3_cpu) = figures["import app"], figures["import boto3"]
    probe = f"import json, sys, app; print(json.dumps({{m: m in sys.modules for m in {list(HEAVY_MODULES)!r}}}))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, env=_child_env(),
                                       check=True, capture_output=True, text=True).stdout)
    ratio = app_cpu / boto3_cpu
    return [
        f"python -c 'import app':   {app_wall * 1000:7.1f} ms wall, {app_cpu * 1000:7.1f} ms CPU "
        f"(median of {runs}, fresh interpreter)",
        f"python -c 'import boto3': {boto3_wall * 1000:7.1f} ms wall, {boto3_cpu * 1000:7.1f} ms CPU "
        f"(median of {runs}, fresh interpreter)",
        f"ratio app/boto3:          {ratio:7.2f} CPU, {app_wall / boto3_wall:.2f} wall "
        f"(goal <= {COLD_START_GOAL}: {_verdict(ratio <= COLD_START_GOAL)})",
        "imported by `import app`: " + ", ".join(f"{m}={'yes' if v else 'no'}" for m, v in loaded.items()),
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs",
    ]


# --- listing at scale --------------------------------------------------------------------------------------

TARGET_CONTRACTOR = "bench-target"
TARGET_CERTIFICATES = 20
OTHER_CONTRACTORS = 100


@contextmanager
def emulated_account() -> Iterator[Any]:
    """A fresh, provisioned moto account in this process (as tests/conftest.py builds one)."""
    from scripts.local_run import stage_environment

    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    os.environ.update(stage_environment("local"))
    from moto import mock_aws

    import chalicelib.adapters.identity  # noqa: F401 - each module registers its own cache
    import chalicelib.store.guarantees  # noqa: F401
    from chalicelib import caches
    from chalicelib.config import get_settings
    from chalicelib.services.tables import use_tables
    from scripts import emulator
    from scripts.provision import provision

    emulator.install()  # moto as `make run` has it (EMULATOR_SHIMS=off: as released)
    reset = caches.reset_all

    try:
        with mock_aws():
            reset()
            settings = get_settings()
            provision(settings)
            use_tables()
            yield settings
            reset()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _version(number: str, contractor_id: str, issued_on: date, i: int) -> Any:
    """A version-1 item as chalicelib.services.issuance.issue_guarantee stores it (store/guarantees.latest_item)."""
    from chalicelib.store.guarantees import latest_item
    from tests.support.certificates import version

    return latest_item(version(number, contractor_id, issued_on=issued_on, contract_date=issued_on,
                               project_name=f"ベンチ道路改良工事 第{i}工区"))


def _populate(others: int) -> None:
    from chalicelib.domain.clock import utc_now
    from chalicelib.store.models import Contractor, GuaranteeVersion

    first_day = date(2022, 1, 1)
    Contractor(TARGET_CONTRACTOR, name="株式会社ベンチ建設", address="境港市上道町3000番地",
               email="bench@example.jp", certificate_count=TARGET_CERTIFICATES, updated_at=utc_now()).save()
    with GuaranteeVersion.batch_write() as batch:
        for i in range(TARGET_CERTIFICATES):
            batch.save(_version(str(2080000000 + i), TARGET_CONTRACTOR, first_day + timedelta(days=37 * i), i))
        for i in range(others):
            contractor = f"bench-other-{i % OTHER_CONTRACTORS:03d}"
            batch.save(_version(str(2081000000 + i), contractor, first_day + timedelta(days=i % 1400), i))


@contextmanager
def emulator_clock(cpu: list[float] | None = None) -> Iterator[list[float]]:
    """Seconds spent inside moto's request handling, appended per request (to tell app time from emulator time);
    and to `cpu`, if given, the CPU seconds of each (other processes' load disturbs those far less)."""
    from moto.core import models as moto_models

    stubber = moto_models.botocore_stubber
    spent: list[float] = []
    original = stubber.process_request

    def timed(request: Any) -> Any:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            return original(request)
        finally:
            spent.append(time.perf_counter() - start)
            if cpu is not None:
                cpu.append(time.process_time() - start_cpu)

    stubber.process_request = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        del stubber.process_request  # back to the class's method


def _measure_listing(others: int, repeats: int) -> tuple[int, float, float]:
    """(ScannedCount of the listing's Query, warm median seconds, median seconds of it inside the emulator)."""
    from chalicelib.adapters import aws
    from chalicelib.domain.principal import Principal
    from chalicelib.services.listing import list_certificates

    scanned: list[int] = []

    def on_query(parsed: dict[str, Any], **_: Any) -> None:
        scanned.append(int(parsed.get("ScannedCount", 0)))

    import moto  # noqa: F401 - first: moto's hook must be in botocore before the shared session exists

    # Clients copy the session's handlers when they are made: register before the account's clients exist.
    botocore_session = aws.session()._session
    botocore_session.register("after-call.dynamodb.Query", on_query)
    try:
        with emulated_account():
            _populate(others)
            principal = Principal(username="c", role="contractor", org_id=TARGET_CONTRACTOR)
            for _ in range(3):  # warm: clients, secret, first parse
                result = list_certificates(principal, {})
            if len(result["items"]) != TARGET_CERTIFICATES or result["total"] != TARGET_CERTIFICATES:
                raise AssertionError(f"listing returned {len(result['items'])} items, total {result['total']}")
            scanned.clear()
            list_certificates(principal, {})
            queries = list(scanned)
            times, emulated = [], []
            with emulator_clock() as spent:
                for _ in range(repeats):
                    spent.clear()
                    start = time.perf_counter()
                    list_certificates(principal, {})
                    times.append(time.perf_counter() - start)
                    emulated.append(sum(spent))
    finally:
        botocore_session.unregister("after-call.dynamodb.Query", on_query)
    if not queries:
        raise AssertionError("the listing made no DynamoDB Query (or the hook did not see it)")
    return sum(queries), statistics.median(times), statistics.median(emulated)


def bench_listing(args: argparse.Namespace) -> list[str]:
    """保証工事一覧 of one contractor must not grow with everyone else's certificates (a Query, never a Scan)."""
    small, large = args.sizes
    lines = []
    figures = {}
    for others in (small, large):
        start = time.perf_counter()
        scanned, latency, emulated = _measure_listing(others, args.repeats)
        figures[others] = latency
        lines.append(
            f"N={others:>6} other certificates: ScannedCount {scanned:3d} (goal <= {TARGET_CERTIFICATES + 1}: "
            f"{_verdict(scanned <= TARGET_CERTIFICATES + 1)}), latency {latency * 1000:6.1f} ms "
            f"(warm median of {args.repeats}; inside moto {emulated * 1000:.1f} ms, "
            f"app {(latency - emulated) * 1000:.1f} ms; setup {time.perf_counter() - start:.1f} s)"
        )
    ratio = figures[large] / figures[small]
    lines.append(f"latency ratio N={large}/N={small}: {ratio:.2f} (goal <= 1.5: {_verdict(ratio <= 1.5)})")
    lines.append("(latency is mostly moto's response serialisation; ScannedCount is what DynamoDB would bill)")
    return lines


# --- certificate PDF -----------------------------------------------------------------------------------

PDF_WARM_GOAL_MS = 25.0
PDF_FIRST_GOAL_MS = 300.0
PDF_SIZE_GOAL_BYTES = 80 * 1024
SIGNED_WARM_GOAL_MS = 25.0  # render + sign, the KMS round trip excluded
SIGNED_SIZE_GOAL_BYTES = 90 * 1024

# A fresh interpreter with the app's light modules loaded (as after `import app`), timing what the first
# certificate of a Lambda instance costs: importing chalicelib.pdf and reportlab, registering the font, drawing.
_PDF_FIRST_CALL = """
import datetime, json, sys, time
from scripts.bench import seed_certificate_fields
fields, surety = seed_certificate_fields()
reportlab_before = "reportlab" in sys.modules
c0, t0 = time.process_time(), time.perf_counter()
from chalicelib.pdf.certificate import CertificateContent, render_certificate
from chalicelib.pdf.fonts import register_fonts
register_fonts()
t1 = time.perf_counter()
pdf = render_certificate(CertificateContent(**fields), surety, created=datetime.datetime.now(datetime.UTC))
c2, t2 = time.process_time(), time.perf_counter()
print(json.dumps({"font_s": t1 - t0, "draw_s": t2 - t1, "total_s": t2 - t0, "cpu_s": c2 - c0, "size": len(pdf),
                  "reportlab_before": reportlab_before}))
"""


# The first signature of a process, as the first issue request pays for it: pyHanko's imports, the signer, one
# PAdES signature (an in-memory key: no KMS round trip). The certificate is drawn and the key made before timing.
_SIGN_FIRST_CALL = """
import json, sys, time
from datetime import UTC, datetime
from asn1crypto import keys, pem, x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from chalicelib.config import get_settings
from chalicelib.pdf.certificate import CertificateContent, render_certificate
from scripts.bench import seed_certificate_fields
from scripts.provision import demo_signing_chain
fields, surety = seed_certificate_fields()
pdf = render_certificate(CertificateContent(**fields), surety, created=datetime.now(UTC))
private = ec.generate_private_key(ec.SECP256R1())
chain = demo_signing_chain(get_settings(), private.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
ders = [der for _, _, der in pem.unarmor(chain.encode(), multiple=True)]
key = keys.PrivateKeyInfo.load(private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
pyhanko_before = "pyhanko" in sys.modules
c0, t0 = time.process_time(), time.perf_counter()
from chalicelib.pdf.signing import DocumentReference, sign_document
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
signer = signers.SimpleSigner(x509.Certificate.load(ders[0]), key,
                              SimpleCertificateStore.from_certs([x509.Certificate.load(d) for d in ders[1:]]))
signed = sign_document(pdf, signer, DocumentReference("certificate", fields["contract_number"], 1, "sakaiminato"),
                       signer_name=surety.name, location="○○県○○市")
c1, t1 = time.process_time(), time.perf_counter()
print(json.dumps({"wall_s": t1 - t0, "cpu_s": c1 - c0, "aiohttp": "aiohttp" in sys.modules,
                  "pyhanko_before": pyhanko_before, "size": len(signed)}))
"""


def first_signatures(runs: int, project_dir: str = PROJECT_DIR, python: str = sys.executable) -> list[dict[str, Any]]:
    """`_SIGN_FIRST_CALL` in `runs` fresh interpreters (another checkout's code and venv for a before figure)."""
    command = [python, "-W", "ignore", "-c", _SIGN_FIRST_CALL]
    env = _child_env()
    subprocess.run(command, cwd=project_dir, env=env, check=True, capture_output=True)  # warm the disk cache
    return [json.loads(subprocess.run(command, cwd=project_dir, env=env, check=True, capture_output=True,
                                      text=True).stdout) for _ in range(runs)]


def first_signature_line(runs: int, project_dir: str = PROJECT_DIR, python: str = sys.executable) -> str:
    firsts = first_signatures(runs, project_dir, python)
    if any(f["pyhanko_before"] for f in firsts):
        raise AssertionError("pyHanko was imported before the first signature")
    wall = statistics.median(f["wall_s"] for f in firsts) * 1000
    cpu = statistics.median(f["cpu_s"] for f in firsts) * 1000
    aiohttp = sorted({"yes" if f["aiohttp"] else "no" for f in firsts})
    return (f"first signature: {wall:6.1f} ms wall, {cpu:.1f} ms CPU (median of {runs} fresh processes: pyHanko's "
            f"imports, the signer, one PAdES signature; no KMS); aiohttp imported: {'/'.join(aiohttp)}")


def seed_certificate_fields() -> tuple[dict[str, Any], Any]:
    """The flyer's certificate 2070004426 as the demo seed issues it (CertificateContent fields, surety)."""
    from chalicelib.config import get_settings
    from chalicelib.domain.types import GuaranteeType
    from scripts.demo_data import CERTIFICATES, CONTRACTORS, OBLIGEES

    number, issued_on, body = next(c for c in CERTIFICATES if c[0] == "2070004426")
    contractor = CONTRACTORS[body["contractor_id"]]
    completion = date.fromisoformat(body["completion_date"])
    fields = {
        "contract_number": number,
        "version": 1,
        "amended": False,
        "guarantee_type": GuaranteeType(body["guarantee_type"]),
        "issued_on": issued_on,
        "contractor_address": contractor["address"],
        "contractor_name": contractor["name"],
        "obligee_name": OBLIGEES[body["obligee_id"]]["name"],
        "guarantee_amount": body["guarantee_amount"],
        "guarantee_period_end": date.fromisoformat(body.get("guarantee_period_end", body["completion_date"])),
        "completion_date": completion,
        "project_name": body["project_name"],
        "contract_amount_total": body["contract_amount_total"],
        "deposit_bank": body.get("deposit_bank"),
    }
    return fields, get_settings().surety


def _pdf_first_calls(runs: int) -> list[dict[str, Any]]:
    command = [sys.executable, "-c", _PDF_FIRST_CALL]
    env = _child_env()
    subprocess.run(command, cwd=PROJECT_DIR, env=env, check=True, capture_output=True)  # warm the disk cache
    return [
        json.loads(subprocess.run(command, cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
                                  text=True).stdout)
        for _ in range(runs)
    ]


def bench_pdf(args: argparse.Namespace) -> list[str]:
    """The certificate PDF of the seed certificate 2070004426: first call in a fresh process, warm, size."""
    firsts = _pdf_first_calls(args.runs)
    if any(f["reportlab_before"] for f in firsts):
        raise AssertionError("reportlab was imported before the first certificate was drawn")
    first_ms = statistics.median(f["total_s"] for f in firsts) * 1000
    font_ms = statistics.median(f["font_s"] for f in firsts) * 1000
    draw_ms = statistics.median(f["draw_s"] for f in firsts) * 1000

    from chalicelib.pdf.certificate import CertificateContent, render_certificate

    fields, surety = seed_certificate_fields()
    content = CertificateContent(**fields)
    created = datetime.now(UTC)  # one moment for every render: the same bytes each time
    pdf = render_certificate(content, surety, created=created)
    times, cpu = [], []
    for _ in range(args.pdf_repeats):
        cpu_start, start = time.process_time(), time.perf_counter()
        again = render_certificate(content, surety, created=created)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        if again != pdf:
            raise AssertionError("the same certificate rendered to different bytes")
    warm_ms = statistics.median(times) * 1000
    first_cpu_ms = statistics.median(f["cpu_s"] for f in firsts) * 1000
    warm_cpu_ms = statistics.median(cpu) * 1000
    size = len(pdf)
    if any(f["size"] != size for f in firsts):
        raise AssertionError("a fresh process rendered a different size")
    return [
        f"first call: {first_ms:6.1f} ms (median of {args.runs} fresh processes; import + font "
        f"{font_ms:.1f} ms, first draw incl. canvas import {draw_ms:.1f} ms; CPU {first_cpu_ms:.1f} ms) "
        f"(goal <= {PDF_FIRST_GOAL_MS:.0f}: {_verdict(first_ms <= PDF_FIRST_GOAL_MS)})",
        f"warm:       {warm_ms:6.1f} ms (median of {args.pdf_repeats}, min {min(times) * 1000:.1f}, "
        f"max {max(times) * 1000:.1f}; CPU {warm_cpu_ms:.1f} ms) "
        f"(goal <= {PDF_WARM_GOAL_MS:.0f}: {_verdict(warm_ms <= PDF_WARM_GOAL_MS)})",
        f"size:       {size / 1024:6.1f} KB ({size} bytes, one A4 page, font subset embedded) "
        f"(goal <= {PDF_SIZE_GOAL_BYTES // 1024} KB: {_verdict(size <= PDF_SIZE_GOAL_BYTES)})",
        first_signature_line(args.runs),
        *_signed_pdf_lines(args, content, surety),
        "load average {:.2f} {:.2f} {:.2f} on {} CPUs (wall times grow with load; CPU times much less)".format(
            *os.getloadavg(), os.cpu_count()),
    ]


def _signed_pdf_lines(args: argparse.Namespace, content: Any, surety: Any) -> list[str]:
    """The seed certificate rendered and PAdES-signed through the KMS signer against the emulator: warm time
    without the KMS round trip (timed around each Sign call and subtracted), KMS calls per version, size."""
    from chalicelib.adapters import signing_key
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.kms_signer import kms_signer
    from chalicelib.pdf.certificate import render_certificate
    from chalicelib.pdf.signing import DocumentReference, sign_document

    reference = DocumentReference("certificate", content.contract_number, content.version, "sakaiminato")
    with emulated_account() as settings:
        kms_calls: list[str] = []
        client("kms", settings.region).meta.events.register(
            "provide-client-params.kms.Sign", lambda params, **_: kms_calls.append(params["KeyId"]))
        in_kms: list[tuple[float, float]] = []  # (wall, CPU) of each Sign call: the emulator runs in-process
        real_sign = signing_key.sign

        def timed_sign(message: bytes, key_algorithm: str) -> bytes:
            cpu_start, start = time.process_time(), time.perf_counter()
            try:
                return real_sign(message, key_algorithm)
            finally:
                in_kms.append((time.perf_counter() - start, time.process_time() - cpu_start))

        signing_key.sign = timed_sign  # type: ignore[assignment]
        try:
            def render_and_sign() -> bytes:
                return sign_document(render_certificate(content, surety, created=datetime.now(UTC)), kms_signer(),
                                     reference,
                                     signer_name=settings.surety.name, location=settings.signing.location)

            signed = render_and_sign()  # warms pyHanko's imports and the chain cache
            kms_calls.clear()
            times, kms_times, cpu = [], [], []
            for _ in range(args.pdf_repeats):
                in_kms.clear()
                cpu_start, start = time.process_time(), time.perf_counter()
                signed = render_and_sign()
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start - sum(c for _, c in in_kms))
                kms_times.append(sum(w for w, _ in in_kms))
            calls_per_version = len(kms_calls) / args.pdf_repeats
        finally:
            signing_key.sign = real_sign  # type: ignore[assignment]
    warm_ms = statistics.median(t - k for t, k in zip(times, kms_times, strict=True)) * 1000
    kms_ms = statistics.median(kms_times) * 1000
    cpu_ms = statistics.median(cpu) * 1000
    size = len(signed)
    return [
        f"signed warm: {warm_ms:5.1f} ms render + PAdES sign, KMS round trip excluded (median of "
        f"{args.pdf_repeats}, min {min(t - k for t, k in zip(times, kms_times, strict=True)) * 1000:.1f}; "
        f"CPU {cpu_ms:.1f} ms; the emulated KMS Sign took {kms_ms:.1f} ms more) "
        f"(goal <= {SIGNED_WARM_GOAL_MS:.0f}: {_verdict(warm_ms <= SIGNED_WARM_GOAL_MS)})",
        f"KMS calls:  {calls_per_version:.0f} Sign per version (goal 1: {_verdict(calls_per_version == 1)})",
        f"signed size: {size / 1024:5.1f} KB ({size} bytes, signature + certificate chain embedded) "
        f"(goal <= {SIGNED_SIZE_GOAL_BYTES // 1024} KB: {_verdict(size <= SIGNED_SIZE_GOAL_BYTES)})",
    ]


# --- verification hot path -------------------------------------------------------------------------------

VERIFICATION_NUMBER = "2070004426"  # the flyer's first certificate: contractor-1 for ○○県 (pref-demo)
VERIFICATION_RATIO_GOAL = 2.0
VERIFICATION_DYNAMODB_GOAL = 3


def _api_call(client: Any, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = client.http.request(method, path, headers=headers, body=json.dumps(body) if body is not None else None)
    if response.status_code != 200:
        raise AssertionError(f"{method} {path}: {response.status_code} {response.json_body}")
    return response.json_body


def bench_verification(args: argparse.Namespace) -> list[str]:
    """A whole POST /v1/verifications (chalice.test.Client, warm) against one GuaranteeVersion.get, in one process."""
    import moto  # noqa: F401 - first: moto's hook must be in botocore before the shared session exists

    from chalicelib.adapters import aws

    calls: dict[str, int] = {}
    operations: list[str] = []

    def on_call(model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        calls[service] = calls.get(service, 0) + 1
        operations.append(model.name)

    # Clients copy the session's handlers when they are made: register before the account's clients exist.
    botocore_session = aws.session()._session
    botocore_session.register("before-call", on_call, unique_id="bench-verification-calls")
    try:
        with emulated_account() as settings:
            from chalice.test import Client

            from app import app
            from chalicelib.store.models import GuaranteeVersion
            from scripts.demo_data import DEMO_PASSWORD
            from scripts.provision import create_user_pool, identity_environment
            from scripts.seed import seed_demo

            identity = create_user_pool(settings)  # the pool provision() made (found by name)
            os.environ.update(identity_environment(identity))
            seed_demo(settings, identity)
            with Client(app, stage_name="local", project_dir=PROJECT_DIR) as client:
                def login(username: str) -> str:
                    body = {"username": username, "password": DEMO_PASSWORD}
                    return _api_call(client, "POST", "/v1/auth/login", body)["id_token"]

                key = _api_call(client, "GET", f"/v1/certificates/{VERIFICATION_NUMBER}/auth-key",
                                token=login("demo-contractor-1"))["auth_key"]
                owner = login("demo-pref")
                body = {"contract_number": VERIFICATION_NUMBER, "auth_key": key}
                wrong = {"contract_number": VERIFICATION_NUMBER, "auth_key": "ABCDE-FGHJK" if key != "ABCDE-FGHJK"
                         else "ABCDE-FGHJM"}

                def verification() -> Any:
                    answer = _api_call(client, "POST", "/v1/verifications", body, token=owner)
                    if answer["certificate"]["contract_number"] != VERIFICATION_NUMBER:
                        raise AssertionError(f"verified the wrong certificate: {answer['certificate']}")
                    return answer

                def get_item() -> Any:
                    return GuaranteeVersion.get(VERIFICATION_NUMBER, 1)

                for _ in range(5):  # warm: clients, secret, JWKS, first parse
                    verification()
                    get_item()
                calls.clear()
                verification()
                success_calls = dict(calls)
                calls.clear()
                failed = client.http.request("POST", "/v1/verifications", body=json.dumps(wrong), headers={
                    "Content-Type": "application/json", "Authorization": f"Bearer {owner}"})
                if failed.status_code != 404:
                    raise AssertionError(f"a wrong key answered {failed.status_code} {failed.json_body}")
                failure_calls = dict(calls)

                timings: dict[str, tuple[float, float]] = {}
                by_operation: dict[str, list[float]] = {}
                with emulator_clock() as spent:
                    for name, call in (("verification", verification), ("get", get_item)):
                        times, emulated = [], []
                        for _ in range(args.verification_repeats):
                            spent.clear()
                            operations.clear()
                            start = time.perf_counter()
                            call()
                            times.append(time.perf_counter() - start)
                            emulated.append(sum(spent))
                            if name == "verification" and len(operations) == len(spent):
                                for operation, seconds in zip(operations, spent, strict=True):
                                    by_operation.setdefault(operation, []).append(seconds)
                        timings[name] = (statistics.median(times), statistics.median(emulated))
    finally:
        botocore_session.unregister("before-call", unique_id="bench-verification-calls")

    (verify_s, verify_moto_s), (get_s, get_moto_s) = timings["verification"], timings["get"]
    ratio = verify_s / get_s
    runs = args.verification_repeats

    def per_call(counted: dict[str, int]) -> str:
        dynamodb, kms = counted.get("dynamodb", 0), counted.get("kms", 0)
        others = ", ".join(f"{k} {v}" for k, v in sorted(counted.items()) if k not in ("dynamodb", "kms"))
        ok = dynamodb <= VERIFICATION_DYNAMODB_GOAL and kms == 0
        return (f"DynamoDB {dynamodb}, KMS {kms}{f', {others}' if others else ''} "
                f"(goal <= {VERIFICATION_DYNAMODB_GOAL} and 0: {_verdict(ok)})")

    return [
        f"POST /v1/verifications:   {verify_s * 1000:6.2f} ms (warm median of {runs}; inside moto "
        f"{verify_moto_s * 1000:.2f} ms, app + test client {(verify_s - verify_moto_s) * 1000:.2f} ms)",
        f"GuaranteeVersion.get:     {get_s * 1000:6.2f} ms (warm median of {runs}; inside moto "
        f"{get_moto_s * 1000:.2f} ms)",
        f"ratio verification/get:   {ratio:6.2f}    (goal <= {VERIFICATION_RATIO_GOAL}: "
        f"{_verdict(ratio <= VERIFICATION_RATIO_GOAL)})",
        f"calls per verification:   {per_call(success_calls)}",
        "  inside moto per call:   " + ", ".join(f"{op} {statistics.median(t) * 1000:.2f} ms"
                                                  for op, t in by_operation.items()),
        f"calls per failed attempt: {per_call(failure_calls)}",
        "load average {:.2f} {:.2f} {:.2f} on {} CPUs".format(*os.getloadavg(), os.cpu_count()),
    ]


# --- runner ------------------------------------------------------------------------------------------------


# --- portal ------------------------------------------------------------------------------------------------

PORTAL_ROWS = 20
PORTAL_BYTES_GOAL = 40 * 1024


def bench_portal(args: argparse.Namespace) -> list[str]:
    """The portal's 保証工事一覧 (20 rows) against the JSON list of the same query, whole requests in one process
    (chalice.test.Client, warm), and what the browser downloads for it."""
    with emulated_account() as settings:
        from chalice.test import Client

        from app import app
        from chalicelib.portal.security import SESSION_COOKIE
        from chalicelib.store.models import Contractor, GuaranteeVersion
        from scripts.demo_data import DEMO_PASSWORD
        from scripts.provision import create_user_pool, identity_environment
        from scripts.seed import seed_demo

        identity = create_user_pool(settings)
        os.environ.update(identity_environment(identity))
        seeded = len(seed_demo(settings, identity))
        with GuaranteeVersion.batch_write() as batch:  # the contractor's list fills one page
            for i in range(PORTAL_ROWS - seeded):
                batch.save(_version(str(2082000000 + i), "contractor-1", date(2024, 1, 1) + timedelta(days=i), i))
        Contractor("contractor-1").update(actions=[Contractor.certificate_count.set(PORTAL_ROWS)])
        with Client(app, stage_name="local", project_dir=PROJECT_DIR) as client:
            body = {"username": "demo-contractor-1", "password": DEMO_PASSWORD}
            token = _api_call(client, "POST", "/v1/auth/login", body)["id_token"]
            as_api = {"Authorization": f"Bearer {token}"}
            as_person = {"Cookie": f"{SESSION_COOKIE}={token}"}

            def page() -> Any:
                response = client.http.get("/certificates", headers=as_person)
                shown = f"{PORTAL_ROWS}件中 1 - {PORTAL_ROWS}件".encode()
                if response.status_code != 200 or shown not in response.body:
                    raise AssertionError(f"portal list answered {response.status_code} without {shown.decode()}")
                return response

            def listing() -> Any:
                response = client.http.get("/v1/certificates", headers=as_api)
                if response.status_code != 200 or len(response.json_body["items"]) != PORTAL_ROWS:
                    raise AssertionError(f"JSON list answered {response.status_code}")
                return response

            for _ in range(5):  # warm: clients, secret, JWKS, Jinja2 and its templates
                html, _json = page(), listing()
            css = client.http.get("/portal.css")
            times: dict[str, list[float]] = {"portal": [], "json": []}
            for _ in range(args.repeats):  # alternate, so a change of load hits both alike
                for name, call in (("portal", page), ("json", listing)):
                    start = time.perf_counter()
                    call()
                    times[name].append(time.perf_counter() - start)
    portal_s, json_s = statistics.median(times["portal"]), statistics.median(times["json"])
    ratio = portal_s / json_s
    html_bytes, css_bytes = len(html.body), len(css.body)
    scripts_found = html.body.lower().count(b"<script")
    return [
        f"保証工事一覧 ({PORTAL_ROWS} rows): portal {portal_s * 1000:6.1f} ms, JSON {json_s * 1000:6.1f} ms "
        f"(warm medians of {args.repeats}, whole requests incl. token check)",
        f"ratio portal/JSON: {ratio:.2f} (goal <= 1.5: {_verdict(ratio <= 1.5)})",
        f"bytes: HTML {html_bytes / 1024:.1f} KB + CSS {css_bytes / 1024:.1f} KB = "
        f"{(html_bytes + css_bytes) / 1024:.1f} KB "
        f"(goal <= 40 KB: {_verdict(html_bytes + css_bytes <= PORTAL_BYTES_GOAL)}); <script> elements: {scripts_found}",
    ]

# --- the owner's 確認済み一覧 and the console's contractor lookup at scale (issue 20) ------------------------

SCALE_CONTRACTORS = 10_000
SCALE_OWNER_ROWS = (150, 1_000)  # verified rows of the two owners measured
SCALE_OTHER_OWNERS, SCALE_OTHER_ROWS = 20, 100  # other owners' rows beside them
OWNER_PAGE = 100
OWNER_PAGE_CALLS_GOAL = 3
CONSOLE_PAGE_READ_GOAL = 51  # the console's page of 50 + 1 (limits.CONSOLE_CONTRACTORS_PER_PAGE)
_PLACES = ("山陰", "米子", "境港", "出雲", "松江", "鳥取", "倉吉", "大山", "安来", "浜田", "益田", "津山", "岡山",
           "広島", "福山", "呉", "尾道", "三次", "庄原", "府中", "岩国", "下関", "宇部", "山口", "周南", "萩", "防府",
           "徳山", "高松", "丸亀", "今治", "松山", "宇和島", "高知", "南国", "須崎", "四万十", "阿南", "鳴門", "徳島")
_KINDS = ("建設", "工業", "土木", "組", "舗装", "電気工事", "設備", "工務店", "開発", "技研", "興業", "建工", "産業",
          "道路", "基礎", "鉄工", "造園", "住建", "管工", "塗装", "水道", "防災", "測量", "設計", "重機")
_FORMS = ("株式会社{}", "{}株式会社", "有限会社{}", "㈱{}", "{}(株)")
_WORKS = ("道路改良", "舗装補修", "河川改修", "排水路整備", "橋梁補修", "学校改築")


def _scale_contractor_name(i: int) -> str:
    """Realistic names: 1,000 bases (place + trade) in 5 spellings of the 法人格, each base ten times."""
    base = _PLACES[i % len(_PLACES)] + _KINDS[i // len(_PLACES) % len(_KINDS)]
    return _FORMS[i // (len(_PLACES) * len(_KINDS)) % len(_FORMS)].format(base)


def _scale_certificate(number: str, contractor: int, j: int) -> Any:
    """The latest version a verification row is written from (the store's own mapping makes the row)."""
    from chalicelib.domain.clock import utc_now
    from chalicelib.domain.records import CertificateVersion, StatedTerms
    from chalicelib.domain.types import Delivery, GuaranteeType, WorkCategory

    issued = date(2025, 4, 1) + timedelta(days=j % 600)
    terms = StatedTerms(project_name=f"{_PLACES[j % len(_PLACES)]}地区 {_WORKS[j % len(_WORKS)]}工事 第{j}工区",
                        completion_date=issued + timedelta(days=300), guarantee_period_end=issued + timedelta(days=300),
                        contract_amount_total=100_000_000 + j * 1000, contract_amount_covered=100_000_000 + j * 1000,
                        guarantee_amount=40_000_000 + j * 1000, deposit_bank="山陰銀行 境港支店")
    return CertificateVersion(
        contract_number=number, version=1 + j % 3, guarantee_type=GuaranteeType.ADVANCE_PAYMENT,
        delivery=Delivery.ELECTRONIC, work_category=WorkCategory.CONSTRUCTION,
        contractor_id=f"bench-c-{contractor:05d}", obligee_id="bench",
        contractor_name=_scale_contractor_name(contractor), contractor_address="境港市上道町3000番地",
        obligee_name="境港市長", contract_date=issued, terms=terms,
        issued_on=issued, issued_at=utc_now(), issued_by="bench")


def _populate_scale_owner() -> dict[str, int]:
    """10,000 contractors (with their name keys) and the owners' verified rows, written directly by batch."""
    from chalicelib.domain.clock import utc_now
    from chalicelib.domain.records import VerificationEntry
    from chalicelib.store import parties, verifications
    from chalicelib.store.models import CONTRACTOR_NAME_SHARD, Contractor, Verification

    with Contractor.batch_write() as batch:
        for i in range(SCALE_CONTRACTORS):
            name, contractor_id = _scale_contractor_name(i), f"bench-c-{i:05d}"
            batch.save(Contractor(contractor_id, name=name, address=f"{_PLACES[i % len(_PLACES)]}市1番地",
                                  email=f"c{i}@example.jp", certificate_count=i % 60, updated_at=utc_now(),
                                  name_shard=CONTRACTOR_NAME_SHARD, name_key=parties.name_key(name, contractor_id)))
    owners = {f"bench-owner-{rows}": rows for rows in SCALE_OWNER_ROWS}
    owners.update({f"bench-other-{k:02d}": SCALE_OTHER_ROWS for k in range(SCALE_OTHER_OWNERS)})
    start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    serial = 0
    with Verification.batch_write() as batch:
        for owner, rows in owners.items():
            for j in range(rows):
                serial += 1
                number = str(2083000000 + serial)
                entry = VerificationEntry(owner, number, 1, start - timedelta(hours=j * 7 + serial % 5), "bench")
                batch.save(verifications.row_item(entry, _scale_certificate(number, serial * 7 % SCALE_CONTRACTORS, j)))
    return owners


def _item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB bills it: each attribute's name in UTF-8 and its value (numbers: about one byte
    per two significant digits, plus one)."""
    def value_bytes(value: dict[str, Any]) -> int:
        ((kind, v),) = value.items()
        if kind == "S":
            return len(v.encode())
        if kind == "N":
            digits = v.lstrip("-").replace(".", "").strip("0") or "0"
            return (len(digits) + 1) // 2 + 1
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "L":
            return 3 + sum(1 + value_bytes(x) for x in v)
        if kind == "M":
            return 3 + sum(len(k.encode()) + 1 + value_bytes(x) for k, x in v.items())
        return len(json.dumps(v))  # sets and binary: not in these tables

    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


class _Meter:
    """DynamoDB calls as botocore sees them: operation, table, index, ScannedCount, and the bytes of what came back."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        self.calls.append({"op": model.name, "table": body.get("TableName", ""), "index": body.get("IndexName"),
                           "consistent": bool(body.get("ConsistentRead"))})

    def after(self, parsed: dict[str, Any], **_: Any) -> None:
        call = self.calls[-1]
        items = parsed.get("Items") or ([parsed["Item"]] if parsed.get("Item") else [])
        call.update(scanned=parsed.get("ScannedCount", len(items)), count=parsed.get("Count", len(items)),
                    bytes=[_item_bytes(i) for i in items])

    def rru(self, evaluated: list[int] | None = None) -> float:
        """Read units of the calls (eventually consistent unless asked): a Query rounds the bytes it evaluated up to
        4 KB once per call, a GetItem its item. `evaluated`: the sizes of the entries a filtered Query evaluated
        (what came back is only what passed its filter)."""
        total = 0.0
        for call in self.calls:
            read = sum(evaluated) if evaluated is not None and call["op"] == "Query" else sum(call["bytes"])
            units = max(1, -(-read // 4096))
            total += units * (1.0 if call["consistent"] else 0.5)
        return total

    def summary(self, evaluated: list[int] | None = None) -> str:
        ops = ", ".join(f"{c['op']} {c['table'].rsplit('-', 1)[-1]}{'/' + c['index'] if c['index'] else ''}"
                        for c in self.calls)
        scanned = sum(c["scanned"] for c in self.calls)
        returned = sum(c["count"] for c in self.calls)
        read = sum(evaluated) if evaluated is not None else sum(sum(c["bytes"]) for c in self.calls)
        return (f"{len(self.calls)} call(s) [{ops}], items read {scanned} (returned {returned}), "
                f"{read / 1024:.1f} KB, {self.rru(evaluated):.1f} RRU")


def _partition_sizes(obligee_id: str) -> list[int]:
    """The sizes of an owner's rows in `by-verified-at`, newest first (what a filtered read evaluates, in order)."""
    from chalicelib.store.connection import raw_client
    from chalicelib.store.models import Verification

    sizes: list[int] = []
    request: dict[str, Any] = {"TableName": Verification.Meta.table_name, "IndexName": "by-verified-at",
                               "KeyConditionExpression": "obligee_id = :o", "ScanIndexForward": False,
                               "ExpressionAttributeValues": {":o": {"S": obligee_id}}}
    while True:
        answer = raw_client().query(**request)
        sizes += [_item_bytes(i) for i in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return sizes
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def bench_scale_owner(args: argparse.Namespace) -> list[str]:
    """The owner's 確認済み一覧 (a page of 100, its searches) and the console's contractor lookup among 10,000
    contractors: calls, items read, read units from the bytes read, and warm latency (in-process, moto)."""
    import moto  # noqa: F401 - first: moto's hook must be in botocore before the shared session exists

    from chalicelib.adapters import aws

    meter = _Meter()
    botocore_session = aws.session()._session
    botocore_session.register("before-call.dynamodb", meter.before, unique_id="bench-scale-owner-before")
    botocore_session.register("after-call.dynamodb", meter.after, unique_id="bench-scale-owner-after")
    lines: list[str] = []
    try:
        with emulated_account():
            from chalicelib.domain.principal import Principal
            from chalicelib.services.parties import find_contractors
            from chalicelib.services.verification import list_verified
            from chalicelib.store.models import Contractor, Verification

            built = time.perf_counter()
            owners = _populate_scale_owner()
            lines.append(f"world: {SCALE_CONTRACTORS:,} contractors, {sum(owners.values()):,} verification rows of "
                         f"{len(owners)} owners (built in {time.perf_counter() - built:.1f} s)")
            sample = [_item_bytes(i.serialize()) for i in Verification.by_verified_at.query(
                "bench-owner-150", limit=150)]
            contractor_item = Contractor.get("bench-c-00042")
            entry_keys = ("contractor_id", "name_shard", "name_key", "name", "address", "certificate_count")
            entry = {k: v for k, v in contractor_item.serialize().items() if k in entry_keys}
            lines.append(f"sizes: verification row {statistics.mean(sample):.0f} B mean ({min(sample)}-{max(sample)}); "
                         f"contractor item {_item_bytes(contractor_item.serialize())} B, its by-name entry "
                         f"{_item_bytes(entry)} B")

            def measure(label: str, call: Callable[[], Any], check: Callable[[Any], bool],
                        evaluated: Callable[[Any], list[int]] | None = None, goal: str = "") -> None:
                for _ in range(3):
                    answer = call()  # warm: clients, secret, first parse
                if not check(answer):
                    raise AssertionError(f"{label}: unexpected answer {str(answer)[:300]}")
                meter.calls.clear()
                answer = call()
                summary = meter.summary(evaluated(meter.calls) if evaluated else None)
                times, emulated = [], []
                with emulator_clock() as spent:
                    for _ in range(args.scale_repeats):
                        spent.clear()
                        start = time.perf_counter()
                        call()
                        times.append(time.perf_counter() - start)
                        emulated.append(sum(spent))
                latency, inside = statistics.median(times), statistics.median(emulated)
                lines.append(f"{label}: {summary}; {latency * 1000:.1f} ms (inside moto {inside * 1000:.1f} ms, "
                             f"app {(latency - inside) * 1000:.1f} ms){goal}")

            for rows in SCALE_OWNER_ROWS:
                owner = f"bench-owner-{rows}"
                clerk = Principal(username=f"{owner}-clerk", role="obligee", org_id=owner)
                sizes = _partition_sizes(owner)

                def first_rows(calls: list[dict[str, Any]], sizes: list[int] = sizes) -> list[int]:
                    return sizes[:sum(c["scanned"] for c in calls if c["op"] == "Query")]

                def page(params: dict[str, str], clerk: Principal = clerk) -> Any:
                    return list_verified(clerk, params)

                meter.calls.clear()
                page({"limit": str(OWNER_PAGE)})
                calls = len(meter.calls)
                measure(f"owner with {rows:>5,} rows, page of {OWNER_PAGE}",
                        lambda page=page: page({"limit": str(OWNER_PAGE)}),
                        lambda a: len(a["items"]) == OWNER_PAGE,
                        goal=f" (goal <= {OWNER_PAGE_CALLS_GOAL} calls: {_verdict(calls <= OWNER_PAGE_CALLS_GOAL)})")
                cursor = page({"limit": str(OWNER_PAGE)})["next_cursor"]
                measure("  next page", lambda page=page, cursor=cursor: page({"limit": str(OWNER_PAGE),
                                                                              "cursor": cursor}),
                        lambda a, rows=rows: len(a["items"]) == min(OWNER_PAGE, rows - OWNER_PAGE))
                number = page({"limit": "1"})["items"][0]["contract_number"]
                measure("  search 保証契約番号", lambda page=page, number=number: page(
                    {"field": "contract_number", "q": number}), lambda a: len(a["items"]) == 1)
                for field, q in (("project_name", "道路改良"), ("project_name", "第7工区"),
                                 ("project_name", "該当しない工事"), ("contractor", "山陰")):
                    measure(f"  search {field}={q}", lambda page=page, field=field, q=q: page(
                        {"field": field, "q": q, "limit": str(OWNER_PAGE)}), lambda a: True, evaluated=first_rows)

            def lookup(q: str, cursor: str = "") -> Any:
                return find_contractors(q, {"cursor": cursor} if cursor else {}, 50)

            meter.calls.clear()
            for q, label in (("", "whole registry, page 1"), ("bench-c-04242", "by id"), ("山陰", "by name 山陰"),
                             ("山陰建設", "by name 山陰建設"), ("㈱山陰建設", "by name ㈱山陰建設"),
                             ("株式会社出雲組", "by name 株式会社出雲組"), ("該当なし", "by name, no match")):
                measure(f"console among {SCALE_CONTRACTORS:,}: {label}", lambda q=q: lookup(q),
                        lambda a: isinstance(a["items"], list))
                read = max((c["scanned"] for c in meter.calls if c["op"] == "Query"), default=0)
                lines[-1] += f" (items read <= {CONSOLE_PAGE_READ_GOAL}: {_verdict(read <= CONSOLE_PAGE_READ_GOAL)})"
            cursor = lookup("山陰")["next_cursor"]
            measure("  its next page", lambda: lookup("山陰", cursor), lambda a: len(a["items"]) == 50)
    finally:
        botocore_session.unregister("before-call.dynamodb", unique_id="bench-scale-owner-before")
        botocore_session.unregister("after-call.dynamodb", unique_id="bench-scale-owner-after")
    lines.append("read units computed from the bytes read (eventually consistent: 0.5 per 4 KB per call); latency is "
                 "moto's, whose Query walks the whole table")
    lines.append("load average {:.2f} {:.2f} {:.2f} on {} CPUs".format(*os.getloadavg(), os.cpu_count()))
    return lines


# --- hostile PDFs (issue 18) ------------------------------------------------------------------------------

HOSTILE_CAP_BYTES = 3 * 1024 * 1024 * 1024  # each case's process: a regression cannot take the machine
HOSTILE_CASE_SECONDS = 60
API_CHECK_REPEATS = 20


def _probe_cases(directory: str, names: list[str], project: str) -> dict[str, dict[str, Any]]:
    """Each case in a process of its own, capped at HOSTILE_CAP_BYTES and HOSTILE_CASE_SECONDS, checked by the
    chalicelib of `project` (the working tree, or an older revision's export)."""
    from tests.support.hostile_pdfs import probe_command

    results = {}
    for name in names:
        command = probe_command(directory, [name], memory_bytes=HOSTILE_CAP_BYTES, seconds=HOSTILE_CASE_SECONDS)
        try:
            finished = subprocess.run(command, capture_output=True, text=True, timeout=HOSTILE_CASE_SECONDS + 30,
                                      env={**os.environ, "PROBE_PROJECT": project})
            lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
            results[name] = json.loads(lines[-1]) if lines else {
                "verdict": f"died ({finished.returncode})", "seconds": float("nan"), "growth_mb": float("nan"),
                "peak_mb": float("nan")}
        except subprocess.TimeoutExpired:
            results[name] = {"verdict": "killed", "seconds": float(HOSTILE_CASE_SECONDS), "growth_mb": float("nan"),
                             "peak_mb": float("nan")}
    return results


def _exported(ref: str, directory: str) -> str:
    """The chalicelib of git revision `ref`, exported under `directory`."""
    archive = subprocess.run(["git", "archive", ref, "chalicelib"], cwd=PROJECT_DIR, check=True,
                             capture_output=True).stdout
    os.makedirs(directory)
    subprocess.run(["tar", "-x", "-C", directory], input=archive, check=True)
    return directory


def _api_check_ms(corpus: Any) -> list[str]:
    """POST /v1/documents/check, whole requests (chalice.test.Client, warm) through the check function's local
    process, of the issue's file and of a genuine certificate, in an emulated account."""
    with emulated_account() as settings:
        import base64

        import boto3
        from chalice.test import Client

        from app import app
        from chalicelib.adapters.files import certificate_key
        from scripts.demo_data import DEMO_PASSWORD
        from scripts.provision import create_user_pool, identity_environment
        from scripts.seed import seed_demo

        identity = create_user_pool(settings)
        os.environ.update(identity_environment(identity))
        number = sorted(seed_demo(settings, identity))[0]
        with Client(app, stage_name="local", project_dir=PROJECT_DIR) as client:
            _api_call(client, "GET", f"/v1/certificates/{number}/pdf",
                      token=_api_call(client, "POST", "/v1/auth/login",
                                      {"username": "demo-surety", "password": DEMO_PASSWORD})["id_token"])
            genuine = boto3.client("s3", region_name=settings.region).get_object(
                Bucket=settings.bucket, Key=certificate_key(number, 1))["Body"].read()
            token = _api_call(client, "POST", "/v1/auth/login",
                              {"username": "demo-sakaiminato", "password": DEMO_PASSWORD})["id_token"]
            uploads = {"huge_index": corpus.by_name()["huge_index"].data, "genuine (stored)": genuine}
            lines = []
            for name, data in uploads.items():
                body = {"pdf_base64": base64.b64encode(data).decode()}
                verdict = _api_call(client, "POST", "/v1/documents/check", body, token)["result"]  # warm
                times = []
                for _ in range(API_CHECK_REPEATS):
                    start = time.perf_counter()
                    _api_call(client, "POST", "/v1/documents/check", body, token)
                    times.append(time.perf_counter() - start)
                lines.append(f"POST /v1/documents/check {name} ({len(data)} bytes): {verdict}, "
                             f"{statistics.median(times) * 1000:.1f} ms (warm median of {API_CHECK_REPEATS}, whole "
                             "request, token check and the hand-over to the check's process included)")
    return lines


def _check_function_layout() -> str:
    from scripts import infra

    with open(os.path.join(PROJECT_DIR, ".chalice", "config.json"), encoding="utf-8") as f:
        own = json.load(f)["lambda_functions"][infra.CHECK_FUNCTION_NAME]
    concurrency = infra.FUNCTIONS[infra.CHECK_FUNCTION][1]
    return (f"check function {infra.CHECK_FUNCTION}: {own['lambda_memory_size']} MB, {own['lambda_timeout']} s, "
            f"reserved concurrency {concurrency} (API function: {infra.FUNCTIONS[infra.CHALICE_FUNCTION][1]})")


def bench_hostile_pdfs(args: argparse.Namespace) -> list[str]:
    """The corpus of tests/support/hostile_pdfs.py (full-size bombs): bytes, verdict, time and memory of each case,
    each in a process capped at 3 GB and 60 s (`--ref REV` checks with that revision's code instead, e.g. main before
    issue 18); the check function's layout; the API's answer to the issue's file."""
    import tempfile

    from tests.support.hostile_pdfs import corpus as build_corpus
    from tests.support.hostile_pdfs import write

    corpus = build_corpus()
    with tempfile.TemporaryDirectory() as directory:
        write(corpus, os.path.join(directory, "corpus"))
        project = _exported(args.ref, os.path.join(directory, "code")) if args.ref else PROJECT_DIR
        results = _probe_cases(os.path.join(directory, "corpus"), [c.name for c in corpus.cases], project)
    lines = [f"code: {args.ref or 'working tree'}; growth = peak resident size over the warm process",
             f"{'case':24} {'bytes':>8}  {'verdict':12} {'expected':11} {'wall':>10} {'CPU':>10} {'growth':>10} "
             f"{'peak':>9}"]
    for case in corpus.cases:
        r = results[case.name]
        lines.append(f"{case.name:24} {len(case.data):8}  {r['verdict']:12} {case.expected:11} "
                     f"{r['seconds'] * 1000:8.1f}ms {r.get('cpu_seconds', float('nan')) * 1000:8.1f}ms "
                     f"{r['growth_mb']:7.1f} MB {r['peak_mb']:6.0f} MB")
    right = sum(results[c.name]["verdict"] == c.expected for c in corpus.cases)
    slowest = max(results, key=lambda name: results[name]["seconds"])
    met = all(r["seconds"] < 1 and r["growth_mb"] < 100 for r in results.values())
    lines.append(f"verdicts as expected: {right}/{len(corpus.cases)}; slowest {slowest} "
                 f"{results[slowest]['seconds'] * 1000:.1f} ms (goal each < 1 s and < 100 MB: {_verdict(met)})")
    lines.append(_check_function_layout())
    if not args.ref:
        lines += _api_check_ms(corpus)
    lines.append("load average {:.2f} {:.2f} {:.2f} on {} CPUs".format(*os.getloadavg(), os.cpu_count()))
    return lines

# --- the local run's emulator at scale ------------------------------------------------------------------------

EMULATOR_MEMORY_GOAL_MB = 1024  # at the largest size measured
EMULATOR_LATENCY_RATIO_GOAL = 1.25  # issue latency at the largest size / a fresh emulator's, same load: flat
EMULATOR_WINDOW = 200  # issues whose median is quoted at each size


def _process_memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) MB of a process, from /proc."""
    figures = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0]) / 1024
    return figures["VmRSS"], figures["VmHWM"]


def _process_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _spilled_mb(pid: int) -> float:
    """MB in the emulator's S3 spill file (scripts/emulator.keep_object_bytes_on_disk), 0 if it has none."""
    total = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        path = f"/proc/{pid}/fd/{fd}"
        try:
            if "emulator-s3-" in os.readlink(path):
                total += os.stat(path).st_size
        except OSError:
            continue
    return total / 1024 / 1024


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


@contextmanager
def local_run(shims: bool) -> Iterator[tuple[Any, str, Any]]:
    """`make run`'s runner (python -m scripts.local_run) on free ports: its process, the API's URL and an HTTP
    session straight to it (no proxy)."""
    import socket
    import tempfile

    import requests

    from scripts.local_run import stop_api

    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "APP_"))}
    env.update({"PORT": str(ports[0]), "LOCAL_AWS_PORT": str(ports[1]), "PYTHONUNBUFFERED": "1",
                "APP_LOG_LEVEL": "WARNING", "EMULATOR_SHIMS": "on" if shims else "off"})
    api = f"http://127.0.0.1:{ports[0]}"
    with tempfile.TemporaryFile() as log, requests.Session() as http:
        http.trust_env = False
        process = subprocess.Popen([sys.executable, "-m", "scripts.local_run"], cwd=PROJECT_DIR, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise AssertionError(f"make run's runner did not start:\n{log.read().decode(errors='replace')}")
                try:
                    if http.get(f"{api}/v1/health", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.5)
            yield process, api, http
        finally:
            stop_api(process)  # SIGTERM: the runner stops its API and emulator as on Ctrl-C


def _issue_body(i: int) -> dict[str, Any]:
    """A 前払金保証 for 境港市, dated from today, with its own 工事名; the two demo contractors in turn."""
    today = date.today()
    return {
        "guarantee_type": "advance_payment", "contractor_id": f"contractor-{1 + i % 2}", "obligee_id": "sakaiminato",
        "work_category": "construction", "project_name": f"ベンチ道路改良工事 第{i}工区",
        "contract_date": (today - timedelta(days=10)).isoformat(),
        "completion_date": (today + timedelta(days=300)).isoformat(),
        "contract_amount_total": 100_000_000, "guarantee_amount": 40_000_000,
        "deposit_bank": "山陰銀行 境港支店", "delivery": "electronic",
    }


class _Issuer:
    """Issues certificates one after another through a local run's API (chalice local, POST /v1/guarantees as
    demo-surety), timing each and reading the emulator's CPU time around it."""

    def __init__(self, process: Any, api: str, http: Any) -> None:
        self.process, self.api, self.http = process, api, http
        self.issued = 0
        self.times: list[float] = []
        self.cpu_at: list[float] = []  # the emulator's CPU seconds before each issue
        self.token = self._login()

    def _login(self) -> str:
        from scripts.demo_data import DEMO_PASSWORD

        answer = self.http.post(f"{self.api}/v1/auth/login", timeout=30,
                                json={"username": "demo-surety", "password": DEMO_PASSWORD})
        answer.raise_for_status()
        return str(answer.json()["id_token"])

    def issue(self) -> None:
        self.issued += 1
        if self.issued % 1000 == 0:
            self.token = self._login()  # an ID token lasts an hour
        self.cpu_at.append(_process_cpu_s(self.process.pid))
        begin = time.perf_counter()
        answer = self.http.post(f"{self.api}/v1/guarantees", json=_issue_body(self.issued), timeout=120, headers={
            "Authorization": f"Bearer {self.token}", "Idempotency-Key": f"bench-emulator-{self.issued}"})
        self.times.append(time.perf_counter() - begin)
        if answer.status_code != 201:
            raise AssertionError(f"issue {self.issued} answered {answer.status_code}: {answer.text[:300]}")

    def memory_mb(self) -> tuple[float, float]:
        return _process_memory_mb(self.process.pid)

    def since(self, first: int) -> tuple[float, float]:
        """(median seconds per issue, the emulator's CPU ms per issue) over the issues after the first `first`."""
        cpu_s = _process_cpu_s(self.process.pid) - self.cpu_at[first]
        return statistics.median(self.times[first:]), cpu_s / (self.issued - first) * 1000


def _grow(issuer: _Issuer, sizes: list[int], limit_mb: float) -> tuple[list[str], list[tuple[int, float, float]]]:
    """Issue up to each size (stopping once the emulator is past limit_mb): a line per size, and (size, emulator
    RSS MB, median issue seconds of the last EMULATOR_WINDOW)."""
    lines = [f"  started: emulator RSS {issuer.memory_mb()[0]:6.0f} MB (moto's server after provisioning and the "
             "demo seed)"]
    rows = []
    started = time.perf_counter()
    for size in sizes:
        previous = issuer.issued
        while issuer.issued < size:
            issuer.issue()
            if issuer.issued % 100 == 0 and issuer.memory_mb()[0] > limit_mb:
                break
        rss, peak = issuer.memory_mb()
        first = max(previous, issuer.issued - EMULATOR_WINDOW)
        median, cpu_ms = issuer.since(first)
        rows.append((issuer.issued, rss, median))
        lines.append(
            f"  N={issuer.issued:>6}: emulator RSS {rss:6.0f} MB (peak {peak:6.0f}; S3 bytes on disk "
            f"{_spilled_mb(issuer.process.pid):.0f} MB), issue {median * 1000:5.0f} ms (median of the last "
            f"{issuer.issued - first}), emulator CPU {cpu_ms:5.1f} ms per issue; "
            f"at {time.perf_counter() - started:5.0f} s, load {os.getloadavg()[0]:.2f}")
        if issuer.issued < size or (rss > limit_mb and size != sizes[-1]):
            lines.append(f"  stopped at N={issuer.issued}: the emulator passed {limit_mb:,.0f} MB")
            break
    api_mb = sum(_process_memory_mb(child)[0] for child in _children(issuer.process.pid))
    lines.append(f"  the API process beside it (chalice local): RSS {api_mb:.0f} MB")
    return lines, rows


def _emulator_figures(args: argparse.Namespace, sizes: list[int], before_sizes: list[int]) -> list[str]:
    """Moto as released up to before_sizes (or the memory limit), then patched up to sizes; then the large patched
    emulator against a fresh one, issues alternating between them so that both see the same load."""
    with local_run(shims=False) as run:
        before, _ = _grow(_Issuer(*run), before_sizes, args.emulator_limit_mb)
    with local_run(shims=True) as run:
        large = _Issuer(*run)
        after, rows = _grow(large, sizes, float("inf"))
        with local_run(shims=True) as fresh_run:
            fresh = _Issuer(*fresh_run)
            large_from = large.issued
            for _ in range(EMULATOR_WINDOW):
                large.issue()
                fresh.issue()
            (large_s, large_cpu), (fresh_s, fresh_cpu) = large.since(large_from), fresh.since(0)
    last_n, last_mb = rows[-1][0], rows[-1][1]
    ratio = large_s / fresh_s
    return [
        f"before (EMULATOR_SHIMS=off: moto as released; stopped once past {args.emulator_limit_mb:,} MB):", *before,
        "after (scripts/emulator.py):", *after,
        f"  then {EMULATOR_WINDOW} issues each into it and into a fresh emulator, alternating (the same load on "
        f"both): {large_s * 1000:.0f} ms at N={large.issued} vs {fresh_s * 1000:.0f} ms at N={fresh.issued} "
        f"(medians); emulator CPU {large_cpu:.1f} vs {fresh_cpu:.1f} ms per issue",
        f"after, N={last_n}: emulator RSS {last_mb:.0f} MB (goal <= {EMULATOR_MEMORY_GOAL_MB}: "
        f"{_verdict(last_mb <= EMULATOR_MEMORY_GOAL_MB)}); issue latency N={large.issued} / fresh: {ratio:.2f} "
        f"(goal <= {EMULATOR_LATENCY_RATIO_GOAL}: {_verdict(ratio <= EMULATOR_LATENCY_RATIO_GOAL)})",
        "load average {:.2f} {:.2f} {:.2f} on {} CPUs (the latency at each size is wall time and moves with the "
        "load; memory, and the alternating comparison, much less)".format(*os.getloadavg(), os.cpu_count()),
    ]


def bench_emulator(args: argparse.Namespace) -> list[str]:
    """make run's emulator (moto's server) while certificates are issued through the API: memory and issue latency,
    moto as released against scripts/emulator.py (about 7 minutes on 2 shared cores; `emulator-scale` to 10,000)."""
    return _emulator_figures(args, [200, 1000], [200, 400])


def bench_emulator_scale(args: argparse.Namespace) -> list[str]:
    """The same at 1,000, 5,000 and 10,000 certificates (not run by default: about 40 minutes on 2 shared cores)."""
    return _emulator_figures(args, [1000, 5000, 10_000], [200, 400, 1000])


# --- lists and searches at scale (issue 20) ----------------------------------------------------------------

SCALE_TARGET = "scale-target"
SCALE_OTHERS = 2_000  # other contractors' certificates beside the target's
SCALE_OTHER_CONTRACTORS = 30
SCALE_OWNERS = ("sakaiminato", "pref-demo", "tottori", "yonago", "matsue")
SCALE_PROJECTS = ("{owner}道 第{i}号線 道路改良工事", "{owner} 第{i}橋 橋梁補修工事", "{owner}立 第{i}小学校 改築工事",
                  "{owner} 下水道 第{i}工区 管渠工事", "{owner} 港湾 第{i}岸壁 補修工事")
SCALE_PAGE = 20
SCALE_YEARS = 10  # the target's certificates spread over this many years of 証書発行日


def _scale_version(number: str, contractor_id: str, i: int, count: int) -> Any:
    """A realistic latest version: its 証書発行日 spread over SCALE_YEARS, contract dates a few weeks before, amounts
    from 1 to 500 million, five owners, generated 工事名."""
    from tests.support.certificates import OBLIGEE_NAMES, version

    OBLIGEE_NAMES.update({"yonago": "米子市長", "matsue": "松江市長"})
    start = date(2016, 4, 1)
    issued = start + timedelta(days=(i * 365 * SCALE_YEARS) // max(count, 1))
    owner = SCALE_OWNERS[i % len(SCALE_OWNERS)]
    contract_amount = 1_000_000 * (1 + (i * 7919) % 500)
    project = SCALE_PROJECTS[i % len(SCALE_PROJECTS)].format(owner=OBLIGEE_NAMES[owner][:2], i=i)
    return version(number, contractor_id, issued_on=issued, contract_date=issued - timedelta(days=i % 40),
                   guarantee_amount=contract_amount * 4 // 10, contract_amount=contract_amount, obligee_id=owner,
                   project_name=project)


def _scale_world(size: int) -> tuple[list[Any], float]:
    """The target's `size` certificates and SCALE_OTHERS of other contractors, written through the store's own item
    writer (store/guarantees.latest_item) with a batch writer; (the target's rows, seconds it took)."""
    from chalicelib.domain.clock import utc_now
    from chalicelib.domain.search import CertificateRow
    from chalicelib.store.models import Contractor
    from tests.support.certificates import store

    started = time.perf_counter()
    for contractor_id in (SCALE_TARGET, *(f"scale-other-{k:02d}" for k in range(SCALE_OTHER_CONTRACTORS))):
        Contractor(contractor_id, name=f"株式会社{contractor_id}", address="境港市上道町3000番地",
                   email="bench@example.jp", certificate_count=0, updated_at=utc_now()).save()
    mine = store(_scale_version(str(2090000000 + i), SCALE_TARGET, i, size) for i in range(size))
    store(_scale_version(str(2091000000 + i), f"scale-other-{i % SCALE_OTHER_CONTRACTORS:02d}", i, SCALE_OTHERS)
          for i in range(SCALE_OTHERS))
    return [CertificateRow.of(v) for v in mine], time.perf_counter() - started



def _entry_sizes() -> dict[str | None, float]:
    """Mean bytes of an entry of each index of guarantees (None: the table's item), by DynamoDB's size rules (names
    and values; numbers about one byte per two digits), from the items just written."""
    from pynamodb.indexes import Index

    from chalicelib.store.models import GuaranteeVersion

    items = list(GuaranteeVersion.by_contractor.query(SCALE_TARGET, limit=200))
    size = _item_bytes
    raws = [i.serialize() for i in items]
    sizes: dict[str | None, float] = {None: statistics.mean(size(r) for r in raws)}
    for index in (v for v in vars(GuaranteeVersion).values() if isinstance(v, Index)):
        projection = index.Meta.projection
        keys = {"contract_number", "version"} | {a.attr_name for a in index.Meta.attributes.values()}
        wanted = None if projection.projection_type == "ALL" else keys | set(projection.non_key_attributes or ())
        sizes[index.Meta.index_name] = statistics.mean(
            size({k: v for k, v in r.items() if wanted is None or k in wanted}) for r in raws)
    return sizes


def _read_units(calls: Any, sizes: dict[str | None, float]) -> float:
    """What DynamoDB would bill (eventually consistent): a Query rounds the bytes it evaluates up to 4 KB per call;
    GetItem and each item of a BatchGetItem round up to 4 KB each (every item here is under 4 KB)."""
    units = sum(math.ceil(scanned * sizes[index] / 4096) * 0.5
                for index, scanned in zip(calls.query_indexes, calls.query_scanned_counts, strict=True))
    units += 0.5 * sum(calls.batch_get_keys) + 0.5 * calls.operations.count("GetItem")
    return units


def _scale_operations(rows: list[Any]) -> tuple[dict[str, Callable[[], Any]], dict[str, int]]:
    """Each operation of the scale section as a call, with the number of certificates its driver matches (what the
    goal "page + matches + 1" allows it to read)."""
    from chalicelib.domain.principal import Principal
    from chalicelib.domain.search import Driver, parse_search
    from chalicelib.domain.types import GuaranteeType
    from chalicelib.services.listing import certificate_page, export_csv
    from chalicelib.store.guarantees import open_guarantee_exists

    principal = Principal(username="bench", role="contractor", org_id=SCALE_TARGET)
    newest = rows[-1].issued_on
    year_ago = newest - timedelta(days=365)
    first = certificate_page(principal, {})
    last = certificate_page(principal, {"cursor": first.last_cursor or ""})
    operations: dict[str, Callable[[], Any]] = {
        "list, page 1": lambda: certificate_page(principal, {}),
        "list, next page": lambda: certificate_page(principal, {"cursor": first.next_cursor or ""}),
        "list, last page": lambda: certificate_page(principal, {"cursor": first.last_cursor or ""}),
        "list, previous of last": lambda: certificate_page(principal, {"cursor": last.prev_cursor or ""}),
    }
    matches = dict.fromkeys(operations, 0)
    searches = {
        "証書発行日, last 12 months": {"issued_from": year_ago.isoformat()},
        "契約日 range (a year)": {"contract_date_from": (newest - timedelta(days=730)).isoformat(),
                                  "contract_date_to": year_ago.isoformat()},
        "保証金額 >= 150,000,000": {"guarantee_amount_min": "150000000"},
        "請負金額 100-120 million": {"contract_amount_min": "100000000", "contract_amount_max": "120000000"},
        "発注者 (exact)": {"obligee_id": "pref-demo"},
        "発注者 + 証書発行日 (one key)": {"obligee_id": "pref-demo", "issued_from": year_ago.isoformat()},
        "発注者 + 保証金額 (filter)": {"obligee_id": "pref-demo", "guarantee_amount_min": "150000000"},
        "証書発行日 + 請負金額 + 契約日": {"issued_from": year_ago.isoformat(),
                                 "contract_amount_min": "300000000",
                                 "contract_date_from": (year_ago - timedelta(days=30)).isoformat()},
        "保証金額 + 工事名 (partial)": {"guarantee_amount_min": "150000000", "field": "project_name", "q": "橋梁"},
        "工事名 partial match": {"field": "project_name", "q": "橋梁補修"},
        "保証契約番号, whole": {"field": "contract_number", "q": rows[len(rows) // 2].contract_number},
    }
    for name, params in searches.items():
        plan = parse_search(params).plan()
        # What the driver's key matches: its range or owner; a partial match alone, the contractor's whole partition.
        driven = [r for r in rows if (plan.key_range is None or plan.key_range.contains(r.value(plan.key_range.key)))
                  and (plan.driver is not Driver.OBLIGEE or r.obligee_id == plan.obligee_id)]
        matches[name] = 1 if plan.contract_number else len(driven)
        operations[name] = (lambda p=params: certificate_page(principal, p))
    # A range of 証書発行日 holding 100 certificates at either size: the CSV's.
    csv_range = {"issued_from": rows[-100].issued_on.isoformat(), "issued_to": newest.isoformat(), "format": "csv"}
    operations["CSV of 100 matches"] = lambda: export_csv(principal, csv_range, "bench")
    matches["CSV of 100 matches"] = 100
    operations["CSV of the whole list"] = lambda: export_csv(principal, {"format": "csv"}, "bench")
    matches["CSV of the whole list"] = len(rows)
    works = (SCALE_TARGET, "pref-demo", rows[1].project_name, GuaranteeType.ADVANCE_PAYMENT)
    operations["中間前払 check"] = lambda: open_guarantee_exists(*works)
    matches["中間前払 check"] = 1
    return operations, matches


def _measure(call: Callable[[], Any], sizes: dict[str | None, float], repeats: int
             ) -> tuple[int, int, float, float, float, float]:
    """(items read, calls, read units) of one warm run; median wall seconds of `repeats`, of them inside moto, and
    the median CPU seconds outside moto (the app's side: other processes' load disturbs it far less)."""
    from tests.support.stored import dynamodb_calls

    call()  # warm
    with dynamodb_calls() as calls:
        call()
    times, emulated, app_cpu = [], [], []
    spent_cpu: list[float] = []
    with emulator_clock(spent_cpu) as spent:
        for _ in range(repeats):
            spent.clear()
            spent_cpu.clear()
            began, began_cpu = time.perf_counter(), time.process_time()
            call()
            times.append(time.perf_counter() - began)
            emulated.append(sum(spent))
            app_cpu.append(time.process_time() - began_cpu - sum(spent_cpu))
    return (sum(calls.query_scanned_counts), len(calls.operations), _read_units(calls, sizes),
            statistics.median(times), statistics.median(emulated), statistics.median(app_cpu))


def _index_writes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[int, int]:
    """(index entries written, write units) when an item goes from `before` to `after` (raw; None: absent): per
    index, an entry that appears or goes is one write, one whose key moves is two (a delete and a put), one whose
    projected attributes change is one; each 1 WRU per KB of the entry (DynamoDB's rules for index writes)."""
    from pynamodb.indexes import Index

    from chalicelib.store.models import GuaranteeVersion

    writes = units = 0
    for index in (v for v in vars(GuaranteeVersion).values() if isinstance(v, Index)):
        keys = [a.attr_name for a in index.Meta.attributes.values()]
        projection = index.Meta.projection
        kept = None if projection.projection_type == "ALL" else set(keys) | {"contract_number", "version"} | set(
            projection.non_key_attributes or ())

        def entry(raw: dict[str, Any] | None, keys: list[str] = keys, kept: set[str] | None = kept
                  ) -> dict[str, Any] | None:
            if raw is None or not all(k in raw for k in keys):
                return None
            return {k: v for k, v in raw.items() if kept is None or k in kept}

        old, new = entry(before), entry(after)
        if old == new:
            continue
        moved = old is not None and new is not None and any(old[k] != new[k] for k in keys)
        for part in ([old, new] if moved else [new if new is not None else old]):
            writes += 1
            units += math.ceil(_item_bytes(part or {}) / 1024)
    return writes, units


def _write_amplification() -> list[str]:
    """Index entries each writer of a guarantee causes (computed from the items the store writes)."""
    from dataclasses import replace

    from chalicelib.domain.records import GuaranteeStatus
    from chalicelib.store.guarantees import SEARCH_KEY_ATTRIBUTES, latest_item
    from tests.support.certificates import version

    v1 = version("2090000001", issued_on=date(2026, 4, 1))

    def raw(v: Any, *, revision: int = 1, pdf: bool = False) -> dict[str, Any]:
        item = latest_item(replace(v, pdf_stored=pdf))
        item.revision = revision
        return dict(item.serialize())

    unmarked = {k: val for k, val in raw(v1, pdf=True).items()
                if k not in {latest_item(v1).get_attributes()[n].attr_name for n in SEARCH_KEY_ATTRIBUTES}}
    v2 = replace(v1, version=2, amended=True, terms=replace(v1.terms, guarantee_amount=30_000_000))
    recorded = replace(v1, terms=replace(v1.terms, contract_amount_total=90_000_000,
                                         contract_amount_covered=90_000_000))
    cancelled = replace(v1, status=GuaranteeStatus.CANCELLED, cancelled_on=date(2026, 5, 1), cancel_reason="工事中止")
    cases = {
        "issue (version 1 enters every index)": [(None, raw(v1))],
        "PDF stored (the flag: ALL indexes only)": [(raw(v1), raw(v1, pdf=True))],
        "amendment, new version (k leaves, k+1 enters)": [(raw(v1, pdf=True), unmarked), (None, raw(v2))],
        "recorded change of 請負金額 (in place)": [(raw(v1, pdf=True), raw(recorded, revision=2))],
        "cancellation (in place; leaves works)": [(raw(v1, pdf=True), raw(cancelled, revision=2))],
    }
    lines = []
    for name, transitions in cases.items():
        writes, units = (sum(x) for x in zip(*(_index_writes(b, a) for b, a in transitions), strict=True))
        item_bytes = [_item_bytes(a or {}) for _, a in transitions]
        lines.append(f"writes, {name}: {writes} index entries, {units} WRU for them (the item "
                     f"{' + '.join(f'{b:,} B' for b in item_bytes)}: 1 WRU a KB, 2 in a transaction)")
    return lines


def bench_scale(args: argparse.Namespace) -> list[str]:
    """Lists and searches of one contractor with 100 and 10,000 certificates (2,000 of 30 others beside): items read
    (ScannedCount of every Query), calls, read units and latency of each page view, search kind, CSV and the 中間前払
    check; goals: <= page + matches + 1 items, the same for page views at both sizes, latency 10,000/100 <= 1.5."""
    import moto  # noqa: F401 - first: moto's hook must be in botocore before the shared session exists

    results: dict[int, dict[str, tuple[int, int, float, float, float, float, int]]] = {}
    lines: list[str] = []
    page_views = ("list, page 1", "list, next page", "list, last page", "list, previous of last")
    for size in args.scale_sizes:
        with emulated_account():
            rows, built = _scale_world(size)
            sizes = _entry_sizes()
            operations, matches = _scale_operations(rows)
            # The emulated table's objects live in this process: frozen, the collector's pauses do not grow with it
            # (on AWS the table is elsewhere).
            gc.collect()
            gc.freeze()
            try:
                results[size] = {name: (*_measure(call, sizes, args.scale_repeats * (3 if name in page_views else 1)),
                                        matches[name])
                                 for name, call in operations.items()}
            finally:
                gc.unfreeze()
        lines.append(f"world of {size:,} + {SCALE_OTHERS:,} others: built in {built:.1f} s through the store's item "
                     f"writer (batch); entries: item {sizes[None]:.0f} B, text {sizes['by-contractor-text']:.0f} B, "
                     f"range {sizes['by-contractor-guarantee-amount']:.0f} B, works {sizes['works']:.0f} B")
    small, large = args.scale_sizes
    lines.append(f"{'operation':34} | {'items read':>15} | {'calls':>7} | {'RRU':>13} | "
                 f"{'ms total (app side)':>31} | goal (driver's matches)")
    for name in results[small]:
        a, b = results[small][name], results[large][name]
        goal_ok = all(r[0] <= SCALE_PAGE + r[6] + 1 for r in (a, b))  # page + matches + 1
        if name in page_views:
            goal_ok = goal_ok and a[0] == b[0]
        lines.append(
            f"{name:34} | {a[0]:6,} / {b[0]:6,} | {a[1]:2} / {b[1]:2} | {a[2]:5.1f} / {b[2]:5.1f} | "
            f"{a[3] * 1000:6.1f} ({(a[3] - a[4]) * 1000:5.1f}) / {b[3] * 1000:6.1f} ({(b[3] - b[4]) * 1000:5.1f}) | "
            f"{_verdict(goal_ok)} ({a[6]:,} / {b[6]:,})")
    for name in page_views:
        a, b = results[small][name], results[large][name]
        total_ratio, app_ratio, cpu_ratio = b[3] / a[3], (b[3] - b[4]) / (a[3] - a[4]), b[5] / a[5]
        lines.append(f"latency ratio {large:,}/{small:,}, {name}: total {total_ratio:.2f}, app side {app_ratio:.2f} "
                     f"wall / {cpu_ratio:.2f} CPU ({a[5] * 1000:.1f} / {b[5] * 1000:.1f} ms) (goal <= 1.5: total "
                     f"{_verdict(total_ratio <= 1.5)}, app side CPU {_verdict(cpu_ratio <= 1.5)})")
    lines += _write_amplification()
    lines.append("(items read: ScannedCount summed over the operation's Queries; RRU computed from entry sizes, "
                 "BatchGetItem and GetItem 0.5 an item; page = 20; moto 5.2.5 walks the whole table on every index "
                 f"Query, so total latency measures moto; medians of {args.scale_repeats} warm runs, page views "
                 f"{args.scale_repeats * 3})")
    lines.append("load average {:.2f} {:.2f} {:.2f} on {} CPUs".format(*os.getloadavg(), os.cpu_count()))
    return lines


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "cold-start": bench_cold_start,
    "listing": bench_listing,
    "pdf": bench_pdf,
    "verification": bench_verification,
    "portal": bench_portal,
    "hostile-pdfs": bench_hostile_pdfs,
    "scale": bench_scale,
    "scale-owner": bench_scale_owner,
    "emulator": bench_emulator,
    "emulator-scale": bench_emulator_scale,
}
LONG_SECTIONS = {"emulator-scale"}  # run only when named (--only)


def _sizes(text: str) -> tuple[int, int]:
    small, _, large = text.partition(",")
    return int(small), int(large)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks of the 電子保証 service.")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only these sections ({', '.join(SECTIONS)}); repeatable or comma-separated")
    parser.add_argument("--list", action="store_true", help="print the section names and exit")
    parser.add_argument("--runs", type=int, default=5,
                        help="cold-start, pdf: fresh interpreter runs per figure (median)")
    parser.add_argument("--repeats", type=int, default=30, help="listing: warm calls per size (median)")
    parser.add_argument("--pdf-repeats", type=int, default=50, help="pdf: warm renders (median)")
    parser.add_argument("--verification-repeats", type=int, default=200,
                        help="verification: warm runs of each call (median)")
    parser.add_argument("--sizes", type=_sizes, default=(100, 10_000), metavar="SMALL,LARGE",
                        help="listing: numbers of other contractors' certificates (default 100,10000)")
    parser.add_argument("--scale-sizes", type=_sizes, default=(100, 10_000), metavar="SMALL,LARGE",
                        help="scale: the target contractor's certificates (default 100,10000)")
    parser.add_argument("--scale-repeats", type=int, default=5,
                        help="scale, scale-owner: warm runs of each operation (median; moto's Query of 10,000 items "
                             "takes 0.5 s)")
    parser.add_argument("--ref", default="", metavar="REV",
                        help="hostile-pdfs: check with the chalicelib of this git revision (e.g. main)")
    parser.add_argument("--emulator-limit-mb", type=int, default=2048, metavar="MB",
                        help="emulator: stop the run of moto as released once its process is past this (default 2048)")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(f"{name}{'  (only with --only)' if name in LONG_SECTIONS else ''}" for name in SECTIONS))
        return 0
    wanted = ([name for item in args.only for name in item.split(",") if name]
              or [name for name in SECTIONS if name not in LONG_SECTIONS])
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    sys.path.insert(0, PROJECT_DIR)
    for name in wanted:
        print(f"== {name}: {(SECTIONS[name].__doc__ or '').strip()}", flush=True)
        for line in SECTIONS[name](args):
            print(f"   {line}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
