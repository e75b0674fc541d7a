"""Create every AWS resource the service needs in an account (the emulator, locally and in tests).

Each step is safe to run again: what exists is kept. The same code builds the local run and every test's
emulated account, so the tests exercise the resources the local run has.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass

from chalicelib.adapters import aws, files
from chalicelib.config import Settings
from chalicelib.store import connection, models

GROUPS = ("surety", "contractor", "obligee")
POOL_NAME_SUFFIX = "users"


@dataclass(frozen=True)
class Identity:
    user_pool_id: str
    client_id: str


def _client(service: str, settings: Settings):  # noqa: ANN202 - boto3 clients are untyped
    # The app's shared session: its loaded models make each client cheap (tests provision per test).
    return aws.client(service, settings.region)


def create_tables(settings: Settings) -> None:
    connection.bind(settings.table_prefix, settings.region)
    for model in models.ALL_MODELS:
        # pynamodb's create_table creates a missing table only (it asks exists() itself: asking first doubled the
        # DescribeTable calls of every account the tests build) and turns on TTL where the model has a TTLAttribute
        # (idempotency, throttle). No waiting: the emulator creates a table ACTIVE (on AWS the stack creates them).
        model.create_table(wait=False, billing_mode="PAY_PER_REQUEST")


def create_outbox_queue(settings: Settings) -> None:
    """The outbox queue and its dead-letter queue, configured as the generated stack configures them."""
    from scripts.infra import outbox_queue_attributes

    sqs = _client("sqs", settings)
    dlq_url = sqs.create_queue(QueueName=f"{settings.outbox_queue}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(QueueName=settings.outbox_queue, Attributes=outbox_queue_attributes(dlq_arn))


def create_bucket(settings: Settings) -> None:
    s3 = _client("s3", settings)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if settings.bucket not in existing:
        s3.create_bucket(Bucket=settings.bucket,
                         CreateBucketConfiguration={"LocationConstraint": settings.region})
    s3.put_bucket_versioning(Bucket=settings.bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=settings.bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=settings.bucket,
        LifecycleConfiguration={"Rules": files.LIFECYCLE_RULES},  # the same rules as the deployed bucket
    )
    s3.put_public_access_block(
        Bucket=settings.bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )


def verify_sender(settings: Settings) -> None:
    _client("ses", settings).verify_email_identity(EmailAddress=settings.sender_email)


def create_secret(settings: Settings) -> None:
    sm = _client("secretsmanager", settings)
    try:
        sm.describe_secret(SecretId=settings.secret_id)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=settings.secret_id, SecretBinary=base64.b64encode(secrets.token_bytes(32)))


def create_kms_key(settings: Settings) -> str:
    kms = _client("kms", settings)
    alias = settings.kms_key_id if settings.kms_key_id.startswith("alias/") else None
    if alias:
        for entry in kms.list_aliases()["Aliases"]:
            if entry["AliasName"] == alias and entry.get("TargetKeyId"):
                return entry["TargetKeyId"]
    key_id = kms.create_key(Description="denshi-hosho auth keys")["KeyMetadata"]["KeyId"]
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id


SIGNING_KEY_SPEC = "ECC_NIST_P256"  # small signatures and certificates; RSA_2048 works the same way
DEMO_CA_NAME = "電子保証 デモ認証局 (検証用)"  # never trusted on AWS


def create_signing_key(settings: Settings) -> str:
    """The asymmetric KMS key that signs every stored PDF; its private half never leaves KMS."""
    kms = _client("kms", settings)
    alias = settings.signing.key_id
    for entry in kms.list_aliases()["Aliases"]:
        if entry["AliasName"] == alias and entry.get("TargetKeyId"):
            return str(entry["TargetKeyId"])
    key_id = kms.create_key(Description="denshi-hosho PDF signatures", KeyUsage="SIGN_VERIFY",
                            KeySpec=SIGNING_KEY_SPEC)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return str(key_id)


def demo_signing_chain(settings: Settings, public_key_der: bytes) -> str:
    """PEM: a certificate for the KMS key's public key, issued by a demo CA made here, then the CA.

    The CA's private key exists only inside this call: the demo CA issues this one certificate. On AWS the
    surety's certificate from a real CA is stored instead (README, signed PDFs).
    """
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                         x509.NameAttribute(NameOID.COMMON_NAME, DEMO_CA_NAME)])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signer_public_key = serialization.load_der_public_key(public_key_der)
    signer_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.surety.name),
                             x509.NameAttribute(NameOID.COMMON_NAME, settings.surety.name)])
    signer_cert = (
        x509.CertificateBuilder().subject_name(signer_name).issuer_name(ca_name)
        .public_key(signer_public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_public_key),  # type: ignore[arg-type]
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in (signer_cert, ca_cert))


def create_signing_certificate(settings: Settings, key_id: str) -> None:
    """Store the demo chain for the signing key unless the stage already has a certificate."""
    sm = _client("secretsmanager", settings)
    try:
        sm.describe_secret(SecretId=settings.signing.certificate_secret_id)
        return
    except sm.exceptions.ResourceNotFoundException:
        pass
    public_key = _client("kms", settings).get_public_key(KeyId=key_id)["PublicKey"]
    sm.create_secret(Name=settings.signing.certificate_secret_id,
                     SecretString=demo_signing_chain(settings, public_key))


def create_user_pool(settings: Settings) -> Identity:
    idp = _client("cognito-idp", settings)
    name = f"{settings.table_prefix}{POOL_NAME_SUFFIX}"
    pool_id = next((p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == name), None)
    if pool_id is None:
        pool_id = idp.create_user_pool(
            PoolName=name,
            Schema=[{"Name": "org_id", "AttributeDataType": "String", "Mutable": True}],
            Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": True,
                                         "RequireLowercase": True, "RequireNumbers": True,
                                         "RequireSymbols": True}},
        )["UserPool"]["Id"]
    existing_groups = {g["GroupName"] for g in idp.list_groups(UserPoolId=pool_id)["Groups"]}
    for group in GROUPS:
        if group not in existing_groups:
            idp.create_group(UserPoolId=pool_id, GroupName=group)
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == "api"), None)
    if client_id is None:
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="api",
            GenerateSecret=True,  # only the app can sign people in (SECRET_HASH): its rules cannot be skipped
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            ReadAttributes=["custom:org_id"],
        )["UserPoolClient"]["ClientId"]
    create_resource_server(idp, pool_id)
    return Identity(pool_id, client_id)


def create_resource_server(idp, pool_id: str) -> None:  # noqa: ANN001 - boto3 clients are untyped
    """The scopes machine clients are granted (client credentials), as the generated stack makes them."""
    from scripts.infra import MACHINE_SCOPE_NAMES, RESOURCE_SERVER

    servers = idp.list_resource_servers(UserPoolId=pool_id, MaxResults=50)["ResourceServers"]
    if not any(s["Identifier"] == RESOURCE_SERVER for s in servers):
        idp.create_resource_server(UserPoolId=pool_id, Identifier=RESOURCE_SERVER, Name=RESOURCE_SERVER,
                                   Scopes=[{"ScopeName": n, "ScopeDescription": d}
                                           for n, d in MACHINE_SCOPE_NAMES.items()])


def create_user(settings: Settings, identity: Identity, username: str, password: str, role: str,
                org_id: str | None) -> None:
    idp = _client("cognito-idp", settings)
    attributes = [{"Name": "custom:org_id", "Value": org_id}] if org_id else []
    try:
        idp.admin_create_user(UserPoolId=identity.user_pool_id, Username=username, UserAttributes=attributes,
                              MessageAction="SUPPRESS")
    except idp.exceptions.UsernameExistsException:
        pass
    idp.admin_set_user_password(UserPoolId=identity.user_pool_id, Username=username, Password=password,
                                Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=identity.user_pool_id, Username=username, GroupName=role)


def provision(settings: Settings) -> Identity:
    create_tables(settings)
    create_outbox_queue(settings)
    create_bucket(settings)
    verify_sender(settings)
    create_secret(settings)
    create_kms_key(settings)
    create_signing_certificate(settings, create_signing_key(settings))
    return create_user_pool(settings)


def identity_environment(identity: Identity) -> dict[str, str]:
    return {"APP_USER_POOL_ID": identity.user_pool_id, "APP_USER_POOL_CLIENT_ID": identity.client_id}


if __name__ == "__main__":  # provision the account the environment points at, e.g. a dev stage
    from chalicelib.config import get_settings

    print(json.dumps(identity_environment(provision(get_settings()))))
