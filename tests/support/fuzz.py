"""Drives the app in-process with cases Schemathesis generates from openapi.yaml, and checks every answer.

A case is drawn from the operation's positive or negative strategy, sent as one of the roles (or without a
login) through Chalice's test client over moto, and checked twice:

- by Schemathesis's own response checks (no 5xx, documented status code, documented content type, documented
  headers, body valid against the documented schema), on a Schemathesis `Response` built from the test client's;
- by the project's strict reading of the document (tests/support/openapi.py: every `$ref` inlined, objects that list
  their properties closed, the error `code` named in the documented description of that status).

Beside the generated cases, each identifier is now and then made real (seeded and issued certificate numbers,
registered owners and contractors, the current 認証キー), bodies are laid over valid ones, and a dictionary of
hostile values (HOSTILE_QUERY, HOSTILE_BODY, HOSTILE_RAW) is sent once per batch in the bounded profile. After a
201 that created a version, the surety reads it back and fetches its PDF. Calls run on a fresh thread with
CPython's default recursion limit (as_in_lambda). The app sends no Content-Type of its own; the deployed API
(API Gateway, `chalice local`) then answers application/json, and the check assumes the same.

Nothing is raised while fuzzing: each failed check becomes a `Finding` (deduplicated by operation, role, status,
check and the first line of its message, with the first request that showed it), so one run reports all of them.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import re
import sys
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scripts.demo_data import CONTRACTORS, DEMO_PASSWORD, OBLIGEES, USERS
from tests.support.openapi import SPEC_PATH, deref, operations, schema_errors, strict
from tests.support.world import DROP, Api, issue_body

BASE_URL = "http://localhost:8000"
# role -> demo login (None: no login; the case's own, generated Authorization header is sent if it has one)
ROLES = {"surety": "demo-surety", "contractor": "demo-contractor-1", "obligee": "demo-sakaiminato", "anonymous": None}
SEEDED_NUMBERS = ("2070004426", "2070004427", "2070202096")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Request headers a browser or client library adds that say nothing about the case.
_TRANSPORT_HEADERS = {"user-agent", "accept-encoding", "connection", "x-schemathesis-testcaseid"}


@functools.cache
def schema() -> Any:
    loaded = schemathesis.openapi.from_path(SPEC_PATH)
    return loaded


@functools.cache
def api_operations() -> dict[str, Any]:
    """Schemathesis's operations of the document by label ("GET /v1/health")."""
    found = {}
    for result in schema().get_all_operations():
        operation = result.ok()
        found[f"{operation.method.upper()} {operation.path}"] = operation
    return found


@dataclass
class World:
    """The demo world in a fresh emulated account, and the real values that let cases reach past 400 and 404."""

    api: Api
    numbers: dict[str, str]  # name -> contract number
    auth_key: str  # the current key of numbers["electronic"]

    def contract_numbers(self) -> list[str]:
        return [*SEEDED_NUMBERS, *self.numbers.values(), "9999999999"]


def build_world(api: Api) -> World:
    """Issues, beside the seed's three (addressed to ○○県), certificates addressed to 境港市: an electronic one
    of contractor-1 that 境港市 verified before it was amended, a paper one, one that is cancelled, and one of
    contractor-2."""
    numbers = {}
    for name, overrides in {
        "electronic": {},
        "paper": {"guarantee_type": "performance", "guarantee_amount": 10_000_000, "deposit_bank": DROP,
                  "delivery": "paper"},
        "cancelled": {"project_name": "境港市 解約される工事"},
        "other_contractor": {"contractor_id": "contractor-2"},
    }.items():
        response = api.issue(idempotency_key=f"fuzz-world-{name}", **overrides)
        assert response.status_code == 201, response.json_body
        numbers[name] = response.json_body["contract_number"]
    key = api.get(f"/v1/certificates/{numbers['electronic']}/auth-key", user="demo-contractor-1").json_body["auth_key"]
    assert api.post("/v1/verifications", {"contract_number": numbers["electronic"], "auth_key": key},
                    user="demo-sakaiminato").status_code == 200
    assert api.post(f"/v1/guarantees/{numbers['electronic']}/amendments",
                    {"expected_version": 1, "expected_revision": 1, "guarantee_amount": 30_000_000},
                    user="demo-surety",
                    headers={"Idempotency-Key": "fuzz-world-amend"}).status_code == 201
    assert api.post(f"/v1/guarantees/{numbers['cancelled']}/cancel", {"reason": "工事中止"}, user="demo-surety",
                    headers={"Idempotency-Key": "fuzz-world-cancel"}).status_code == 200
    return World(api, numbers, key)


def _full_width(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def realistic(world: World, operation: Any, case: Any, data: st.DataObject) -> None:
    """Now and then replaces generated identifiers with real ones, so the case reaches past the 404s."""
    numbers = world.contract_numbers()
    real_number = st.sampled_from(numbers) | st.sampled_from(numbers).map(_full_width).map(lambda n: f"{n[:4]}-{n[4:]}")
    for name in list(case.path_parameters or {}):
        if data.draw(st.booleans(), label=f"real {name}"):
            value = data.draw(real_number if name == "contract_number" else
                              st.sampled_from(["sakaiminato", "pref-demo", "contractor-1", "contractor-2", "fuzz-new"]))
            case.path_parameters[name] = quote(value, safe="")
    if isinstance(case.query, dict) and "contractor_id" in case.query and data.draw(st.booleans()):
        case.query["contractor_id"] = data.draw(st.sampled_from(["contractor-1", "contractor-2"]))
    if isinstance(case.body, dict) and label_of(operation) in VALID_BODIES and data.draw(st.booleans(), label="based"):
        # A valid body with some of the generated fields laid over it (none of them: a request that should succeed).
        generated = sorted(case.body)
        kept = data.draw(st.lists(st.sampled_from(generated), unique=True, max_size=2) if generated else st.just([]),
                         label="generated fields kept")
        base = data.draw(st.sampled_from(VALID_BODIES[label_of(operation)](world)), label="valid body")
        case.body = {**base, **{name: case.body[name] for name in kept}}
        if "Idempotency-Key" in (case.headers or {}) or data.draw(st.booleans(), label="idempotency key"):
            case.headers = {**(case.headers or {}),
                            "Idempotency-Key": data.draw(st.sampled_from([f"fuzz-{n}" for n in range(4)]))}
    body = case.body
    if isinstance(body, dict) and data.draw(st.booleans(), label="real body values"):
        if "contractor_id" in body:
            body["contractor_id"] = data.draw(st.sampled_from(["contractor-1", "contractor-2"]))
        if "obligee_id" in body:
            body["obligee_id"] = data.draw(st.sampled_from(["sakaiminato", "pref-demo"]))
        if "contract_number" in body:
            body["contract_number"] = data.draw(st.sampled_from(numbers))
        if "auth_key" in body:
            body["auth_key"] = data.draw(st.sampled_from([world.auth_key, world.auth_key.lower().replace("-", " ")]))
        if "expected_version" in body:
            body["expected_version"] = data.draw(st.integers(1, 3))
        if "expected_revision" in body:
            body["expected_revision"] = data.draw(st.integers(1, 3))
        if "username" in body:
            body["username"] = data.draw(st.sampled_from(sorted(USERS)))


# Values that broke parsers of this kind of API before (issue 9): digits that are not ASCII, numbers too big for
# any field, dates before 明治, characters that must not print, a cursor whose payload is deeply nested JSON.
_NESTED = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode().rstrip("=")
HOSTILE_QUERY = {
    "integer": ["\u00b2", "\u0663", "\uff11", "9" * 5000, "0", "-1", "1.0", "1e2", " 7", "", "0x10", "\u00a0"],
    "string": ["\u0000", "\u202e", "x" * 5000, "%", "[]", "{}", f"{_NESTED}.AAAA", ".", "\u00b2"],
    # The search's date ranges: out of 和暦's range, not a day, not ISO, full width, week dates.
    "date": ["1867-01-01", "9999-12-31", "2023-02-29", "2024-1-1", "２０２４-０４-０１", "20240401", "2024-W01-1",
             "2024-04-01T00:00", "\u0000", "x" * 5000],
}
HOSTILE_BODY = {
    "date": ["1867-01-01", "1868-10-22", "0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29", "2024-1-1",
             "２０２４-０４-０１"],
    "integer": [0, -1, 10**13, 10**13 + 1, 2**63, 2**64 + 1, 10**100, 1.5, 1.0, True, "1"],
    "string": ["\u0000", "\u200b\u200b", "a\r\nb", "\u202eabc", "\u001b[31m", "x" * 201, "𠮷" * 200, " ", "", None],
}
# Raw bodies that are not what the schema describes, whatever the operation: deep nesting, odd JSON.
HOSTILE_RAW = ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "NaN", '{"a": 1e999}', '"\\ud800"',
               '{"a":1,"a":2}', "\ufeff{}", "null"]


def _kind(schema: dict[str, Any]) -> str:
    schema = deref(schema)
    for part in schema.get("allOf", []):
        schema = {**deref(part), **schema}
    if schema.get("format") == "date":
        return "date"
    return "integer" if schema.get("type") == "integer" else "string"


def hostile(operation: Any, case: Any, data: st.DataObject) -> None:
    """Now and then puts one value of the lists above where the case has (or could have) a query parameter, a
    body field, or the whole body."""
    method, template = label_of(operation).split(" ", 1)
    documented = operations()[(method, template)]
    where = data.draw(st.sampled_from(["none", "none", "none", "query", "body", "raw"]), label="hostile")
    if where == "query":
        params = [deref(p) for p in documented.get("parameters", []) if deref(p)["in"] == "query"]
        if params:
            param = data.draw(st.sampled_from(params))
            case.query = {**(case.query or {}),
                          param["name"]: data.draw(st.sampled_from(HOSTILE_QUERY[_kind(param["schema"])]))}
    elif where == "body" and isinstance(case.body, dict) and "requestBody" in documented:
        schema = strict(deref(documented["requestBody"])["content"]["application/json"]["schema"])
        if schema.get("properties"):
            name = data.draw(st.sampled_from(sorted(schema["properties"])))
            case.body = {**case.body, name: data.draw(st.sampled_from(HOSTILE_BODY[_kind(schema["properties"][name])]))}
    elif where == "raw" and "requestBody" in documented:
        case.body = data.draw(st.sampled_from(HOSTILE_RAW)).encode("utf-8")


def dictionary_cases(world: World, operation: Any, role: str) -> list[Any]:
    """Every hostile value above once, where it fits the operation, on an otherwise valid request: the bounded
    profile sends these every run so the defects they found stay found, whatever the random draws. Body fields
    only for the roles the operation admits (the others stop at 401/403 before the body is read)."""
    label = label_of(operation)
    method, template = label.split(" ", 1)
    documented = operations()[(method, template)]
    admitted = role in documented.get("x-roles", []) or (role == "anonymous" and documented.get("security") == [])
    path = {name: quote({"contract_number": world.numbers["electronic"], "obligee_id": "fuzz-new",
                         "contractor_id": "contractor-1", "endpoint_id": "0" * 32,
                         "delivery_id": "0" * 32, "client_id": "0" * 26}[name], safe="")
            for name in re.findall(r"{([^}]+)}", template)}
    idempotent = any(deref(p)["name"] == "Idempotency-Key" for p in documented.get("parameters", []))
    bases = VALID_BODIES[label](world) if label in VALID_BODIES else [None]
    cases: list[Any] = []
    numbering = itertools.count()

    def case(**kwargs: Any) -> Any:
        body = kwargs.pop("body", bases[0])
        extra = {"body": body, "media_type": "application/json"} if body is not None else {}
        headers = {"Idempotency-Key": f"fuzz-dictionary-{next(numbering)}"} if idempotent else {}
        return operation.Case(path_parameters=dict(path), headers=headers, query=kwargs.pop("query", {}), **extra)

    for param in [deref(p) for p in documented.get("parameters", []) if deref(p)["in"] == "query"]:
        cases += [case(query={param["name"]: value}) for value in HOSTILE_QUERY[_kind(param["schema"])]]
    if "requestBody" in documented:
        cases += [case(body=raw.encode("utf-8")) for raw in HOSTILE_RAW]
        schema = strict(deref(documented["requestBody"])["content"]["application/json"]["schema"])
        if admitted:
            for base in bases:
                for name, field_schema in sorted(schema.get("properties", {}).items()):
                    cases += [case(body={**base, name: value}) for value in HOSTILE_BODY[_kind(field_schema)]]
                # every date of the body at once, so that the rules between them (completion after contract, ...)
                # hold and the date itself is what is judged
                dates = [name for name, field_schema in schema.get("properties", {}).items()
                         if _kind(field_schema) == "date" and name in base]
                if dates:
                    cases += [case(body={**base, **dict.fromkeys(dates, value)}) for value in HOSTILE_BODY["date"]]
        if admitted and label in HOSTILE_SEEDS:
            cases += [case(body=body) for body in HOSTILE_SEEDS[label](world)]
    return cases


def label_of(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


# Valid bodies of each operation with a body (one is drawn): the fuzzer lays generated fields over them.
VALID_BODIES: dict[str, Any] = {
    "POST /v1/auth/login": lambda world: [{"username": "demo-contractor-2", "password": DEMO_PASSWORD}],
    # The challenge steps with a session / token Cognito never issued: a well-formed request it refuses (401).
    "POST /v1/auth/new-password": lambda world: [
        {"username": "demo-contractor-2", "session": "s" * 40, "new_password": "Fuzz-Pass-12345!"}],
    "POST /v1/auth/mfa-setup": lambda world: [{"setup_token": "t" * 40, "code": "123456"}],
    "POST /v1/auth/mfa": lambda world: [{"username": "demo-contractor-2", "session": "s" * 40, "code": "123456"}],
    "PUT /v1/obligees/{obligee_id}": lambda world: [dict(OBLIGEES["sakaiminato"]), dict(OBLIGEES["pref-demo"])],
    "PUT /v1/contractors/{contractor_id}": lambda world: [dict(CONTRACTORS["contractor-1"])],
    "POST /v1/guarantees": lambda world: [
        issue_body(contract_date="2024-06-03", completion_date="2025-03-31"),
        issue_body(guarantee_type="performance", guarantee_amount=10_000_000, deposit_bank=DROP, delivery="paper"),
    ],
    "POST /v1/guarantees/{contract_number}/amendments": lambda world: [
        {"expected_version": 2, "expected_revision": 1, "guarantee_amount": 25_000_000},
        {"expected_version": 1, "expected_revision": 1, "contract_amount_total": 120_000_000},
    ],
    "POST /v1/guarantees/{contract_number}/cancel": lambda world: [{"reason": "工事中止"}],
    # The local stage admits loopback receivers; nothing listens on port 9, deliveries just fail and wait.
    "POST /v1/webhooks/endpoints": lambda world: [{"url": "http://127.0.0.1:9/hooks"}],
    "POST /v1/obligees/{obligee_id}/machine-clients": lambda world: [
        {"name": "契約管理システム", "scopes": ["verifications/write"]}],
    "POST /v1/verifications":
        lambda world: [{"contract_number": world.numbers["electronic"], "auth_key": world.auth_key}],
    "POST /v1/documents/check": lambda world: _check_bodies(world),
}
_check_body_cache: dict[int, list[dict[str, str]]] = {}
_check_seed_cache: dict[int, list[dict[str, str]]] = {}


def _stored_genuine(world: World) -> bytes:
    number = world.numbers["electronic"]
    link = world.api.get(f"/v1/certificates/{number}/pdf", user="demo-surety").json_body["url"]
    return requests.get(link, timeout=10).content


def _check_bodies(world: World) -> list[dict[str, str]]:
    """The electronic certificate's signed PDF as stored (base64), and a PDF that is no certificate."""
    if id(world) not in _check_body_cache:
        genuine = _stored_genuine(world)
        _check_body_cache.clear()  # one world at a time
        _check_body_cache[id(world)] = [{"pdf_base64": base64.b64encode(genuine).decode()},
                                        {"pdf_base64": base64.b64encode(b"%PDF-1.7\n%%EOF\n").decode()}]
    return _check_body_cache[id(world)]


def _check_seeds(world: World) -> list[dict[str, str]]:
    """The hostile PDFs of tests/support/hostile_pdfs.py (issue 18), built over the world's own signed certificate: each
    must get a documented answer (their verdicts are tests/test_hostile_pdfs.py's)."""
    from tests.support.hostile_pdfs import seeds

    if id(world) not in _check_seed_cache:
        _check_seed_cache.clear()
        _check_seed_cache[id(world)] = [{"pdf_base64": base64.b64encode(case.data).decode()}
                                        for case in seeds(_stored_genuine(world))]
    return _check_seed_cache[id(world)]


# Request bodies sent once per batch, beside the dictionary of hostile values, for the role the operation admits.
HOSTILE_SEEDS: dict[str, Any] = {"POST /v1/documents/check": _check_seeds}


def case_strategy(operation: Any) -> st.SearchStrategy[Any]:
    return st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                     operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))


@dataclass(frozen=True)
class Finding:
    operation: str
    role: str
    status: int
    check: str
    message: str

    def key(self) -> tuple[str, str, int, str, str]:
        first_line = (self.message.splitlines() or [""])[0][:160]
        return (self.operation, self.role, self.status, self.check, first_line)


@dataclass
class Tally:
    """What one batch sent and saw, per role."""

    requests: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    findings: dict[tuple[str, str, int, str, str], tuple[Finding, str]] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests), "server_errors": dict(self.server_errors),
            "violations": dict(self.violations), "seconds": self.seconds,
            "statuses": [[*key, count] for key, count in self.statuses.items()],
            "findings": [[finding.__dict__, reproduction] for finding, reproduction in self.findings.values()],
        }


def send(world: World, case: Any, role: str) -> tuple[requests.PreparedRequest, Any, float]:
    """Sends the case as `role` through the test client; returns the request as sent, the answer and its time."""
    headers = {name: value for name, value in (case.headers or {}).items()}
    user = ROLES[role]
    if user is not None:  # the login replaces any generated Authorization, whatever its case
        headers = {name: value for name, value in headers.items() if name.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {world.api.token(user)}"
    case.headers = headers
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    prepared = requests.Request(
        method=kwargs["method"], url=kwargs["url"], params=kwargs.get("params"), headers=kwargs.get("headers"),
        json=kwargs.get("json"), data=kwargs.get("data"),
    ).prepare()
    sent_headers = {name: value for name, value in prepared.headers.items()
                    if name.lower() not in _TRANSPORT_HEADERS and name.lower() != "content-length"}
    body = prepared.body if prepared.body is not None else b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    started = time.perf_counter()
    answer = as_in_lambda(world.api.client.http.request, prepared.method, prepared.path_url, sent_headers, body)
    elapsed = time.perf_counter() - started
    prepared.headers = requests.structures.CaseInsensitiveDict(sent_headers)
    return prepared, answer, elapsed


LAMBDA_RECURSION_LIMIT = 1000  # CPython's default, which the Lambda runtime keeps


def as_in_lambda(function: Any, *args: Any) -> Any:
    """Calls the app on a fresh stack with CPython's default recursion limit, as Lambda does. Hypothesis raises the
    limit while a test runs, and the test runner's frames sit under the call: both would move the depth at which
    deep input (nested JSON) overflows, and hide it."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed back to the caller's thread
            outcome["error"] = error

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(LAMBDA_RECURSION_LIMIT)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} characters)"


def reproduction(prepared: requests.PreparedRequest, role: str, status: int, content: bytes) -> str:
    """The request (with the login named, not its token) and the answer, short enough for a report."""
    headers = {name: ("Bearer <token of " + str(ROLES[role]) + ">" if name.lower() == "authorization"
                      and ROLES[role] else value) for name, value in prepared.headers.items()}
    body = prepared.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "backslashreplace")
    return json.dumps({"role": role, "method": prepared.method, "path": prepared.path_url, "headers": headers,
                       "body": _short(body or "", 700), "status": status,
                       "answer": _short(content.decode("utf-8", "backslashreplace"))}, ensure_ascii=False)


def strict_errors(label: str, status: int, content: bytes, content_type: str = "application/json"
                  ) -> list[tuple[str, str]]:
    """The project's own stricter reading of the document (closed objects, documented error codes)."""
    method, template = label.split(" ", 1)
    documented = deref(operations()[(method, template)]["responses"].get(str(status)))
    if not documented:
        return []  # Schemathesis's status_code_conformance reports it
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json":  # a documented other type (the search's CSV) has no JSON to read
        return [] if media_type in documented.get("content", {}) else [("strict_media_type", media_type)]
    try:
        body = json.loads(content)
    except ValueError:
        return [("strict_json", "the body is not JSON")]
    found = [("strict_schema", error) for error in
             schema_errors(documented["content"]["application/json"]["schema"], body)]
    if status >= 400 and isinstance(body, dict) and f"`{body.get('code')}`" not in documented["description"]:
        found.append(("documented_error_code", f"code {body.get('code')!r} is not named for {status}"))
    return found


# After a fuzzed request created a version, the surety reads it back and fetches its PDF: what was accepted must
# stay readable (a certificate accepted at issue whose PDF fails later is a defect like any other 5xx).
CREATES_VERSION = {"POST /v1/guarantees", "POST /v1/guarantees/{contract_number}/amendments"}
FOLLOW_UPS = ("GET /v1/certificates/{contract_number}", "GET /v1/certificates/{contract_number}/pdf")


def check(world: World, label: str, case: Any, role: str, tally: Tally, after: str | None = None) -> None:
    """Sends the case as `role`, runs every check on the answer and adds what it saw to the tally."""
    prepared, answer, elapsed = send(world, case, role)
    status = answer.status_code
    tally.requests[role] += 1
    tally.statuses[(label, role, status)] += 1
    headers = {name.lower(): value for name, value in answer.headers.items()}
    # The app leaves Content-Type out of its JSON answers; API Gateway and `chalice local` then send
    # application/json, Chalice's test client sends nothing. The header is judged as the deployed API sends it.
    headers.setdefault("content-type", "application/json")
    response = Response(status_code=status, headers={k: [v] for k, v in headers.items()},
                        content=answer.body or b"", request=prepared, elapsed=elapsed, verify=True)
    failures: list[tuple[str, str]] = []
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:  # every check that failed
        failures += [(failure.title, failure.message) for failure in group.exceptions]
    except Failure as failure:
        failures.append((failure.title, failure.message))
    if status < 500:
        failures += strict_errors(label, status, answer.body or b"", headers["content-type"])
    if status >= 500:
        tally.server_errors[role] += 1
    elif failures:
        tally.violations[role] += 1
    for name, message in failures:
        finding = Finding(label, role, status, name, _normalise(message))
        if finding.key() not in tally.findings:
            shown = reproduction(prepared, role, status, answer.body or b"")
            tally.findings[finding.key()] = (finding, f"{shown}\n    after: {after}" if after else shown)
    if label in CREATES_VERSION and status == 201 and after is None:
        created = json.loads(answer.body)
        origin = reproduction(prepared, role, status, b"")
        for follow_up in FOLLOW_UPS:
            next_case = api_operations()[follow_up].Case(
                path_parameters={"contract_number": created["contract_number"]},
                query={"version": created["version"]})
            check(world, follow_up, next_case, "surety", tally, after=origin)


def _normalise(message: str) -> str:
    return unicodedata.normalize("NFC", message.strip())
