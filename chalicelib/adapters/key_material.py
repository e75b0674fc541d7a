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
_cache: dict[str, tuple[bytes, float]] = {}


def app_secret() -> bytes:
    settings = get_settings()
    with _lock:
        cached = _cache.get(settings.secret_id)
        if cached and time.monotonic() - cached[1] < _SECRET_TTL_SECONDS:
            return cached[0]
        value = client("secretsmanager", settings.region).get_secret_value(SecretId=settings.secret_id)
        secret = value.get("SecretBinary") or value["SecretString"].encode()
        _cache[settings.secret_id] = (secret, time.monotonic())
        return secret


def derived_key(purpose: str) -> bytes:
    """A separate key per use (cursor signing, key digests) so one leak does not serve another."""
    return hmac.new(app_secret(), purpose.encode(), hashlib.sha256).digest()


@caches.on_reset
def reset_secret_cache() -> None:
    with _lock:
        _cache.clear()


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


def auth_key_secret() -> bytes:
    """The HMAC key of 認証キー digests (cached with the app secret: no call per verification)."""
    return derived_key("auth-key-digest")


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
