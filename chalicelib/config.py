"""Settings of one stage, read from the environment when asked for, never at import.

Chalice's test client and `chalice local` put a stage's variables into the environment only while a
request runs, so nothing here may be cached across calls.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Surety:
    """The surety company printed on certificates and notices."""

    name: str
    address: str
    representative: str
    branch_name: str
    branch_address: str
    tel: str
    fax: str
    info_url: str


@dataclass(frozen=True)
class ServiceNames:
    """What the service and its parts call themselves on screens, in emails, on the key notice and in the
    README's words: our own names, never another company's product (docs/ARCHITECTURE.md, where each rule lives)."""

    service: str  # the whole service: the login page, the footer, error pages before a login
    contractor_portal: str  # the contractor's screens (保証工事一覧, 認証キー)
    verification: str  # the owner clerk's screens (保証証書の確認), named on the key notice and in emails
    console: str  # surety staff's console


@dataclass(frozen=True)
class Signing:
    """How stored PDFs are signed (docs/ARCHITECTURE.md, signing): the KMS key that signs, where its certificate
    chain is kept, and an optional RFC 3161 time-stamping authority (PAdES B-T instead of B-B)."""

    key_id: str  # an asymmetric SIGN_VERIFY key (ECC_NIST_P256 or RSA_2048), usually an alias
    certificate_secret_id: str  # Secrets Manager: PEM, the signing certificate first, then its CA chain
    tsa_url: str  # empty: no time stamp
    location: str  # the signature's /Location


@dataclass(frozen=True)
class Settings:
    region: str
    table_prefix: str
    bucket: str
    sender_email: str
    user_pool_id: str
    user_pool_client_id: str
    jwks_url: str
    issuer: str
    secret_id: str
    kms_key_id: str
    signing: Signing
    contract_number_base: int
    portal_url: str
    outbox_queue: str
    webhooks_allow_loopback: bool
    surety: Surety
    require_surety_mfa: bool = False  # surety staff sign in only with a TOTP code (deployed stages)
    # The PDF check's own Lambda function (set by the stack); empty: a local child process (adapters/check_function).
    document_check_function: str = ""


# The demo surety: clearly fictional throughout (name, people, address, numbers, site), so that no demo,
# test or sample document impersonates a real company. Every stage that issues real certificates sets its own.
DEMO_SURETY = Surety(
    name="見本建設保証株式会社",
    address="○○県○○市見本町1丁目2番3号",
    representative="代表取締役社長 見本 太郎",
    branch_name="見本支店",
    branch_address="○○県○○市見本町1丁目2番3号",
    tel="000-000-0000",
    fax="000-000-0001",
    info_url="https://surety.example.jp/",
)


# Neutral names of our own; a stage may set its own (APP_SERVICE_NAME, APP_CONTRACTOR_PORTAL_NAME,
# APP_VERIFICATION_SERVICE_NAME, APP_CONSOLE_NAME in .chalice/config.json).
DEFAULT_NAMES = ServiceNames(
    service="電子保証",
    contractor_portal="電子保証 受注者ポータル",
    verification="電子保証 確認サービス",
    console="電子保証 管理コンソール",
)


def service_names() -> ServiceNames:
    """The names of this stage, read now (chalice's test client sets a stage's variables per request)."""
    return ServiceNames(
        service=_env("APP_SERVICE_NAME") or DEFAULT_NAMES.service,
        contractor_portal=_env("APP_CONTRACTOR_PORTAL_NAME") or DEFAULT_NAMES.contractor_portal,
        verification=_env("APP_VERIFICATION_SERVICE_NAME") or DEFAULT_NAMES.verification,
        console=_env("APP_CONSOLE_NAME") or DEFAULT_NAMES.console,
    )


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def get_settings() -> Settings:
    region = _env("AWS_DEFAULT_REGION") or _env("AWS_REGION") or "ap-northeast-1"
    pool_id = _env("APP_USER_POOL_ID")
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
    # Tokens always name the real issuer; an emulator serves the keys at its own address.
    endpoint = _env("AWS_ENDPOINT_URL").rstrip("/")
    default_jwks = f"{endpoint or issuer.rsplit('/', 1)[0]}/{pool_id}/.well-known/jwks.json"
    return Settings(
        region=region,
        table_prefix=_env("APP_TABLE_PREFIX", "denshi-hosho-local-"),
        bucket=_env("APP_BUCKET", "denshi-hosho-local-documents"),
        sender_email=_env("APP_SENDER_EMAIL", "no-reply@denshi-hosho.example.jp"),
        user_pool_id=pool_id,
        user_pool_client_id=_env("APP_USER_POOL_CLIENT_ID"),
        jwks_url=_env("APP_JWKS_URL") or default_jwks,
        issuer=issuer,
        secret_id=_env("APP_SECRET_ID", "denshi-hosho-local/app-secret"),
        kms_key_id=_env("APP_KMS_KEY_ID", "alias/denshi-hosho-local"),
        signing=Signing(
            key_id=_env("APP_SIGNING_KEY_ID", "alias/denshi-hosho-local-signing"),
            certificate_secret_id=_env("APP_SIGNING_CERT_SECRET_ID", "denshi-hosho-local/signing-certificate"),
            tsa_url=_env("APP_TSA_URL"),
            location=_env("APP_SIGNING_LOCATION", "○○県○○市"),  # the fictional demo surety's town
        ),
        contract_number_base=int(_env("APP_CONTRACT_NUMBER_BASE", "2070500000")),
        portal_url=_env("APP_PORTAL_URL", "http://localhost:8000").rstrip("/"),
        outbox_queue=_env("APP_OUTBOX_QUEUE", "denshi-hosho-local-outbox"),
        # Only the local stage may deliver webhooks to 127.0.0.1 (the demo's receiver); never on AWS.
        webhooks_allow_loopback=_env("APP_WEBHOOKS_ALLOW_LOOPBACK") == "1",
        surety=Surety(
            name=_env("APP_SURETY_NAME", DEMO_SURETY.name),
            address=_env("APP_SURETY_ADDRESS", DEMO_SURETY.address),
            representative=_env("APP_SURETY_REPRESENTATIVE", DEMO_SURETY.representative),
            branch_name=_env("APP_SURETY_BRANCH", DEMO_SURETY.branch_name),
            branch_address=_env("APP_SURETY_BRANCH_ADDRESS", DEMO_SURETY.branch_address),
            tel=_env("APP_SURETY_TEL", DEMO_SURETY.tel),
            fax=_env("APP_SURETY_FAX", DEMO_SURETY.fax),
            info_url=_env("APP_SURETY_INFO_URL", DEMO_SURETY.info_url),
        ),
        require_surety_mfa=_env("APP_REQUIRE_SURETY_MFA") == "1",
        document_check_function=_env("APP_DOCUMENT_CHECK_FUNCTION"),
    )
