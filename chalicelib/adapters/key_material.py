"""Secret material: the application secret from Secrets Manager, fetched once per container."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

from chalicelib import caches
from chalicelib.adapters.aws import client
from chalicelib.config import get_settings

_SECRET_TTL_SECONDS = 3600  # picks up a rotated secret within the hour
_lock = threading.Lock()
_cache: dict[str, tuple[str, bytes, float]] = {}  # secret id -> current version id, value, when read
_versions: dict[tuple[str, str], bytes] = {}  # (secret id, version id) -> value: a version never changes


def _read(secret_id: str, version_id: str | None = None) -> tuple[str, bytes]:
    sm = client("secretsmanager", get_settings().region)
    value = sm.get_secret_value(SecretId=secret_id, **({"VersionId": version_id} if version_id else {}))
    return value["VersionId"], value.get("SecretBinary") or value["SecretString"].encode()


def current_secret() -> tuple[str, bytes]:
    """The secret's current version: its id and value."""
    secret_id = get_settings().secret_id
    with _lock:
        cached = _cache.get(secret_id)
        if cached and time.monotonic() - cached[2] < _SECRET_TTL_SECONDS:
            return cached[0], cached[1]
        version_id, secret = _read(secret_id)
        _cache[secret_id] = (version_id, secret, time.monotonic())
        _versions[(secret_id, version_id)] = secret
        return version_id, secret


def secret_version(version_id: str) -> bytes:
    """The value of one version of the secret (kept by Secrets Manager after a rotation; cached for good)."""
    secret_id = get_settings().secret_id
    with _lock:
        found = _versions.get((secret_id, version_id))
        if found is None:
            found = _versions[(secret_id, version_id)] = _read(secret_id, version_id)[1]
        return found


def app_secret() -> bytes:
    return current_secret()[1]


def derived_key(purpose: str) -> bytes:
    """A separate key per use (cursor signing, key digests) so one leak does not serve another."""
    return _derive(app_secret(), purpose)


def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


@caches.on_reset
def reset_secret_cache() -> None:
    with _lock:
        _cache.clear()
        _versions.clear()


def encrypt_auth_key(contract_number: str, auth_key: str) -> bytes:
    """KMS-encrypt a key for re-display, bound to its contract by the encryption context."""
    settings = get_settings()
    result = client("kms", settings.region).encrypt(
        KeyId=settings.kms_key_id,
        Plaintext=auth_key.encode(),
        EncryptionContext={"contract_number": contract_number},
    )
    return result["CiphertextBlob"]


def decrypt_auth_key(contract_number: str, ciphertext: bytes) -> str:
    settings = get_settings()
    result = client("kms", settings.region).decrypt(
        CiphertextBlob=ciphertext,
        EncryptionContext={"contract_number": contract_number},
    )
    return result["Plaintext"].decode()


def current_auth_key_secret() -> tuple[str, bytes]:
    """The version id of the app secret and the HMAC key derived from it, for a new 認証キー digest. The id is
    stored with the digest, so rotating the secret never invalidates an issued key (docs/ARCHITECTURE.md, 認証キー)."""
    version_id, secret = current_secret()
    return version_id, _derive(secret, "auth-key-digest")


def auth_key_secret(version_id: str | None) -> bytes:
    """The HMAC key of a stored digest, from the secret version that made it (cached: no call per verification).
    A digest stored before versions were recorded (None) was made with the version current then."""
    secret = secret_version(version_id) if version_id else current_secret()[1]
    return _derive(secret, "auth-key-digest")


def encrypt_webhook_secret(endpoint_id: str, secret: str) -> bytes:
    """A webhook signing secret under KMS, bound to its endpoint by the encryption context."""
    settings = get_settings()
    result = client("kms", settings.region).encrypt(
        KeyId=settings.kms_key_id, Plaintext=secret.encode(), EncryptionContext={"webhook_endpoint": endpoint_id})
    return result["CiphertextBlob"]


def decrypt_webhook_secret(endpoint_id: str, ciphertext: bytes) -> bytes:
    settings = get_settings()
    result = client("kms", settings.region).decrypt(
        CiphertextBlob=ciphertext, EncryptionContext={"webhook_endpoint": endpoint_id})
    return result["Plaintext"]
