"""The deployment files are generated from the code (scripts/infra.py) and must match it."""

from __future__ import annotations

import json
import os
from fnmatch import fnmatchcase

import boto3
import pytest

from scripts import infra

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCOUNT = "123456789012"


def _load(path: str) -> dict:
    with open(os.path.join(PROJECT_DIR, path), encoding="utf-8") as f:
        return json.load(f)


def _template_tables() -> dict[str, dict]:
    resources = _load(infra.RESOURCES_PATH)["Resources"]
    return {r["Properties"]["TableName"]["Fn::Sub"].split("${Stage}-", 1)[1]: r["Properties"]
            for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"}


def _statements(stage: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in _load(os.path.join(".chalice", f"policy-{stage}.json"))["Statement"]}


def _allows(statement: dict, arn: str) -> bool:
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return any(fnmatchcase(arn, pattern) for pattern in resources)


def test_generated_files_are_current():
    assert infra.stale_files() == [], "run `python -m scripts.infra` and commit the result"


def test_every_model_has_its_table():
    from chalicelib.store import models

    tables = _template_tables()
    assert set(tables) == set(models.BASE_NAMES.values())
    for properties in tables.values():
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["KeySchema"][0]["KeyType"] == "HASH"
    assert tables["idempotency"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert tables["guarantees"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by-contractor"


def test_template_tables_are_the_tables_the_tests_run_on(account):
    """What CloudFormation would create is what provisioning creates from the models (keys, types, indexes)."""
    ddb = boto3.client("dynamodb", region_name=account.settings.region)
    for base_name, properties in _template_tables().items():
        live = ddb.describe_table(TableName=account.settings.table_prefix + base_name)["Table"]
        assert sorted(live["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == \
            properties["AttributeDefinitions"], base_name
        assert sorted(live["KeySchema"], key=lambda k: k["KeyType"]) == properties["KeySchema"], base_name
        live_indexes = {i["IndexName"]: (sorted(i["KeySchema"], key=lambda k: k["KeyType"]), i["Projection"])
                        for i in live.get("GlobalSecondaryIndexes", [])}
        template_indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"])
                            for i in properties.get("GlobalSecondaryIndexes", [])}
        assert live_indexes == template_indexes, base_name
        ttl = ddb.describe_time_to_live(TableName=live["TableName"])["TimeToLiveDescription"]
        expected = properties.get("TimeToLiveSpecification")
        assert (ttl.get("AttributeName") if ttl["TimeToLiveStatus"] == "ENABLED" else None) == \
            (expected["AttributeName"] if expected else None), base_name


def test_local_policy_covers_the_resources_provisioning_creates(account):
    """The local stage's policy, read against the ARNs of the emulated account's real resources."""
    statements = _statements("local")
    settings = account.settings
    ddb = boto3.client("dynamodb", region_name=settings.region)
    table_statements = [s for sid, s in statements.items() if sid.endswith("Table")]
    for name in ddb.list_tables()["TableNames"]:
        table = ddb.describe_table(TableName=name)["Table"]
        own = [s for s in table_statements if _allows(s, table["TableArn"])]
        assert len(own) == 1, name  # one statement per table, naming only it
        for index in table.get("GlobalSecondaryIndexes", []):
            index_arn = index.get("IndexArn") or f"{table['TableArn']}/index/{index['IndexName']}"  # moto omits it
            assert _allows(own[0], index_arn), index["IndexName"]
    secret_arn = boto3.client("secretsmanager", region_name=settings.region).describe_secret(
        SecretId=settings.secret_id)["ARN"]
    assert _allows(statements["AppSecret"], secret_arn)
    assert not _allows(statements["AppSecret"], secret_arn + "x")
    assert _allows(statements["Documents"], f"arn:aws:s3:::{settings.bucket}/certificates/2070004426/v1.pdf")
    from chalicelib.adapters import files

    notice = files.key_notice_prefix("2070004426") + "g1/notice.pdf"
    assert _allows(statements["KeyNoticesDelete"], f"arn:aws:s3:::{settings.bucket}/{notice}")
    certificate = files.certificate_key("2070004426", 1)
    assert not _allows(statements["KeyNoticesDelete"], f"arn:aws:s3:::{settings.bucket}/{certificate}")
    assert _allows(statements["DocumentsList"], f"arn:aws:s3:::{settings.bucket}")
    assert statements["Notifications"]["Condition"]["StringEquals"]["ses:FromAddress"] == settings.sender_email
    assert statements["AuthKeyEncryption"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": settings.kms_key_id}}


@pytest.mark.parametrize("stage", infra.POLICY_STAGES)
def test_policies_are_least_privilege(stage):
    env = infra.stage_environment(stage)
    statements = _statements(stage)
    for statement in statements.values():
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Sid"] != "Tracing":  # X-Ray has no resource-level permissions
            assert "*" not in resources, statement["Sid"]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.endswith("*") for a in actions), statement["Sid"]
        assert statement["Effect"] == "Allow"
    table = f"arn:aws:dynamodb:{infra.REGION}:{ACCOUNT}:table/{env['APP_TABLE_PREFIX']}guarantees"
    assert _allows(statements["GuaranteesTable"], table)
    assert _allows(statements["GuaranteesTable"], f"{table}/index/by-contractor")
    assert not _allows(statements["GuaranteesTable"], table.replace("guarantees", "guarantees-x"))
    for other in (s for s in infra.POLICY_STAGES if s != stage):
        other_table = f"arn:aws:dynamodb:{infra.REGION}:{ACCOUNT}:table/denshi-hosho-{other}-guarantees"
        assert not _allows(statements["GuaranteesTable"], other_table)
        assert not _allows(statements["Documents"], f"arn:aws:s3:::denshi-hosho-{other}-documents/x.pdf")
    # No table is ever scanned by the app (tests/test_layers.py keeps Scan out of chalicelib too).
    assert not [sid for sid, s in statements.items() if "dynamodb:Scan" in s["Action"]]
    # An append-only trail: written and read, never changed or removed. What an owner verified is never removed
    # (its row is kept current by the changes of the guarantee).
    assert not {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} & set(statements["AuditEventsTable"]["Action"])
    assert not any("dynamodb:DeleteItem" in s["Action"] for s in statements.values())
    # Reissue deletes old key notices by version (DeleteObjects with version ids), and only those.
    assert statements["KeyNoticesDelete"]["Action"] == "s3:DeleteObjectVersion"
    assert "s3:ListBucketVersions" in statements["DocumentsList"]["Action"]


def test_key_notice_lifecycle_has_one_source():
    """The deployed bucket expires key notices and CSV exports (and their old versions) as the provisioned one
    does."""
    from chalicelib.adapters import files

    bucket = _load(infra.RESOURCES_PATH)["Resources"]["DocumentsBucket"]["Properties"]
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert rules == [{"Id": source["ID"], "Status": "Enabled", "Prefix": prefix, "ExpirationInDays": 1,
                      "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}
                     for source, prefix in zip(files.LIFECYCLE_RULES, (files.KEY_NOTICES_PREFIX, files.EXPORTS_PREFIX),
                                               strict=True)]


def test_the_bucket_of_a_provisioned_account_has_the_same_lifecycle(account):
    from chalicelib.adapters import files

    s3 = boto3.client("s3", region_name=account.settings.region)
    assert s3.get_bucket_lifecycle_configuration(Bucket=account.settings.bucket)["Rules"] == files.LIFECYCLE_RULES


def test_data_and_the_app_secret_outlive_the_stack():
    resources = _load(infra.RESOURCES_PATH)["Resources"]
    for name, resource in resources.items():
        if resource["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SecretsManager::Secret",
                                "AWS::KMS::Key", "AWS::Cognito::UserPool"):
            assert resource.get("DeletionPolicy") == "Retain", name
            assert resource.get("UpdateReplacePolicy") == "Retain", name


def _packaged_template(stage: str) -> dict:
    """The shape `chalice package` gives the functions and roles (one role per function, each with its policy file)."""
    def role(document: dict) -> dict:
        return {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": document}]}}

    def function(role_name: str, **extra: dict) -> dict:
        return {"Type": "AWS::Serverless::Function",
                "Properties": {"Role": {"Fn::GetAtt": [role_name, "Arn"]}, **extra}}

    tags = {"Tags": {"aws-chalice": f"version=1.34.0:stage={stage}:app=denshi-hosho"}}
    return {"Parameters": {"Stage": {"Type": "String", "AllowedValues": list(infra.DEPLOYED_STAGES)}},
            "Resources": {infra.CHALICE_FUNCTION: function("ApiHandlerRole", **tags),
                          "OutboxConsumer": function("OutboxConsumerRole"),
                          infra.CHECK_FUNCTION: function("DocumentCheckRole"),
                          "ApiHandlerRole": role(infra.policy_document(stage)),
                          "OutboxConsumerRole": role(infra.policy_document(stage)),
                          "DocumentCheckRole": role(infra.check_policy_document(stage))}}


def _role_statements(template: dict, role: str) -> dict[str, dict]:
    (policy,) = template["Resources"][role]["Properties"]["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def test_a_packaged_template_accepts_only_the_stage_it_packaged():
    template = _packaged_template("dev")
    pinned = infra.pin_stage(template, "dev")
    assert pinned["Parameters"]["Stage"]["AllowedValues"] == ["dev"]
    assert pinned["Parameters"]["Stage"]["Default"] == "dev"
    # The grants on the pool (machine clients, the app client's secret) name the stack's own pool, not every
    # pool of the account.
    api_role = _role_statements(pinned, "ApiHandlerRole")
    grants = [api_role["MachineClients"], api_role["AppClientSecret"]]
    assert all(g["Resource"] == {"Fn::GetAtt": ["UserPool", "Arn"]} for g in grants)
    assert "userpool/*" in json.dumps(template)  # the input is left as it was
    with pytest.raises(ValueError):
        infra.pin_stage(template, "prod")


def test_a_packaged_stack_lets_only_the_api_invoke_its_own_check_function():
    pinned = infra.pin_stage(_packaged_template("prod"), "prod")
    api_role = _role_statements(pinned, "ApiHandlerRole")
    assert api_role[infra.CHECK_INVOKE_SID] == {
        "Sid": infra.CHECK_INVOKE_SID, "Effect": "Allow", "Action": "lambda:InvokeFunction",
        "Resource": {"Fn::GetAtt": [infra.CHECK_FUNCTION, "Arn"]}}
    # The outbox's functions share the API's policy file but never check a PDF.
    assert infra.CHECK_INVOKE_SID not in _role_statements(pinned, "OutboxConsumerRole")
    check_role = _role_statements(pinned, "DocumentCheckRole")
    assert set(check_role) == {"Logs", "Tracing"}
    group = ("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/"
             "${AWS::StackName}-DocumentCheck-*")
    assert check_role["Logs"]["Resource"] == [{"Fn::Sub": group}, {"Fn::Sub": f"{group}:log-stream:*"}]


def test_one_deploy_gives_the_function_its_stack_s_pool_and_client():
    resources = _load(infra.RESOURCES_PATH)["Resources"]
    function = resources[infra.CHALICE_FUNCTION]["Properties"]
    assert function["Environment"]["Variables"] == {"APP_USER_POOL_ID": {"Ref": "UserPool"},
                                                    "APP_USER_POOL_CLIENT_ID": {"Ref": "UserPoolClient"},
                                                    "APP_BUCKET": {"Ref": "DocumentsBucket"},
                                                    "APP_DOCUMENT_CHECK_FUNCTION": {"Ref": infra.CHECK_FUNCTION}}
    assert "Environment" not in resources[infra.CHECK_FUNCTION]["Properties"]  # it is told nothing of the stack
    assert _load(os.path.join(".chalice", "config.json"))["lambda_timeout"] <= 29  # API Gateway's own limit


def test_the_pdf_check_has_its_own_function_memory_timeout_concurrency_alarms_and_role():
    from chalicelib.adapters import check_function
    from chalicelib.domain import limits

    config = _load(os.path.join(".chalice", "config.json"))
    own = config["lambda_functions"][infra.CHECK_FUNCTION_NAME]
    assert (own["lambda_memory_size"], own["lambda_timeout"]) == (
        limits.CHECK_FUNCTION_MEMORY_MB, limits.CHECK_FUNCTION_TIMEOUT_SECONDS)
    # The API waits for its answer well within API Gateway's 29 s.
    assert limits.CHECK_FUNCTION_TIMEOUT_SECONDS + 5 < config["lambda_timeout"]
    for stage in infra.POLICY_STAGES:
        assert config["stages"][stage]["lambda_functions"][infra.CHECK_FUNCTION_NAME] == {
            "iam_policy_file": infra.check_policy_file(stage)}
    # The name chalice packages it under, and Lambda's handler: the module the local run starts too.
    from app import app

    handlers = {f.name: f.handler_string for f in app.pure_lambda_functions}
    assert handlers == {infra.CHECK_FUNCTION_NAME: f"{check_function.HANDLER_MODULE}.document_check"}
    resources = _load(infra.RESOURCES_PATH)["Resources"]
    check = resources[infra.CHECK_FUNCTION]["Properties"]
    assert check["ReservedConcurrentExecutions"] == limits.CHECK_FUNCTION_RESERVED_CONCURRENCY
    assert check["ReservedConcurrentExecutions"] < resources[infra.CHALICE_FUNCTION]["Properties"][
        "ReservedConcurrentExecutions"]
    alarms = {r["Properties"]["MetricName"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"
              and r["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": infra.CHECK_FUNCTION}}]}
    assert alarms == {"Errors", "Throttles"}
    assert resources[f"{infra.CHECK_FUNCTION}LogGroup"]["Properties"]["RetentionInDays"] == infra.LOG_RETENTION_DAYS


@pytest.mark.parametrize("stage", infra.POLICY_STAGES)
def test_the_api_may_invoke_the_check_function_and_the_check_may_call_nothing(stage):
    invoke = _statements(stage)[infra.CHECK_INVOKE_SID]
    assert invoke["Action"] == "lambda:InvokeFunction"
    assert invoke["Resource"] == f"arn:aws:lambda:{infra.REGION}:*:function:denshi-hosho-{stage}-document_check"
    check = {s["Sid"]: s for s in _load(os.path.join(".chalice", infra.check_policy_file(stage)))["Statement"]}
    assert set(check) == {"Logs", "Tracing"}
    assert all(a.startswith("logs:") for a in check["Logs"]["Action"])
    assert all(f"denshi-hosho-{stage}-" in r for r in check["Logs"]["Resource"])


def test_every_checkov_skip_says_why():
    resources = _load(infra.RESOURCES_PATH)["Resources"]
    skips = [(name, skip) for name, r in resources.items()
             for skip in r.get("Metadata", {}).get("checkov", {}).get("skip", [])]
    assert skips
    for name, skip in skips:
        assert skip["id"].startswith("CKV_") and len(skip.get("comment", "")) > 20, (name, skip)


@pytest.mark.parametrize("stage", infra.DEPLOYED_STAGES)
def test_a_deployed_bucket_is_named_per_account_and_the_role_reaches_exactly_it(stage):
    name = _load(infra.RESOURCES_PATH)["Resources"]["DocumentsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    assert name == "denshi-hosho-${Stage}-documents-${AWS::AccountId}"
    documents = _statements(stage)["Documents"]
    bucket = name.replace("${Stage}", stage).replace("${AWS::AccountId}", ACCOUNT)
    assert _allows(documents, f"arn:aws:s3:::{bucket}/certificates/2070004426/v1.pdf")
    assert not _allows(documents, f"arn:aws:s3:::{bucket}x/certificates/2070004426/v1.pdf")
    assert not _allows(documents, f"arn:aws:s3:::{bucket[:-1]}/certificates/2070004426/v1.pdf")


def test_a_failing_outbox_is_an_alarm_not_a_silence():
    """The consumer and the sweep run without a caller to see their errors: each has an alarm, and so does a
    message parked in the outbox's dead-letter queue."""
    resources = infra.resources_template()["Resources"]
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    for worker in ("OutboxConsumer", "OutboxSweep"):
        (alarm,) = [a for a in alarms.values() if a["Dimensions"] == [{"Name": "FunctionName",
                                                                         "Value": {"Ref": worker}}]
                    and a["MetricName"] == "Errors"]
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    (dlq,) = [a for a in alarms.values() if a["Namespace"] == "AWS/SQS"]
    assert dlq["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["OutboxDeadLetterQueue", "QueueName"]}
    assert dlq["Threshold"] == 1
