"""pyHanko's `Signer` whose raw signature is made by KMS (docs/ARCHITECTURE.md, signing).

Imported only when a PDF is signed: pyHanko is heavy and stays off the cold-start path of `import app`.
"""

from __future__ import annotations

from chalicelib import deferred_imports

deferred_imports.install()  # before pyHanko: its aiohttp clients are imported only if one is used

from asn1crypto import algos, x509  # noqa: E402
from pyhanko.sign.signers.pdf_cms import Signer  # noqa: E402
from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: E402

from chalicelib.adapters import signing_key  # noqa: E402

# Placeholder lengths for pyHanko's size estimate (a dry run, no KMS call): a DER ECDSA P-256 signature is
# at most 72 bytes, an RSA-2048 one exactly 256.
_MAX_SIGNATURE_BYTES = {"EC": 72, "RSA": 256}
_MECHANISMS = {"EC": "sha256_ecdsa", "RSA": "sha256_rsa"}


class KmsSigner(Signer):
    """Signs CMS signed attributes with the stage's KMS key; holds certificates only, never a private key."""

    def __init__(self, chain: signing_key.SigningChain) -> None:
        self._key_algorithm = chain.key_algorithm
        self.kms_calls = 0
        super().__init__(
            signing_cert=x509.Certificate.load(chain.signing_cert),
            cert_registry=SimpleCertificateStore.from_certs([x509.Certificate.load(c) for c in chain.issuers]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": _MECHANISMS[chain.key_algorithm]}),
            embed_roots=False,  # readers trust the root from their own store; one certificate less to encode
        )

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise ValueError(f"the KMS key signs with SHA-256, not {digest_algorithm}")
        if dry_run:
            return bytes(_MAX_SIGNATURE_BYTES[self._key_algorithm])
        self.kms_calls += 1
        return signing_key.sign(data, self._key_algorithm)


def kms_signer() -> KmsSigner:
    return KmsSigner(signing_key.signing_chain())
