"""Generate the deployment files from the code, so they cannot drift from it.

- `infra/resources.json`: the stage's AWS resources as CloudFormation (tables exactly as the pynamodb models
  define them, the documents bucket, the Cognito pool, the app secret, the KMS key). A valid template by itself,
  and a fragment for `chalice package --merge-template`. The stage is the `Stage` parameter.
- `.chalice/policy-<stage>.json`: the Lambda role's least-privilege policy per stage, with every name taken
  from that stage's environment in `.chalice/config.json`.

`python -m scripts.infra` rewrites the files; `python -m scripts.infra --check` fails if they are stale
(tests/test_infra.py does the same).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_NAME = "denshi-hosho"
REGION = "ap-northeast-1"
DEPLOYED_STAGES = ("dev", "prod")
POLICY_STAGES = ("local", "dev", "prod")
RESOURCES_PATH = os.path.join("infra", "resources.json")

# What the app does at run time, and nothing else. pynamodb 6 reads table schemas from the models (no
# DescribeTable); transactions are authorised per item (there is no IAM action for TransactWriteItems).
# Nothing deletes items (audit events and versions are append-only), so DeleteItem is not granted.
DYNAMODB_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
]
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
    ttl = _ttl_attribute(model)
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", **RETAIN, "Properties": properties}


def table_resources() -> dict[str, Any]:
    from chalicelib.store import models

    resources = {}
    for model in models.ALL_MODELS:
        base_name = models.BASE_NAMES[model]
        resources[_logical_id(base_name, "Table")] = table_resource(model, base_name)
    return resources


# --- everything else ---------------------------------------------------------------------------------------

def bucket_resources() -> dict[str, Any]:
    return {
        "DocumentsBucket": {
            "Type": "AWS::S3::Bucket",
            **RETAIN,
            "Properties": {
                "BucketName": _sub(f"{APP_NAME}-${{Stage}}-documents"),
                "VersioningConfiguration": {"Status": "Enabled"},
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
            },
        },
        "UserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "UserPool"},
                "ClientName": "api",
                "GenerateSecret": False,
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


def secret_resources() -> dict[str, Any]:
    return {
        "AppSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": _sub(f"{APP_NAME}-${{Stage}}/app-secret"),
                "Description": "HMAC key material of the service (cursor signing, auth key digests)",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
        "AuthKeysKey": {
            "Type": "AWS::KMS::Key",
            **RETAIN,
            "Properties": {
                "Description": "denshi-hosho auth keys",
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "AccountAdministersAndIamPoliciesGrant",
                        "Effect": "Allow",
                        "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                        "Action": "kms:*",
                        "Resource": "*",
                    }],
                },
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
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "AccountAdministersAndIamPoliciesGrant",
                        "Effect": "Allow",
                        "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                        "Action": "kms:*",
                        "Resource": "*",
                    }],
                },
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
            "Properties": {
                "Name": _sub(f"{APP_NAME}-${{Stage}}/signing-certificate"),
                "Description": "PEM: the surety's signing certificate for SigningKey, then its CA chain (no key)",
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


def queue_resources() -> dict[str, Any]:
    """The outbox queue and its DLQ. The consumer's event source (Chalice's `on_sqs_message`) and the
    sweep's schedule are made by `chalice package`/`deploy` from app.py."""
    return {
        "OutboxDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _sub(f"{APP_NAME}-${{Stage}}-outbox-dlq"),
                "MessageRetentionPeriod": OUTBOX_DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        "OutboxQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _sub(f"{APP_NAME}-${{Stage}}-outbox"),
                "VisibilityTimeout": OUTBOX_VISIBILITY_SECONDS,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["OutboxDeadLetterQueue", "Arn"]},
                                  "maxReceiveCount": OUTBOX_MAX_RECEIVES},
            },
        },
    }


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


def machine_client_statements(stage: str) -> list[dict[str, Any]]:
    """The surety's route makes and deletes app clients of the stage's pool (and nothing else of it)."""
    pool = stage_environment(stage).get("APP_USER_POOL_ID") or "*"
    return [{
        "Sid": "MachineClients",
        "Effect": "Allow",
        "Action": ["cognito-idp:CreateUserPoolClient", "cognito-idp:DeleteUserPoolClient"],
        "Resource": f"arn:aws:cognito-idp:{REGION}:*:userpool/{pool}",
    }]


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
            **queue_resources(),
            **machine_client_resources(),
        },
        "Outputs": {
            "UserPoolId": {"Description": "APP_USER_POOL_ID", "Value": {"Ref": "UserPool"}},
            "UserPoolClientId": {"Description": "APP_USER_POOL_CLIENT_ID", "Value": {"Ref": "UserPoolClient"}},
            "DocumentsBucketName": {"Value": {"Ref": "DocumentsBucket"}},
            "AppSecretArn": {"Value": {"Ref": "AppSecret"}},
            "AuthKeysKeyArn": {"Value": {"Fn::GetAtt": ["AuthKeysKey", "Arn"]}},
            "SigningKeyArn": {"Value": {"Fn::GetAtt": ["SigningKey", "Arn"]}},
            "SigningCertificateArn": {"Value": {"Ref": "SigningCertificate"}},
            "OutboxQueueArn": {"Value": {"Fn::GetAtt": ["OutboxQueue", "Arn"]}},
        },
    }


# --- IAM ---------------------------------------------------------------------------------------------------

def policy_document(stage: str) -> dict[str, Any]:
    """The Lambda role of `stage`: logs, its own tables and indexes, bucket objects, one sender, one secret,
    the key behind its alias. No `*` resource on any data."""
    from chalicelib.adapters import files

    env = stage_environment(stage)
    function = f"{APP_NAME}-{stage}"  # `chalice deploy` names it so; a stack named so prefixes its functions
    table_prefix = env["APP_TABLE_PREFIX"]
    bucket = env["APP_BUCKET"]
    key_notices = files.key_notice_prefix("{n}").partition("{n}")[0]  # "key-notices/"
    logs = f"arn:aws:logs:{REGION}:*:log-group:/aws/lambda/{function}"
    tables = f"arn:aws:dynamodb:{REGION}:*:table/{table_prefix}*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{logs}*", f"{logs}*:log-stream:*"],
            },
            {
                "Sid": "Tables",
                "Effect": "Allow",
                "Action": DYNAMODB_ACTIONS,
                "Resource": [tables, f"{tables}/index/*"],
            },
            {
                # The surety's console lists the registry's contractors (a small table); no other table is scanned.
                "Sid": "ContractorRegistryScan",
                "Effect": "Allow",
                "Action": "dynamodb:Scan",
                "Resource": f"arn:aws:dynamodb:{REGION}:*:table/{table_prefix}contractors",
            },
            {
                # PutObject: PDFs; GetObject: HeadObject and the presigned GET links (signed by this role).
                "Sid": "Documents",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
            {
                # Without it a HeadObject of a missing PDF answers 403, not 404; also lists old key notices.
                "Sid": "DocumentsList",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                # Re-issuing a key withdraws the old key notices; certificates are never deleted.
                "Sid": "KeyNoticesDelete",
                "Effect": "Allow",
                "Action": "s3:DeleteObject",
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
        ],
    }


# --- files -------------------------------------------------------------------------------------------------

def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generated_files() -> dict[str, str]:
    """Relative path -> content of every generated file."""
    files = {RESOURCES_PATH: render(resources_template())}
    for stage in POLICY_STAGES:
        files[os.path.join(".chalice", f"policy-{stage}.json")] = render(policy_document(stage))
    return files


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
    args = parser.parse_args(argv)
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
