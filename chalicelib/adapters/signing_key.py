"""The signing key of stored PDFs: a KMS asymmetric key that never leaves KMS, and its certificate chain.

The chain (PEM: the signing certificate first, then its CA certificates) is read from Secrets Manager once
per container and checked against the key's public key, so a certificate for another key is a loud error
rather than a PDF that no reader accepts (docs/ARCHITECTURE.md, signing).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass

from chalicelib import caches
from chalicelib.adapters.aws import client
from chalicelib.config import get_settings
from chalicelib.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

_CHAIN_TTL_SECONDS = 3600  # a renewed certificate is picked up within the hour
# KMS signs at most 4096 bytes as RAW. The CMS signed attributes (content type, digest, signing certificate,
# algorithm protection) are about 200 bytes, so the signature is always over the attributes themselves,
# never a digest: moto 5.2's KMS hashes a DIGEST message again (see tests/test_signing.py).
RAW_MESSAGE_LIMIT = 4096
_ALGORITHMS = {"EC": "ECDSA_SHA_256", "RSA": "RSASSA_PKCS1_V1_5_SHA_256"}


class SigningNotConfigured(ServiceUnavailable):
    """The stage's signing certificate is missing or is not for its signing key: no PDF can be signed, so none
    is made (a 503 naming the cause to the user; the reason is logged for the operator, README runbook)."""

    CODE = "signing_not_configured"
    MESSAGE = "電子署名の準備が済んでいないため、PDFを作成・確認できません。保証会社にお問い合わせください。"

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
        logger.error("PDF signing not configured: %s", reason)


@dataclass(frozen=True)
class SigningChain:
    """DER certificates: the signing certificate, then its issuers up to the root (the trust anchor)."""

    signing_cert: bytes
    issuers: tuple[bytes, ...]
    key_algorithm: str  # "EC" or "RSA"

    @property
    def root(self) -> bytes:
        return self.issuers[-1] if self.issuers else self.signing_cert


_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[tuple[SigningChain, ...], float]] = {}


def signing_chain() -> SigningChain:
    """The chain PDFs are signed with now."""
    return known_chains()[0]


def known_chains() -> tuple[SigningChain, ...]:
    """Every chain whose PDFs are ours: the current one first, then those retired by a renewal (a new KMS key:
    asymmetric keys do not rotate), so that a PDF signed before a renewal still checks as genuine."""
    signing = get_settings().signing
    cache_key = (signing.key_id, signing.certificate_secret_id)
    with _lock:
        cached = _cache.get(cache_key)
        if cached and time.monotonic() - cached[1] < _CHAIN_TTL_SECONDS:
            return cached[0]
    chains = _load_chains()
    with _lock:
        _cache[cache_key] = (chains, time.monotonic())
    return chains


def _load_chains() -> tuple[SigningChain, ...]:
    """The secret holds the current chain as PEM (signing certificate first), or, after a renewal, JSON:
    `{"current": "<PEM>", "retired": ["<PEM>", ...]}` (README, signed PDFs)."""
    settings = get_settings()
    try:
        value = client("secretsmanager", settings.region).get_secret_value(
            SecretId=settings.signing.certificate_secret_id)
    except client("secretsmanager", settings.region).exceptions.ResourceNotFoundException:
        raise SigningNotConfigured("the signing certificate secret does not exist") from None
    text = (value.get("SecretString") or value.get("SecretBinary", b"").decode()).strip()
    retired: list[str] = []
    if text.startswith("{"):
        try:
            document = json.loads(text)
            text, retired = str(document["current"]), document.get("retired", [])
            if not isinstance(retired, list):
                raise TypeError("retired is not a list")
        except (ValueError, KeyError, TypeError):
            raise SigningNotConfigured("the signing certificate secret is JSON without a current chain or with "
                                       "retired chains not in a list") from None
    try:
        current, *old = [_chain(str(pem_text)) for pem_text in [text, *retired]]
    except ValueError:
        raise SigningNotConfigured("the signing certificate secret holds something that is not PEM") from None
    if current is None:
        raise SigningNotConfigured("the signing certificate secret holds no certificate")
    public_key = client("kms", settings.region).get_public_key(KeyId=settings.signing.key_id)["PublicKey"]
    if _public_key(current.signing_cert) != public_key:
        raise SigningNotConfigured("the signing certificate is not for the stage's signing key")
    return (current, *(chain for chain in old if chain is not None))


def _chain(pem_text: str) -> SigningChain | None:
    from asn1crypto import pem, x509  # pyHanko's ASN.1 library: loaded with the first signature

    ders = [der for _, _, der in pem.unarmor(pem_text.encode(), multiple=True)] if pem_text.strip() else []
    if not ders:
        return None
    algorithm = "EC" if x509.Certificate.load(ders[0]).public_key.algorithm == "ec" else "RSA"
    return SigningChain(ders[0], tuple(ders[1:]), algorithm)


def _public_key(certificate: bytes) -> bytes:
    from asn1crypto import x509

    return bytes(x509.Certificate.load(certificate).public_key.dump())


def sign(message: bytes, key_algorithm: str) -> bytes:
    """KMS signs `message` (SHA-256 inside KMS); the private key never leaves it."""
    if len(message) > RAW_MESSAGE_LIMIT:
        raise ValueError(f"KMS signs at most {RAW_MESSAGE_LIMIT} bytes as RAW")
    settings = get_settings()
    result = client("kms", settings.region).sign(
        KeyId=settings.signing.key_id, Message=message, MessageType="RAW",
        SigningAlgorithm=_ALGORITHMS[key_algorithm],
    )
    return bytes(result["Signature"])


@caches.on_reset
def reset_chain_cache() -> None:
    with _lock:
        _cache.clear()
