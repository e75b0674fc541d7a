"""Every AWS call the app makes in the suite, checked against the stage's generated IAM policy.

A pytest plugin (loaded by tests/conftest.py). One botocore handler on the app's shared session (which
pynamodb's connections use too, chalicelib/store/connection.py) sees each call and each presigned link
before it is sent; calls made by the test harness itself (provisioning, fixtures, assertions) are left out by
looking at who made them. Each call becomes the IAM action(s) and resource ARN(s) AWS would authorise
(DeleteObjects authorises every key, a transaction every item), and after every test those are evaluated
against `.chalice/policy-local.json` with moto's IAM policy evaluator: a call the policy would not allow
fails that test. The grants are read from the generated policy, never from a list here, so a new call and
its grant (or a missing grant) show up without editing this file. At the end of a run the summary lists the
actions recorded against the actions granted (docs/ARCHITECTURE.md, deployment).

moto's evaluator turns a Resource wildcard into a regular expression with `*` only; IAM's `?` (one
character) is matched here as a glob instead. It evaluates `StringEquals` conditions and ignores other
operators (so `ForAnyValue:StringEquals` on kms:ResourceAliases is not evaluated; tests/test_infra.py
asserts that condition names this stage's alias).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from moto.iam import access_control

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCOUNT = "123456789012"
STAGE = "local"
_APP_ROOTS = (os.path.join(PROJECT_DIR, "chalicelib") + os.sep, os.path.join(PROJECT_DIR, "app.py"))
_REPORT_DIR = os.path.join(PROJECT_DIR, "build", "aws-calls")
# Cognito's user-facing operations are signed by no one: the pool's client id is their only credential.
_UNSIGNED = {("cognito-idp", op) for op in (
    "InitiateAuth", "RespondToAuthChallenge", "GetUser", "ChangePassword", "AssociateSoftwareToken",
    "VerifySoftwareToken", "SetUserMFAPreference", "GlobalSignOut", "RevokeToken")}


@dataclass(frozen=True)
class Authorisation:
    """One IAM decision a call needs: the action, the resource ARN, and request condition values."""

    action: str
    resource: str
    conditions: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


@dataclass
class Recorder:
    calls: list[Authorisation] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> list[Authorisation]:
        with self.lock:
            taken, self.calls = self.calls, []
        return taken


# Grants the Lambda runtime uses (its log lines, X-Ray segments, the outbox queue's event source receiving and
# deleting for the consumer), not the app's code.
RUNTIME_SIDS = {"Logs", "Tracing", "OutboxQueueConsume"}
RECORDER = Recorder()
SEEN: set[Authorisation] = set()


# --- who is calling ------------------------------------------------------------------------------------

def _made_by_app() -> bool:
    """The innermost frame of our own code decides: the app (chalicelib, app.py) or the harness."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(PROJECT_DIR) and ".venv" not in name and not name.endswith("aws_calls.py"):
            return name.startswith(_APP_ROOTS)
        frame = frame.f_back
    return False


# --- which authorisations a call needs -------------------------------------------------------------------

def _region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION", "ap-northeast-1")


def _table(name: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{_region()}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _dynamodb(op: str, params: dict[str, Any]) -> list[Authorisation]:
    if op in ("TransactWriteItems", "TransactGetItems"):
        return [Authorisation(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table(body["TableName"]))
                for item in params["TransactItems"] for kind, body in item.items()]
    if op == "BatchGetItem":
        return [Authorisation("dynamodb:BatchGetItem", _table(t)) for t in params["RequestItems"]]
    if op == "BatchWriteItem":
        return [Authorisation("dynamodb:BatchWriteItem", _table(t)) for t in params["RequestItems"]]
    if "TableName" in params:
        return [Authorisation(f"dynamodb:{op}", _table(params["TableName"], params.get("IndexName")))]
    return [Authorisation(f"dynamodb:{op}", "*")]


def _s3(op: str, params: dict[str, Any]) -> list[Authorisation]:
    bucket = f"arn:aws:s3:::{params.get('Bucket', '')}"

    def obj(action: str, key: str, version: str | None) -> Authorisation:
        return Authorisation(f"s3:{action}Version" if version else f"s3:{action}", f"{bucket}/{key}")

    if op == "GetObject":
        return [obj("GetObject", params["Key"], params.get("VersionId"))]
    if op == "HeadObject":  # authorised as GetObject; a missing key answers 404 (not 403) only with ListBucket
        return [obj("GetObject", params["Key"], params.get("VersionId")), Authorisation("s3:ListBucket", bucket)]
    if op in ("PutObject", "DeleteObject"):
        return [obj(op, params["Key"], params.get("VersionId"))]
    if op == "DeleteObjects":  # authorised per key, each as DeleteObject(Version)
        return [obj("DeleteObject", o["Key"], o.get("VersionId")) for o in params["Delete"]["Objects"]]
    if op in ("ListObjects", "ListObjectsV2", "HeadBucket"):
        return [Authorisation("s3:ListBucket", bucket)]
    if op == "ListObjectVersions":
        return [Authorisation("s3:ListBucketVersions", bucket)]
    return [Authorisation(f"s3:{op}", bucket)]


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{_region()}:{ACCOUNT}:{resource}"


def _authorisations(service: str, op: str, params: dict[str, Any]) -> list[Authorisation]:
    if (service, op) in _UNSIGNED:
        return []
    if service == "dynamodb":
        return _dynamodb(op, params)
    if service == "s3":
        return _s3(op, params)
    if service == "ses" and op in ("SendEmail", "SendRawEmail"):
        source = params.get("Source", "")
        return [Authorisation(f"ses:{op}", _arn("ses", f"identity/{source}"), (("ses:FromAddress", source),))]
    if service == "secretsmanager" and "SecretId" in params:
        secret = params["SecretId"]
        # Secrets Manager ARNs end in "-" and six random characters.
        arn = secret if secret.startswith("arn:") else _arn("secretsmanager", f"secret:{secret}-AbCdEf")
        return [Authorisation(f"secretsmanager:{op}", arn)]
    if service == "kms":
        # The stage's keys are known to the app only by their aliases; Decrypt names no key at all.
        signing = op in ("Sign", "GetPublicKey")
        alias = os.environ.get("APP_SIGNING_KEY_ID" if signing else "APP_KMS_KEY_ID", "")
        key = "key/signing-key" if signing else "key/stage-key"
        return [Authorisation(f"kms:{op}", _arn("kms", key), (("kms:ResourceAliases", alias),))]
    if service == "cognito-idp" and "UserPoolId" in params:
        return [Authorisation(f"cognito-idp:{op}", _arn("cognito-idp", f"userpool/{params['UserPoolId']}"))]
    if service == "lambda" and op == "Invoke":  # authorised as InvokeFunction on the function named
        name = params["FunctionName"]
        return [Authorisation("lambda:InvokeFunction", name if name.startswith("arn:") else
                              _arn("lambda", f"function:{name}"))]
    if service == "sqs":
        # A batch is authorised as its single action; GetQueueUrl names the queue it looks up.
        action = op.removesuffix("Batch")
        queue = params["QueueName"] if op == "GetQueueUrl" else params["QueueUrl"].rstrip("/").rsplit("/", 1)[1]
        return [Authorisation(f"sqs:{action}", _arn("sqs", queue))]
    return [Authorisation(f"{service}:{op}", "*")]  # unknown: only a "*" grant would allow it


def _on_call(params: dict[str, Any], model: Any, **_: Any) -> None:
    if not _made_by_app():
        return
    found = _authorisations(model.service_model.signing_name, model.name, params)
    with RECORDER.lock:
        RECORDER.calls.extend(found)


def install(botocore_session: Any) -> None:
    """Watch every client the session makes from now on (clients copy the session's handlers when made)."""
    # before-parameter-build runs for calls and for generate_presigned_url alike.
    botocore_session.register("before-parameter-build", _on_call, unique_id="tests.support.aws_calls")


# --- the policy ------------------------------------------------------------------------------------------

class _Statement(access_control.IAMPolicyStatement):
    @staticmethod
    def _match(pattern: str, string: str) -> re.Match[str] | None:
        return re.match(fnmatch.translate(pattern.replace("[", "[[]")), string)


def policy(stage: str = STAGE) -> dict[str, Any]:
    with open(os.path.join(PROJECT_DIR, ".chalice", f"policy-{stage}.json"), encoding="utf-8") as f:
        return json.load(f)


def permitted_by(statement: dict[str, Any], call: Authorisation) -> bool:
    result = _Statement(statement).is_action_permitted(call.action, call.resource,
                                                       incoming_condition_values=dict(call.conditions))
    return result == access_control.PermissionResult.PERMITTED


def denied(calls: set[Authorisation], document: dict[str, Any]) -> list[Authorisation]:
    """Calls no Allow statement permits (or a Deny refuses) — AWS would answer AccessDenied."""
    out = []
    for call in sorted(calls, key=str):
        results = [_Statement(s).is_action_permitted(call.action, call.resource,
                                                     incoming_condition_values=dict(call.conditions))
                   for s in document["Statement"]]
        if access_control.PermissionResult.DENIED in results or \
                access_control.PermissionResult.PERMITTED not in results:
            out.append(call)
    return out


def grants(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(Sid, action) of every Allow."""
    out = []
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        out += [(statement["Sid"], action) for action in actions]
    return out


def unused_grants(calls: set[Authorisation], document: dict[str, Any]) -> list[tuple[str, str]]:
    """(Sid, action) pairs no recorded call needed."""
    unused = []
    for statement in document["Statement"]:
        if statement["Sid"] in RUNTIME_SIDS:
            continue
        for sid, action in grants({"Statement": [statement]}):
            single = {**statement, "Action": action}
            if not any(c.action == action and permitted_by(single, c) for c in calls):
                unused.append((sid, action))
    return unused


# --- pytest hooks ----------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _aws_calls_allowed_by_policy() -> Iterator[None]:
    RECORDER.take()
    yield
    calls = set(RECORDER.take())
    SEEN.update(calls)
    refused = denied(calls, policy())
    if refused:
        pytest.fail("the stage's IAM policy (scripts/infra.py) would refuse: " + "; ".join(map(str, refused)),
                    pytrace=False)


def _dump(path: str, calls: set[Authorisation]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump([[c.action, c.resource, list(map(list, c.conditions))] for c in calls], f)


def _load_all() -> set[Authorisation]:
    calls: set[Authorisation] = set()
    if not os.path.isdir(_REPORT_DIR):
        return calls
    for name in os.listdir(_REPORT_DIR):
        with open(os.path.join(_REPORT_DIR, name), encoding="utf-8") as f:
            calls |= {Authorisation(a, r, tuple(tuple(c) for c in cs)) for a, r, cs in json.load(f)}
    return calls


def pytest_configure(config: pytest.Config) -> None:
    from chalicelib.adapters import aws

    install(aws.session()._session)  # before any client is made: clients copy the session's handlers
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist) starts afresh
        for name in os.listdir(_REPORT_DIR) if os.path.isdir(_REPORT_DIR) else []:
            os.remove(os.path.join(_REPORT_DIR, name))


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    if SEEN:
        _dump(os.path.join(_REPORT_DIR, f"{worker}.json"), SEEN)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    calls = _load_all()
    if not calls:
        return
    document = policy()
    recorded = sorted({c.action for c in calls})
    granted = sorted({a for _, a in grants(document)})
    write = terminalreporter.write_line
    write(f"AWS actions the app called: {len(recorded)}; granted by policy-{STAGE}.json: {len(granted)}")
    write("  recorded: " + ", ".join(recorded))
    write("  denied: " + (", ".join(map(str, denied(calls, document))) or "none"))
    unused = unused_grants(calls, document)
    write("  granted, never called in this run: " + (", ".join(f"{a} ({s})" for s, a in unused) or "none"))
