"""The CMS signature in a PDF's /Contents, checked with `cryptography` before any PDF parser runs
(docs/ARCHITECTURE.md, signing).

asn1crypto reads the container lazily (only the fields asked for are decoded; the container is at most
limits.MAX_SIGNATURE_CONTENTS_BYTES), `cryptography` verifies the signature over the signed attributes with the
public key of the one certificate that is ours, and the attributes' message digest must be the digest of the
signed byte ranges. Nothing here reads the PDF itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes

# Anything a malformed container can make asn1crypto raise while the few fields below are read.
_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, RecursionError)
_DIGESTS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@dataclass(frozen=True)
class SignedData:
    """A CMS SignedData with one signer, and the certificate (DER, as carried) its signer identifier names."""

    certificate: bytes
    signer_info: Any

    def verify(self, data: bytes, ranges: Iterable[tuple[int, int]]) -> bool:
        """Whether the signer, holding `certificate`, signed exactly the bytes `ranges` of `data`: the signed
        attributes' message digest is theirs, and the signature over those attributes verifies with the key."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
        from cryptography.x509 import load_der_x509_certificate

        try:
            digest_name = self.signer_info["digest_algorithm"]["algorithm"].native
            attributes = self.signer_info["signed_attrs"]
            if digest_name not in _DIGESTS or not attributes:
                return False
            message_digests = [a["values"] for a in attributes if a["type"].native == "message_digest"]
            content_types = [a["values"] for a in attributes if a["type"].native == "content_type"]
            if len(message_digests) != 1 or len(message_digests[0]) != 1 or len(content_types) != 1:
                return False
            claimed = bytes(message_digests[0][0].native)
            signature = bytes(self.signer_info["signature"].native)
            signature_algorithm = self.signer_info["signature_algorithm"].signature_algo
            # The signature is over the DER of the attributes as a SET OF (tag 0x31), not their [0] IMPLICIT form.
            signed = b"\x31" + attributes.dump()[1:]
        except _UNREADABLE:
            return False
        digest = hashlib.new(digest_name)
        for start, end in ranges:
            digest.update(memoryview(data)[start:end])
        if digest.digest() != claimed:
            return False
        algorithm = _DIGESTS[digest_name]()
        key = load_der_x509_certificate(self.certificate).public_key()
        try:
            if isinstance(key, ec.EllipticCurvePublicKey) and signature_algorithm == "ecdsa":
                key.verify(signature, signed, ec.ECDSA(algorithm))
            elif isinstance(key, rsa.RSAPublicKey) and signature_algorithm == "rsassa_pkcs1v15":
                key.verify(signature, signed, padding.PKCS1v15(), algorithm)
            else:
                return False
        except InvalidSignature:
            return False
        return True


def read(container: bytes) -> SignedData | None:
    """The SignedData of a PDF signature's /Contents, or None when it is no CMS SignedData with exactly one
    signer whose certificate it carries."""
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(container)
        if info["content_type"].native != "signed_data":
            return None
        signed_data = info["content"]
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            return None
        signer_info = signer_infos[0]
        sid = signer_info["sid"]
        for choice in signed_data["certificates"] or []:
            if choice.name == "certificate" and _names(sid, choice.chosen):
                return SignedData(bytes(choice.chosen.dump()), signer_info)
    except _UNREADABLE:
        return None
    return None


def _names(sid: Any, certificate: Any) -> bool:
    """Whether a SignerIdentifier names this certificate."""
    if sid.name == "issuer_and_serial_number":
        tbs = certificate["tbs_certificate"]
        return bool(sid.chosen["issuer"].dump() == tbs["issuer"].dump()
                    and sid.chosen["serial_number"].native == tbs["serial_number"].native)
    if sid.name == "subject_key_identifier":
        return bool(sid.chosen.native == certificate.key_identifier)
    return False
