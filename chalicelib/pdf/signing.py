"""PAdES signatures on the service's PDFs, and the check of a PDF someone was handed.

Signing adds one incremental update to a rendered PDF: a `/DenshiHosho` entry in the catalog naming the
document (kind, 保証契約番号, version, addressee) and a PAdES baseline signature (B-B; B-T with a time-stamping
authority) over the whole file. The raw signature comes from the `Signer` it is given (the KMS signer in
production), so this module holds no key and reads no table (docs/ARCHITECTURE.md, signing).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import io
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)

SIGNATURE_FIELD = "Signature1"
REASONS = {"certificate": "保証証書の発行", "key_notice": "認証キー等のお知らせの発行"}
_REFERENCE_KEY = "/DenshiHosho"


@dataclass(frozen=True)
class DocumentReference:
    """What a signed PDF is: signed into the document, so a valid signature vouches for it too."""

    kind: str  # "certificate" or "key_notice"
    contract_number: str
    version: int | None  # the certificate's version; None for a key notice
    obligee_id: str  # the owner it is addressed to
    recorded_changes: int | None = None  # a certificate's changes recorded without a new version (注2, 注3) by then


def sign_document(data: bytes, signer: Any, reference: DocumentReference, *, signer_name: str, location: str,
                  tsa_url: str = "") -> bytes:
    """`data` signed by `signer` (a pyHanko Signer) as PAdES B-B, or B-T when `tsa_url` is given."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    entries: dict[str, generic.PdfObject] = {
        "/Kind": generic.NameObject(f"/{reference.kind}"),
        "/ContractNumber": generic.TextStringObject(reference.contract_number),
        "/Obligee": generic.TextStringObject(reference.obligee_id),
    }
    if reference.version is not None:
        entries["/Version"] = generic.NumberObject(reference.version)
    if reference.recorded_changes is not None:
        entries["/RecordedChanges"] = generic.NumberObject(reference.recorded_changes)
    writer.root[_REFERENCE_KEY] = generic.DictionaryObject(
        {generic.NameObject(k): v for k, v in entries.items()})
    writer.update_root()
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        reason=REASONS[reference.kind], location=location, name=signer_name,
    )
    timestamper = None
    if tsa_url:
        # requests, not pyHanko's default aiohttp client: one HTTP stack in the function, and no event loop of its own
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

        timestamper = RequestsHTTPTimeStamper(tsa_url, timeout=5)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper)
    reserved = _reserved_bytes(signer, timestamped=timestamper is not None)
    out = run_async(lambda: pdf_signer.async_sign_pdf(writer, bytes_reserved=reserved))
    return bytes(out.getbuffer())


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one of pyHanko's coroutines to its end from synchronous code. Its sync wrappers call asyncio.run(),
    which fails inside a thread whose event loop is running (a test driver's, an async host's); there the
    coroutine runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _reserved_bytes(signer: Any, *, timestamped: bool) -> int:
    """Room for the CMS container: the embedded certificates, a signature and its attributes, and a time stamp
    token. Given up front, pyHanko skips its estimate, a full dry-run CMS build that costs as much as the
    signature itself; a container that outgrows it fails loudly, never silently."""
    certificates = [signer.signing_cert, *signer.cert_registry]
    needed = sum(len(c.dump()) for c in certificates) + 2048 + (8192 if timestamped else 0)
    return needed + needed % 2  # pyHanko writes it as hex: an even number of bytes


class Verdict(enum.Enum):
    GENUINE = "genuine"  # signed by us, intact, nothing changed after the signature
    MODIFIED = "modified"  # our signature, but the file was changed (or the signature is broken)
    FOREIGN = "foreign"  # signed, but not by our signing certificate
    UNSIGNED = "unsigned"  # a PDF without any signature
    UNREADABLE = "unreadable"  # not a PDF, or too damaged to read


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    reference: DocumentReference | None = None  # only for GENUINE
    signed_at: datetime | None = None  # the signer-reported time (or the time stamp's)
    trusted: bool = False  # the signing certificate chains to the trust anchor and is valid now


def check_document(data: bytes, ours: Sequence[tuple[bytes, bytes]]) -> CheckResult:
    """Whether `data` is a PDF signed with exactly one of `ours` (signing certificate, its trust root; DER),
    unchanged since.

    Never raises for what it is handed: any PDF (or not) a caller uploads gets a verdict.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            return CheckResult(Verdict.UNREADABLE)
        signatures = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001 - a damaged upload may fail anywhere in the parser; it is an answer, not a 500
        return CheckResult(Verdict.UNREADABLE)
    if not signatures:
        return CheckResult(Verdict.UNSIGNED)
    roots = dict(ours)
    by_us = [s for s in signatures if _signer_cert(s) in roots]
    if not by_us:
        return CheckResult(Verdict.FOREIGN)
    if by_us[-1] is not signatures[-1]:
        return CheckResult(Verdict.MODIFIED)  # someone signed over our signature: the file was changed
    try:
        status = _validate(signatures[-1], roots[_signer_cert(signatures[-1]) or b""])
    except Exception:  # noqa: BLE001 - a damaged signature container is a broken signature
        logger.info("signature container unreadable")
        return CheckResult(Verdict.MODIFIED)
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if not (status.intact and status.valid) or status.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        return CheckResult(Verdict.MODIFIED)
    signed_at = status.timestamp_validity.timestamp if status.timestamp_validity else status.signer_reported_dt
    return CheckResult(Verdict.GENUINE, _reference(reader), signed_at, bool(status.trusted))


def _signer_cert(signature: Any) -> bytes | None:
    try:
        return bytes(signature.signer_cert.dump())
    except Exception:  # noqa: BLE001 - an unparsable container names no signer
        return None


def _validate(signature: Any, trust_root: bytes) -> Any:
    from asn1crypto import x509
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=[x509.Certificate.load(trust_root)], allow_fetching=False,
                                revocation_mode="soft-fail")
    return run_async(lambda: async_validate_pdf_signature(signature, context))


def _reference(reader: Any) -> DocumentReference | None:
    """The reference signed into the file (the last revision is the signed one: coverage is the whole file)."""
    entry = reader.root.get(_REFERENCE_KEY)
    if entry is None:
        return None
    entry = entry.get_object()
    kind = str(entry.get("/Kind", "/"))[1:]
    version = entry.get("/Version")
    recorded = entry.get("/RecordedChanges")
    try:
        return DocumentReference(kind=kind, contract_number=str(entry["/ContractNumber"]),
                                 version=int(version) if version is not None else None,
                                 obligee_id=str(entry["/Obligee"]),
                                 recorded_changes=int(recorded) if recorded is not None else None)
    except (KeyError, TypeError, ValueError):
        return None
