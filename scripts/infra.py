"""Generate the deployment files from the code, so they cannot drift from it.

- `infra/resources.json`: the stage's AWS resources as CloudFormation (tables exactly as the pynamodb models
  define them, the documents bucket, the Cognito pool, the app secret, the KMS key), and what it adds to chalice's
  function (pool ids, tracing, concurrency, its log group): the fragment for `chalice package --merge-template`.
  The stage is the `Stage` parameter; `--pin-stage` fixes it in a packaged template to the packaged stage.
- `.chalice/policy-<stage>.json`: the Lambda role's least-privilege policy per stage, with every name taken
  from that stage's environment in `.chalice/config.json`; `.chalice/policy-document-check-<stage>.json`, the PDF
  check function's own role (its logs only).

`python -m scripts.infra` rewrites the files; `python -m scripts.infra --check` fails if they are stale
(tests/test_infra.py does the same).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from chalicelib.domain.limits import CHECK_FUNCTION_RESERVED_CONCURRENCY

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_NAME = "denshi-hosho"
REGION = "ap-northeast-1"
DEPLOYED_STAGES = ("dev", "prod")
POLICY_STAGES = ("local", "dev", "prod")
RESOURCES_PATH = os.path.join("infra", "resources.json")
CHALICE_FUNCTION = "APIHandler"  # the logical id `chalice package` gives the API's function
CHALICE_API = "RestAPI"  # ... and its API; SAM names the API's stage <api><stage name>Stage
RESERVED_CONCURRENCY = 50
LOG_RETENTION_DAYS = 365
# Requests per second (steady, burst) for the whole stage and, stricter, for password guessing at the login.
STAGE_THROTTLE = (50, 100)
LOGIN_THROTTLE = (5, 10)
WAF_RATE_PER_5_MINUTES = 1000  # per client IP, over every route
ACCOUNT_SUFFIX = "????????????"  # a bucket name ends in its 12-digit account id: unique per account

# What the app does to each table at run time, and nothing else (tests/support/aws_calls.py checks every call of the
# suite against the policy and lists grants no call used). pynamodb 6 reads table schemas from the models (no
# DescribeTable); transactions are authorised per item (there is no IAM action for TransactWriteItems).
# Nothing deletes items, and audit events and verifications are append-only: no UpdateItem there.
# A table missing here fails generation: a new model declares what the app may do to it.
TABLE_ACTIONS: dict[str, list[str]] = {
    # Versions are written and read in transactions and queries (by contract, by the search indexes); a partial
    # match reads the compact index, then its page's rows with one BatchGetItem.
    "guarantees": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:BatchGetItem",
                   # A verification requires the version it read to be still the latest (and reads it when refused).
                   "dynamodb:ConditionCheckItem", "dynamodb:GetItem"],
    "counters": ["dynamodb:UpdateItem"],
    # Written once with the change (the notices it owes live in the outbox), read by a retry.
    "idempotency": ["dynamodb:GetItem", "dynamodb:PutItem"],
    "audit-events": ["dynamodb:PutItem", "dynamodb:Query"],
    "obligees": ["dynamodb:GetItem", "dynamodb:PutItem"],
    # Registered and changed with one UpdateItem; the console finds them by id or in the name index (never a Scan).
    "contractors": ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
    "auth-keys": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
    # Written by a verification, kept current (or checked absent) by every change of the guarantee in its
    # transaction, listed through its index.
    "verifications": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem",
                      "dynamodb:Query"],
    # The per-owner failure budget: counted with UpdateItem, checked inside the verification transaction, read
    # when that transaction is refused (to tell a reached limit from a key reissued meanwhile).
    "throttle": ["dynamodb:UpdateItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem"],
    # Notices are written with the change that owes them, claimed and settled one by one, found by index.
    "outbox": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
    # Registered once, revoked by an update (deliveries keep naming them): never deleted.
    "webhook-endpoints": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
    "machine-clients": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
}
GROUPS = ("surety", "contractor", "obligee")  # the same as scripts.provision.GROUPS
PASSWORD_POLICY = {
    "MinimumLength": 12, "RequireUppercase": True, "RequireLowercase": True, "RequireNumbers": True,
    "RequireSymbols": True,
}
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}  # certificates outlive any stack


def stage_environment(stage: str) -> dict[str, str]:
    with open(os.path.join(PROJECT_DIR, ".chalice", "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def _logical_id(base_name: str, suffix: str) -> str:
    return "".join(part.capitalize() for part in base_name.split("-")) + suffix


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _checkov_skips(*skips: tuple[str, str]) -> dict[str, Any]:
    """A resource's Metadata naming checkov checks that do not apply here, each with its reason."""
    return {"Metadata": {"checkov": {"skip": [{"id": check, "comment": why} for check, why in skips]}}}


_NOT_CMK_TABLE = ("CKV_AWS_119", "Encrypted at rest with the AWS owned key; the one secret (認証キー) is stored only "
                                 "as a keyed digest and as ciphertext of the stage's own KMS key")


# --- tables, from the models -------------------------------------------------------------------------------

def _key_schema(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    # DynamoDB wants HASH before RANGE; pynamodb lists keys in attribute order.
    ordered = sorted(entries, key=lambda e: 0 if e["KeyType"] == "HASH" else 1)
    return [{"AttributeName": e["AttributeName"], "KeyType": e["KeyType"]} for e in ordered]


def _projection(raw: dict[str, Any]) -> dict[str, Any]:
    projection = {"ProjectionType": raw["ProjectionType"]}
    if raw.get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = list(raw["NonKeyAttributes"])
    return projection


def _ttl_attribute(model: Any) -> str | None:
    from pynamodb.attributes import TTLAttribute

    names = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
    if len(names) > 1:
        raise ValueError(f"{model.__name__} has more than one TTL attribute: {names}")
    return names[0] if names else None


def table_resource(model: Any, base_name: str) -> dict[str, Any]:
    """One AWS::DynamoDB::Table exactly as the model's schema (keys, indexes, TTL)."""
    schema = model._get_schema()
    definitions = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    properties: dict[str, Any] = {
        "TableName": _sub(f"{APP_NAME}-${{Stage}}-{base_name}"),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in sorted(definitions.items())],
        "KeySchema": _key_schema(schema["key_schema"]),
    }
    if schema["global_secondary_indexes"]:
        properties["GlobalSecondaryIndexes"] = [
            {"IndexName": index["index_name"], "KeySchema": _key_schema(index["key_schema"]),
             "Projection": _projection(index["projection"])}
            for index in sorted(schema["global_secondary_indexes"], key=lambda i: i["index_name"])
        ]
    if schema["local_secondary_indexes"]:
        properties["LocalSecondaryIndexes"] = [
            {"IndexName": index["index_name"], "KeySchema": _key_schema(index["key_schema"]),
             "Projection": _projection(index["projection"])}
            for index in sorted(schema["local_secondary_indexes"], key=lambda i: i["index_name"])
        ]
    properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    properties["DeletionProtectionEnabled"] = True
    ttl = _ttl_attribute(model)
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", **RETAIN, **_checkov_skips(_NOT_CMK_TABLE), "Properties": properties}


def table_resources() -> dict[str, Any]:
    from chalicelib.store import models

    resources = {}
    for model in models.ALL_MODELS:
        base_name = models.BASE_NAMES[model]
        resources[_logical_id(base_name, "Table")] = table_resource(model, base_name)
    return resources


# --- everything else ---------------------------------------------------------------------------------------

def lifecycle_configuration() -> dict[str, Any]:
    """chalicelib.adapters.files.LIFECYCLE_RULES in CloudFormation's shape (provisioning uses them as they are)."""
    from chalicelib.adapters import files

    rules = []
    for rule in files.LIFECYCLE_RULES:
        cfn: dict[str, Any] = {"Id": rule["ID"], "Status": rule["Status"]}
        if rule["Filter"].get("Prefix"):
            cfn["Prefix"] = rule["Filter"]["Prefix"]
        if "Expiration" in rule:
            cfn["ExpirationInDays"] = rule["Expiration"]["Days"]
        if "NoncurrentVersionExpiration" in rule:
            noncurrent = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
            cfn["NoncurrentVersionExpiration"] = {"NoncurrentDays": noncurrent}
        if "AbortIncompleteMultipartUpload" in rule:
            cfn["AbortIncompleteMultipartUpload"] = dict(rule["AbortIncompleteMultipartUpload"])
        unknown = set(rule) - {"ID", "Status", "Filter", "Expiration", "NoncurrentVersionExpiration",
                               "AbortIncompleteMultipartUpload"}
        if unknown:
            raise ValueError(f"lifecycle rule {rule['ID']}: no CloudFormation form for {sorted(unknown)}")
        rules.append(cfn)
    return {"Rules": rules}


def bucket_resources() -> dict[str, Any]:
    return {
        "DocumentsBucket": {
            "Type": "AWS::S3::Bucket",
            **RETAIN,
            **_checkov_skips(("CKV_AWS_18", "Objects are read only through presigned links the app makes and "
                                            "audits; server access logs would need a second bucket per stage")),
            "Properties": {
                # Bucket names are global: the account id makes the stage's name free in every account.
                "BucketName": _sub(f"{APP_NAME}-${{Stage}}-documents-${{AWS::AccountId}}"),
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": lifecycle_configuration(),
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            },
        },
        "DocumentsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "DocumentsBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [{"Fn::GetAtt": ["DocumentsBucket", "Arn"]},
                                     _sub("${DocumentsBucket.Arn}/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }],
                },
            },
        },
    }


def identity_resources() -> dict[str, Any]:
    resources: dict[str, Any] = {
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            **RETAIN,
            "Properties": {
                "UserPoolName": _sub(f"{APP_NAME}-${{Stage}}-users"),
                # Accounts are made by the surety; nobody signs up.
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "Schema": [{"Name": "org_id", "AttributeDataType": "String", "Mutable": True}],
                "Policies": {"PasswordPolicy": PASSWORD_POLICY},
                "DeletionProtection": "ACTIVE",
                # TOTP apps may be enrolled by anyone; the pool cannot require it of one group only (see README).
                "MfaConfiguration": "OPTIONAL",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            },
        },
        "UserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "UserPool"},
                "ClientName": "api",
                # Only the app, which knows the secret, can sign people in: calling Cognito directly with a
                # password cannot skip its rules (TOTP for surety staff).
                "GenerateSecret": True,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "ReadAttributes": ["custom:org_id"],
                # A user must never change its own organisation with its access token.
                "WriteAttributes": ["email"],
                "PreventUserExistenceErrors": "ENABLED",
            },
        },
    }
    for group in GROUPS:
        resources[_logical_id(group, "Group")] = {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {"UserPoolId": {"Ref": "UserPool"}, "GroupName": group},
        }
    return resources


def _account_key_policy() -> dict[str, Any]:
    """The account administers a key and IAM policies grant its use (the role's policy names what it may do)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AccountAdministersAndIamPoliciesGrant",
            "Effect": "Allow",
            "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }


def secret_resources() -> dict[str, Any]:
    return {
        "AppSecret": {
            # Every stored 認証キー digest depends on it (each on the version that made it): never deleted.
            "Type": "AWS::SecretsManager::Secret",
            **RETAIN,
            "Properties": {
                "Name": _sub(f"{APP_NAME}-${{Stage}}/app-secret"),
                "Description": "HMAC key material of the service (cursor signing, auth key digests)",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
                # The stage's key: the role's Decrypt grant on it (by alias) covers reading the secret.
                "KmsKeyId": {"Ref": "AuthKeysKey"},
            },
        },
        "AuthKeysKey": {
            "Type": "AWS::KMS::Key",
            **RETAIN,
            "Properties": {
                "Description": "denshi-hosho auth keys",
                "EnableKeyRotation": True,
                "KeyPolicy": _account_key_policy(),
            },
        },
        "AuthKeysKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": _sub(f"alias/{APP_NAME}-${{Stage}}"),
                           "TargetKeyId": {"Ref": "AuthKeysKey"}},
        },
    }


# --- PDF signing (issue 13): the KMS key that signs every stored PDF and where its certificate is kept -------

def signing_resources() -> dict[str, Any]:
    """An asymmetric KMS key (never rotated: a certificate names its public key) and the secret that holds the
    surety's signing certificate chain (PEM), which the operator puts after the CA issues it (README)."""
    return {
        "SigningKey": {
            "Type": "AWS::KMS::Key",
            **RETAIN,
            "Properties": {
                "Description": "denshi-hosho PDF signatures (PAdES)",
                "KeySpec": "ECC_NIST_P256",
                "KeyUsage": "SIGN_VERIFY",
                "KeyPolicy": _account_key_policy(),
            },
        },
        "SigningKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": _sub(f"alias/{APP_NAME}-${{Stage}}-signing"),
                           "TargetKeyId": {"Ref": "SigningKey"}},
        },
        "SigningCertificate": {
            "Type": "AWS::SecretsManager::Secret",
            **RETAIN,
            **_checkov_skips(("CKV_AWS_149", "Holds public certificates only (the key stays in KMS): nothing secret "
                                             "to protect with a customer key")),
            "Properties": {
                "Name": _sub(f"{APP_NAME}-${{Stage}}/signing-certificate"),
                "Description": "PEM: the surety's signing certificate for SigningKey, then its CA chain (no key)",
            },
        },
    }


CHECK_FUNCTION = "DocumentCheck"  # the PDF check's own function (chalicelib/handlers/check_function.py)
CHECK_FUNCTION_NAME = "document_check"  # its name in app.py and .chalice/config.json
# The functions `chalice package` makes from app.py (logical ids), what triggers each, and its reserved concurrency.
FUNCTIONS = {
    CHALICE_FUNCTION: ("Invoked synchronously by API Gateway only: a dead-letter queue serves async calls",
                       RESERVED_CONCURRENCY),
    # A flood of hostile uploads queues here (throttled: the API answers 503 at once) and takes nothing else.
    CHECK_FUNCTION: ("Invoked synchronously (RequestResponse) by the API function only: its caller sees every failure",
                     CHECK_FUNCTION_RESERVED_CONCURRENCY),
    # The outbox's consumer: a failed batch returns to the queue, whose redrive policy parks it in the DLQ.
    "OutboxConsumer": ("Invoked by the SQS event source: failed messages go to the outbox queue's DLQ", 5),
    # The sweep: a missed run is made good by the next one a minute later (the outbox is the record).
    "OutboxSweep": ("Invoked every minute by a schedule: the next run redoes a failed one from the outbox table",
                    1),
}


def function_resources() -> dict[str, Any]:
    """What `chalice package --merge-template` merges into each function it makes: the pool, client and bucket
    of this stack, so one deploy of a new stage works (the stage's config.json leaves them empty), and to the API
    the check function's name; tracing, reserved concurrency, and a log group with its retention. The check
    function is handed everything it needs and is told nothing of the stack."""
    resources: dict[str, Any] = {}
    stack = {
        "APP_USER_POOL_ID": {"Ref": "UserPool"},
        "APP_USER_POOL_CLIENT_ID": {"Ref": "UserPoolClient"},
        "APP_BUCKET": {"Ref": "DocumentsBucket"},
    }
    for function, (no_dlq, concurrency) in FUNCTIONS.items():
        properties: dict[str, Any] = {}
        if function == CHALICE_FUNCTION:
            properties["Environment"] = {"Variables": {**stack, "APP_DOCUMENT_CHECK_FUNCTION": {"Ref": CHECK_FUNCTION}}}
        elif function != CHECK_FUNCTION:
            properties["Environment"] = {"Variables": stack}
        resources[function] = {
            "Type": "AWS::Serverless::Function",
            **_checkov_skips(
                ("CKV_AWS_173", "The environment holds resource names only; secrets are read from Secrets Manager"),
                ("CKV_AWS_117", "Reaches only AWS APIs over TLS; no VPC resources, so no VPC and its NAT or endpoints"),
                ("CKV_AWS_116", no_dlq),
            ),
            "Properties": {
                **properties,
                "Tracing": "Active",
                # A runaway caller cannot take the account's whole concurrency (nor run up DynamoDB and KMS).
                "ReservedConcurrentExecutions": concurrency,
            },
        }
        # Made by the stack (not on the first invocation) so that its retention is set.
        resources[f"{function}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            **RETAIN,
            **_checkov_skips(_LOGS_NOT_CMK),
            "Properties": {"LogGroupName": _sub(f"/aws/lambda/${{{function}}}"),
                           "RetentionInDays": LOG_RETENTION_DAYS},
        }
    return resources


_LOGS_NOT_CMK = ("CKV_AWS_158", "Log lines carry allow-listed fields only (chalicelib/logs.py): no key, token or "
                                 "link; encrypted at rest by CloudWatch Logs")
_ERROR_BODY = '{"code": "%s", "message": "%s"}'


def api_resources() -> dict[str, Any]:
    """What the stack adds to chalice's API: the {code, message} envelope for API Gateway's own answers (an
    unknown route or method never echoes the Authorization header), throttling (stricter at the login),
    access logs, X-Ray, and a WAF rate limit per client."""
    login = "/~1v1~1auth~1login"  # a MethodSetting path: "/" is written "~1"
    not_found = _ERROR_BODY % ("not_found", "指定されたURLは存在しません。")
    return {
        CHALICE_API: {
            "Type": "AWS::Serverless::Api",
            **_checkov_skips(("CKV_AWS_120", "Every answer is per caller, Cache-Control: no-store: nothing to cache")),
            "Properties": {
                "TracingEnabled": True,
                "AccessLogSetting": {
                    "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
                    # No header, no query string: they may carry tokens.
                    "Format": json.dumps({
                        "requestId": "$context.requestId", "time": "$context.requestTime",
                        "ip": "$context.identity.sourceIp", "method": "$context.httpMethod",
                        "route": "$context.resourcePath", "status": "$context.status",
                        "latencyMs": "$context.responseLatency", "wafStatus": "$context.waf.status",
                    }),
                },
                "MethodSettings": [
                    {"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True,
                     "ThrottlingRateLimit": STAGE_THROTTLE[0], "ThrottlingBurstLimit": STAGE_THROTTLE[1]},
                    {"ResourcePath": login, "HttpMethod": "POST", "MetricsEnabled": True,
                     "ThrottlingRateLimit": LOGIN_THROTTLE[0], "ThrottlingBurstLimit": LOGIN_THROTTLE[1]},
                ],
                "GatewayResponses": {
                    # API Gateway answers an unknown route or method itself (403 "Missing Authentication Token",
                    # or an error quoting the Authorization header): the same 404 envelope as the app's.
                    "MISSING_AUTHENTICATION_TOKEN": _gateway_response(404, not_found),
                    "DEFAULT_4XX": _gateway_response(None, _ERROR_BODY % (
                        "bad_request", "リクエストを処理できませんでした。")),
                    "THROTTLED": _gateway_response(429, _ERROR_BODY % (
                        "too_many_requests", "リクエストが多すぎます。時間をおいて再度お試しください。")),
                    "DEFAULT_5XX": _gateway_response(None, _ERROR_BODY % (
                        "internal_error", "内部エラーが発生しました。時間をおいて再度お試しください。")),
                },
            },
        },
        "ApiAccessLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            **RETAIN,
            **_checkov_skips(_LOGS_NOT_CMK),
            "Properties": {"LogGroupName": _sub(f"/aws/apigateway/{APP_NAME}-${{Stage}}-access"),
                           "RetentionInDays": LOG_RETENTION_DAYS},
        },
        "ApiWebAcl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": _sub(f"{APP_NAME}-${{Stage}}-api"),
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": _waf_visibility("api"),
                "Rules": [
                    {"Name": "rate-per-ip", "Priority": 0, "Action": {"Block": {}},
                     "Statement": {"RateBasedStatement": {"Limit": WAF_RATE_PER_5_MINUTES, "AggregateKeyType": "IP"}},
                     "VisibilityConfig": _waf_visibility("rate-per-ip")},
                    # Known-bad inputs (e.g. Log4j probes) by AWS's managed rule group.
                    {"Name": "known-bad-inputs", "Priority": 1, "OverrideAction": {"None": {}},
                     "Statement": {"ManagedRuleGroupStatement": {
                         "VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}},
                     "VisibilityConfig": _waf_visibility("known-bad-inputs")},
                ],
            },
        },
        "ApiWebAclAssociation": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "DependsOn": f"{CHALICE_API}{_api_stage_name()}Stage",
            "Properties": {
                "ResourceArn": _sub(f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{CHALICE_API}}}"
                                    f"/stages/{_api_stage_name()}"),
                "WebACLArn": {"Fn::GetAtt": ["ApiWebAcl", "Arn"]},
            },
        },
    }


def signing_statements(env: dict[str, str]) -> list[dict[str, Any]]:
    """kms:Sign and kms:GetPublicKey on the signing key only; the certificate chain's secret, read only."""
    return [
        {
            "Sid": "PdfSigning",
            "Effect": "Allow",
            "Action": ["kms:Sign", "kms:GetPublicKey"],
            "Resource": f"arn:aws:kms:{REGION}:*:key/*",
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": env["APP_SIGNING_KEY_ID"]}},
        },
        {
            "Sid": "SigningCertificate",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": f"arn:aws:secretsmanager:{REGION}:*:secret:{env['APP_SIGNING_CERT_SECRET_ID']}-??????",
        },
    ]


def _api_stage_name() -> str:
    with open(os.path.join(PROJECT_DIR, ".chalice", "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    names = {config["stages"][stage].get("api_gateway_stage", "api") for stage in DEPLOYED_STAGES}
    if len(names) != 1:
        raise ValueError(f"deployed stages must share one api_gateway_stage (the template is shared): {names}")
    return names.pop()


def _gateway_response(status: int | None, body: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "ResponseTemplates": {"application/json": body},
        "ResponseParameters": {"Headers": {"Cache-Control": "'no-store'",
                                           "Content-Type": "'application/json; charset=utf-8'"}},
    }
    if status is not None:
        response["StatusCode"] = str(status)
    return response


def _waf_visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def _alarm(description: str, namespace: str, metric: str, dimensions: dict[str, Any], threshold: float,
           statistic: str = "Sum") -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace, "MetricName": metric, "Statistic": statistic,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Period": 300, "EvaluationPeriods": 1, "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}],
        },
    }


# --- the outbox queue (issue 14) ----------------------------------------------------------------------------

OUTBOX_VISIBILITY_SECONDS = 180  # six times the consumer's 30 s timeout, as AWS advises for event sources
OUTBOX_MAX_RECEIVES = 5  # a message the consumer failed on five times goes to the DLQ
OUTBOX_DLQ_RETENTION_SECONDS = 14 * 24 * 3600


def outbox_queue_attributes(dlq_arn: str) -> dict[str, str]:
    """The outbox queue's attributes (the local run's emulator gets the same)."""
    return {
        "VisibilityTimeout": str(OUTBOX_VISIBILITY_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": OUTBOX_MAX_RECEIVES}),
    }


_SQS_MANAGED_SSE = ("CKV_AWS_27", "Encrypted at rest by SQS (SqsManagedSseEnabled); a message names a notice id only, "
                                   "never its content")


def queue_resources() -> dict[str, Any]:
    """The outbox queue and its DLQ. The consumer's event source (Chalice's `on_sqs_message`) and the
    sweep's schedule are made by `chalice package`/`deploy` from app.py."""
    return {
        "OutboxDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            **_checkov_skips(_SQS_MANAGED_SSE),
            "Properties": {
                "QueueName": _sub(f"{APP_NAME}-${{Stage}}-outbox-dlq"),
                "MessageRetentionPeriod": OUTBOX_DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        "OutboxQueue": {
            "Type": "AWS::SQS::Queue",
            **_checkov_skips(_SQS_MANAGED_SSE),
            "Properties": {
                "QueueName": _sub(f"{APP_NAME}-${{Stage}}-outbox"),
                "VisibilityTimeout": OUTBOX_VISIBILITY_SECONDS,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["OutboxDeadLetterQueue", "Arn"]},
                                  "maxReceiveCount": OUTBOX_MAX_RECEIVES},
            },
        },
    }


def monitoring_resources() -> dict[str, Any]:
    """Alarms to one SNS topic (subscribe the on-call address, README): API 5xx, Lambda errors and throttles,
    the outbox's functions failing and its dead-letter queue, DynamoDB throttles per table, SES bounces and
    complaints."""
    from chalicelib.store import models

    api = {"ApiName": APP_NAME, "Stage": _api_stage_name()}
    function = {"FunctionName": {"Ref": CHALICE_FUNCTION}}
    resources: dict[str, Any] = {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": _sub(f"{APP_NAME}-${{Stage}}-alarms"), "KmsMasterKeyId": "alias/aws/sns"},
        },
        "Api5xxAlarm": _alarm("API answers 5xx", "AWS/ApiGateway", "5XXError", api, 5),
        "LambdaErrorsAlarm": _alarm("Lambda errors", "AWS/Lambda", "Errors", function, 5),
        "LambdaThrottlesAlarm": _alarm("Lambda throttled (reserved concurrency reached)", "AWS/Lambda",
                                       "Throttles", function, 1),
        # Reputation: SES pauses sending above 5 % bounces or 0.1 % complaints.
        "SesBounceAlarm": _alarm("SES bounce rate", "AWS/SES", "Reputation.BounceRate", {}, 0.05, "Maximum"),
        "SesComplaintAlarm": _alarm("SES complaint rate", "AWS/SES", "Reputation.ComplaintRate", {}, 0.001,
                                    "Maximum"),
    }
    for worker in (f for f in FUNCTIONS if f != CHALICE_FUNCTION):  # the check, the outbox's consumer and sweep
        resources[f"{worker}ErrorsAlarm"] = _alarm(f"{worker} errors", "AWS/Lambda", "Errors",
                                                   {"FunctionName": {"Ref": worker}}, 1)
    # Uploads beyond the check's reserved concurrency: someone may be flooding it (each answered 503).
    resources[f"{CHECK_FUNCTION}ThrottlesAlarm"] = _alarm(
        "PDF check throttled (its reserved concurrency reached)", "AWS/Lambda", "Throttles",
        {"FunctionName": {"Ref": CHECK_FUNCTION}}, 1)
    # A notice message the consumer failed on five times: someone must look (the outbox still holds the notice).
    resources["OutboxDeadLetterAlarm"] = _alarm(
        "Outbox messages in the dead-letter queue", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
        {"QueueName": {"Fn::GetAtt": ["OutboxDeadLetterQueue", "QueueName"]}}, 1, "Maximum")
    for model in models.ALL_MODELS:
        logical = _logical_id(models.BASE_NAMES[model], "Table")
        resources[f"{logical}ThrottleAlarm"] = _alarm(
            f"DynamoDB throttled requests on {models.BASE_NAMES[model]}", "AWS/DynamoDB", "ThrottledRequests",
            {"TableName": {"Ref": logical}}, 1)
    return resources


def pin_stage(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """The packaged template with its `Stage` parameter fixed to the stage chalice packaged: the resource names
    (Stage) and the role's policy and function environment (the packaged stage) cannot disagree."""
    tag = template["Resources"][CHALICE_FUNCTION]["Properties"]["Tags"]["aws-chalice"]
    packaged = dict(part.split("=", 1) for part in tag.split(":"))["stage"]
    if packaged != stage:
        raise ValueError(f"the package is of stage {packaged!r}, not {stage!r}")
    if stage not in DEPLOYED_STAGES:
        raise ValueError(f"{stage!r} is not a deployed stage {DEPLOYED_STAGES}")
    pinned = json.loads(json.dumps(template))
    pinned["Parameters"]["Stage"] = {**pinned["Parameters"]["Stage"], "Default": stage, "AllowedValues": [stage]}
    # The policy files cannot name a pool, function or log group that the stack has not made yet: each role's
    # grants on the pool are bound here to this stack's pool; the invoke grant to this stack's check function, in
    # the API's role only (the outbox's functions share the API's policy file and never check a PDF); the check
    # role's log grant to this stack's check function's log group.
    roles = {function: pinned["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
             for function in FUNCTIONS if function in pinned["Resources"]}
    for name, resource in pinned["Resources"].items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        bound = {sid: {"Fn::GetAtt": ["UserPool", "Arn"]} for sid in POOL_SIDS}
        if name == roles.get(CHALICE_FUNCTION):
            bound[CHECK_INVOKE_SID] = {"Fn::GetAtt": [CHECK_FUNCTION, "Arn"]}
        if name == roles.get(CHECK_FUNCTION):
            # The stack names the function <stack>-DocumentCheck-<suffix> (the log group's ARN itself would make a
            # cycle: group -> function -> role -> group).
            group = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/" \
                    f"${{AWS::StackName}}-{CHECK_FUNCTION}-*"
            bound["Logs"] = [_sub(group), _sub(f"{group}:log-stream:*")]
        for policy in resource["Properties"].get("Policies", []):
            document = policy["PolicyDocument"]
            document["Statement"] = [{**statement, "Resource": bound.get(statement.get("Sid"), statement["Resource"])}
                                     for statement in document["Statement"]
                                     if statement.get("Sid") != CHECK_INVOKE_SID or CHECK_INVOKE_SID in bound]
    return pinned


def queue_statements(stage: str) -> list[dict[str, Any]]:
    """The role's queue actions: the API and the sweep send (after finding the URL by name); the event source
    mapping receives, deletes and reads the queue's attributes on the consumer's behalf."""
    queue = f"arn:aws:sqs:{REGION}:*:{stage_environment(stage)['APP_OUTBOX_QUEUE']}"
    return [
        {
            "Sid": "OutboxQueueSend",
            "Effect": "Allow",
            "Action": ["sqs:GetQueueUrl", "sqs:SendMessage"],
            "Resource": queue,
        },
        {
            "Sid": "OutboxQueueConsume",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": queue,
        },
    ]


# --- machine clients (issue 14) -----------------------------------------------------------------------------

RESOURCE_SERVER = "verifications"  # the same as chalicelib.adapters.identity.RESOURCE_SERVER
MACHINE_SCOPE_NAMES = {"write": "verify certificates (POST /v1/verifications)",
                       "read": "list verified certificates (GET /v1/verifications)"}


def machine_client_resources() -> dict[str, Any]:
    """The resource server whose scopes machine clients get, and the pool's domain (its token endpoint,
    https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token). Clients themselves are made by the
    surety through the API, one per owner system."""
    return {
        "VerificationsResourceServer": {
            "Type": "AWS::Cognito::UserPoolResourceServer",
            "Properties": {
                "UserPoolId": {"Ref": "UserPool"},
                "Identifier": RESOURCE_SERVER,
                "Name": RESOURCE_SERVER,
                "Scopes": [{"ScopeName": n, "ScopeDescription": d} for n, d in MACHINE_SCOPE_NAMES.items()],
            },
        },
        "UserPoolDomain": {
            "Type": "AWS::Cognito::UserPoolDomain",
            "Properties": {"UserPoolId": {"Ref": "UserPool"}, "Domain": {"Ref": "TokenDomainPrefix"}},
        },
    }


MACHINE_CLIENTS_SID = "MachineClients"
APP_CLIENT_SECRET_SID = "AppClientSecret"
POOL_SIDS = (MACHINE_CLIENTS_SID, APP_CLIENT_SECRET_SID)  # bound to the stack's own pool when packaged


def machine_client_statements(stage: str) -> list[dict[str, Any]]:
    """The stage's pool: the surety's route makes and deletes machine clients, and sign-in reads the app client's
    secret for SECRET_HASH (and nothing else of it)."""
    pool = f"arn:aws:cognito-idp:{REGION}:*:userpool/{stage_environment(stage).get('APP_USER_POOL_ID') or '*'}"
    return [
        {
            "Sid": MACHINE_CLIENTS_SID,
            "Effect": "Allow",
            "Action": ["cognito-idp:CreateUserPoolClient", "cognito-idp:DeleteUserPoolClient"],
            "Resource": pool,
        },
        {"Sid": APP_CLIENT_SECRET_SID, "Effect": "Allow", "Action": "cognito-idp:DescribeUserPoolClient",
         "Resource": pool},
    ]


def resources_template() -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "denshi-hosho: the stage's data, identity and key resources (generated by scripts/infra.py)",
        "Parameters": {
            "Stage": {
                "Type": "String",
                "AllowedValues": list(DEPLOYED_STAGES),
                "Description": "Chalice stage; names match its environment in .chalice/config.json",
            },
            "TokenDomainPrefix": {
                "Type": "String",
                "Description": "Cognito domain prefix of the token endpoint (globally unique), e.g. denshi-hosho-prod",
            },
        },
        "Resources": {
            **table_resources(),
            **bucket_resources(),
            **identity_resources(),
            **secret_resources(),
            **signing_resources(),
            **function_resources(),
            **api_resources(),
            **monitoring_resources(),
            **queue_resources(),
            **machine_client_resources(),
        },
        "Outputs": {
            "UserPoolId": {"Description": "APP_USER_POOL_ID", "Value": {"Ref": "UserPool"}},
            "UserPoolClientId": {"Description": "APP_USER_POOL_CLIENT_ID", "Value": {"Ref": "UserPoolClient"}},
            "DocumentsBucketName": {"Value": {"Ref": "DocumentsBucket"}},
            "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
            "AppSecretArn": {"Value": {"Ref": "AppSecret"}},
            "AuthKeysKeyArn": {"Value": {"Fn::GetAtt": ["AuthKeysKey", "Arn"]}},
            "SigningKeyArn": {"Value": {"Fn::GetAtt": ["SigningKey", "Arn"]}},
            "SigningCertificateArn": {"Value": {"Ref": "SigningCertificate"}},
            "OutboxQueueArn": {"Value": {"Fn::GetAtt": ["OutboxQueue", "Arn"]}},
        },
    }


# --- rolling new indexes out (docs/ARCHITECTURE.md, deployment) -------------------------------------------
# CloudFormation (like UpdateTable) creates or deletes one global secondary index per table per stack update. Each
# table's indexes that a deployed stage gains, in the order they are added: `--rollout-step K` writes the template
# with the first K of each list (a table can gain one in the same update as another table gains one). Step 0 is
# the tables as they were; the last step is infra/resources.json. Append a new index of an existing table here.
ROLLOUT_INDEXES: dict[str, list[str]] = {
    # Issue 20: the search indexes of guarantees. First those the released features need (partial match, the
    # 中間前払 check), then the contractor's new searches, then the surety's.
    "guarantees": ["by-contractor-text", "works", "by-contractor-obligee", "by-contractor-contract-date",
                   "by-contractor-guarantee-amount", "by-contractor-contract-amount", "by-obligee",
                   "by-issued-month"],
    # The owner's 確認済み一覧 by 確認日時 and the console's contractor lookup by name: one each, in the first update.
    "verifications": ["by-verified-at"],
    "contractors": ["by-name"],
}


def rollout_steps() -> int:
    return max((len(names) for names in ROLLOUT_INDEXES.values()), default=0)


def rollout_template(step: int) -> dict[str, Any]:
    """resources_template() with, per table, only the first `step` of its ROLLOUT_INDEXES (and the attribute
    definitions their keys use: CloudFormation refuses a definition no key uses)."""
    template = resources_template()
    for base_name, names in ROLLOUT_INDEXES.items():
        properties = template["Resources"][_logical_id(base_name, "Table")]["Properties"]
        left_out = set(names[step:])
        indexes = [i for i in properties.get("GlobalSecondaryIndexes", []) if i["IndexName"] not in left_out]
        if indexes:
            properties["GlobalSecondaryIndexes"] = indexes
        else:
            properties.pop("GlobalSecondaryIndexes", None)
        used = {k["AttributeName"] for k in properties["KeySchema"]}
        used |= {k["AttributeName"] for i in indexes for k in i["KeySchema"]}
        definitions = properties["AttributeDefinitions"]
        properties["AttributeDefinitions"] = [d for d in definitions if d["AttributeName"] in used]
    return template


# --- IAM ---------------------------------------------------------------------------------------------------

def table_statements(table_prefix: str) -> list[dict[str, Any]]:
    """One statement per table: its own actions on it (and its indexes, where it has any)."""
    from chalicelib.store import models

    statements = []
    for model in models.ALL_MODELS:
        base_name = models.BASE_NAMES[model]
        if base_name not in TABLE_ACTIONS:
            raise ValueError(f"scripts/infra.py TABLE_ACTIONS: say what the app does to the {base_name} table")
        table = f"arn:aws:dynamodb:{REGION}:*:table/{table_prefix}{base_name}"
        schema = model._get_schema()
        indexed = bool(schema["global_secondary_indexes"] or schema["local_secondary_indexes"])
        statements.append({
            "Sid": _logical_id(base_name, "Table"),
            "Effect": "Allow",
            "Action": TABLE_ACTIONS[base_name],
            "Resource": [table, f"{table}/index/*"] if indexed else table,
        })
    return statements


def policy_document(stage: str) -> dict[str, Any]:
    """The Lambda role of `stage`: logs, its own tables and indexes, bucket objects, one sender, one secret,
    the key behind its alias. No `*` resource on any data."""
    from chalicelib.adapters import files

    env = stage_environment(stage)
    function = f"{APP_NAME}-{stage}"  # `chalice deploy` names it so; a stack named so prefixes its functions
    table_prefix = env["APP_TABLE_PREFIX"]
    # A deployed stage's bucket ends in its account id (the template's name); the local one has no suffix.
    bucket = env["APP_BUCKET"] + (f"-{ACCOUNT_SUFFIX}" if stage in DEPLOYED_STAGES else "")
    key_notices = files.KEY_NOTICES_PREFIX
    logs = f"arn:aws:logs:{REGION}:*:log-group:/aws/lambda/{function}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            *runtime_statements([f"{logs}*"]),
            *table_statements(table_prefix),
            {
                # PutObject: PDFs; GetObject: HeadObject and the presigned GET links (signed by this role).
                "Sid": "Documents",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
            {
                # ListBucket: without it a HeadObject of a missing PDF answers 403, not 404.
                # ListBucketVersions: re-issuing a key finds every version of the old key notices.
                "Sid": "DocumentsList",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                # Re-issuing a key deletes every version of the old key notices (DeleteObjects with version ids
                # is authorised per key as DeleteObjectVersion); certificates are never deleted.
                "Sid": "KeyNoticesDelete",
                "Effect": "Allow",
                "Action": "s3:DeleteObjectVersion",
                "Resource": f"arn:aws:s3:::{bucket}/{key_notices}*",
            },
            {
                "Sid": "Notifications",
                "Effect": "Allow",
                "Action": "ses:SendEmail",
                "Resource": f"arn:aws:ses:{REGION}:*:identity/*",
                "Condition": {"StringEquals": {"ses:FromAddress": env["APP_SENDER_EMAIL"]}},
            },
            {
                "Sid": "AppSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                # Secrets Manager appends "-" and six random characters to the name.
                "Resource": f"arn:aws:secretsmanager:{REGION}:*:secret:{env['APP_SECRET_ID']}-??????",
            },
            {
                "Sid": "AuthKeyEncryption",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": f"arn:aws:kms:{REGION}:*:key/*",
                # Only the key behind this stage's alias (Decrypt names no alias, so not kms:RequestAlias).
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": env["APP_KMS_KEY_ID"]}},
            },
            *signing_statements(env),
            *queue_statements(stage),
            *machine_client_statements(stage),
            {
                # The PDF check runs in its own function: the API hands the upload over and reads the answer.
                "Sid": CHECK_INVOKE_SID,
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": f"arn:aws:lambda:{REGION}:*:function:{check_function_name(stage)}",
            },
        ],
    }


CHECK_INVOKE_SID = "DocumentCheckInvoke"


def check_function_name(stage: str) -> str:
    """The check function's name as `chalice deploy` names it (a packaged stack binds the grant to its own)."""
    return f"{APP_NAME}-{stage}-{CHECK_FUNCTION_NAME}"


def check_policy_document(stage: str) -> dict[str, Any]:
    """The check function's role: its log lines and X-Ray segments, nothing else. It is handed the PDF and our
    certificates, reads no secret, key, table or bucket, and calls no AWS API of its own."""
    logs = f"arn:aws:logs:{REGION}:*:log-group:/aws/lambda/"
    # `chalice deploy` names it denshi-hosho-<stage>-document_check, a stack <stack>-DocumentCheck-<suffix>.
    groups = [f"{logs}{check_function_name(stage)}", f"{logs}{APP_NAME}-{stage}-{CHECK_FUNCTION}-*"]
    return {"Version": "2012-10-17", "Statement": runtime_statements(groups)}


def runtime_statements(log_groups: list[str]) -> list[dict[str, Any]]:
    """What the Lambda runtime does for a function: write its log lines (to these groups) and X-Ray segments."""
    return [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [*log_groups, *(f"{group}:log-stream:*" for group in log_groups)],
        },
        {
            # The function's X-Ray segments (Tracing: Active); X-Ray has no resource-level permissions.
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
    ]


# --- files -------------------------------------------------------------------------------------------------

def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generated_files() -> dict[str, str]:
    """Relative path -> content of every generated file."""
    files = {RESOURCES_PATH: render(resources_template())}
    for stage in POLICY_STAGES:
        files[os.path.join(".chalice", f"policy-{stage}.json")] = render(policy_document(stage))
        files[os.path.join(".chalice", check_policy_file(stage))] = render(check_policy_document(stage))
    return files


def check_policy_file(stage: str) -> str:
    """The check function's policy file, as .chalice/config.json names it for the stage."""
    return f"policy-document-check-{stage}.json"


def stale_files(files: dict[str, str] | None = None) -> list[str]:
    stale = []
    for path, content in (files or generated_files()).items():
        try:
            with open(os.path.join(PROJECT_DIR, path), encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != content:
            stale.append(path)
    return stale


def write_files() -> list[str]:
    written = []
    files = generated_files()
    for path in stale_files(files):
        full = os.path.join(PROJECT_DIR, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(files[path])
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="fail if a generated file is stale; write nothing")
    parser.add_argument("--pin-stage", nargs=2, metavar=("SAM_JSON", "STAGE"),
                        help="fix the Stage parameter of a `chalice package` template to the stage it packaged")
    parser.add_argument("--rollout-step", type=int, metavar="K",
                        help="write the template with the first K new indexes of each table (ROLLOUT_INDEXES; "
                             f"0..{rollout_steps()}) to --output, for one stack update each")
    parser.add_argument("--output", metavar="PATH", help="where --rollout-step writes (default: stdout)")
    args = parser.parse_args(argv)
    if args.rollout_step is not None:
        if not 0 <= args.rollout_step <= rollout_steps():
            parser.error(f"--rollout-step is 0..{rollout_steps()}")
        text = render(rollout_template(args.rollout_step))
        if args.output:
            os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
        return 0
    if args.pin_stage:
        path, stage = args.pin_stage
        with open(path, encoding="utf-8") as f:
            pinned = pin_stage(json.load(f), stage)
        with open(path, "w", encoding="utf-8") as f:
            f.write(render(pinned))
        return 0
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path} (run `python -m scripts.infra`)", file=sys.stderr)
        return 1 if stale else 0
    for path in write_files():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
