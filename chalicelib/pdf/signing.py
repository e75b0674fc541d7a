"""PAdES signatures on the service's PDFs, and the check of a PDF someone was handed.

Signing adds one incremental update to a rendered PDF: a `/DenshiHosho` entry in the catalog naming the
document (kind, 保証契約番号, version, addressee) and a PAdES baseline signature (B-B; B-T with a time-stamping
authority) over the whole file. The raw signature comes from the `Signer` it is given (the KMS signer in
production), so this module holds no key and reads no table (docs/ARCHITECTURE.md, signing).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import enum
import io
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from chalicelib import deferred_imports
from chalicelib.domain.limits import MAX_CHECK_PDF_BYTES

deferred_imports.install()  # before any pyHanko import: its aiohttp clients are imported only if one is used

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
        # (chalicelib/deferred_imports.py keeps aiohttp unimported)
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

    def to_answer(self) -> dict[str, Any]:
        """JSON, as the check function answers it."""
        reference = self.reference
        return {
            "verdict": self.verdict.value,
            "reference": None if reference is None else {
                "kind": reference.kind, "contract_number": reference.contract_number,
                "version": reference.version, "obligee_id": reference.obligee_id,
                "recorded_changes": reference.recorded_changes,
            },
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "trusted": self.trusted,
        }

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> CheckResult:
        reference = answer.get("reference")
        signed_at = answer.get("signed_at")
        return cls(Verdict(answer["verdict"]),
                   DocumentReference(**reference) if reference else None,
                   datetime.fromisoformat(signed_at) if signed_at else None,
                   bool(answer.get("trusted")))


def check_request(data: bytes, ours: Sequence[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The check function's event: the PDF and our (signing certificate, its root) pairs, base64 in JSON. The
    function is handed what is ours rather than reading it, so its role reaches nothing (docs/ARCHITECTURE.md,
    deployment)."""
    return {"pdf_base64": base64.b64encode(data).decode("ascii"),
            "ours": [[base64.b64encode(cert).decode("ascii"), base64.b64encode(root).decode("ascii")]
                     for cert, root in ours]}


def answer_check(event: Mapping[str, Any]) -> dict[str, Any]:
    """What the check function answers to `check_request`'s event. An event past the bounds is an error, not a
    verdict: the API refuses such uploads before they are handed over."""
    encoded = event["pdf_base64"]
    if not isinstance(encoded, str) or len(encoded) > (MAX_CHECK_PDF_BYTES + 2) // 3 * 4:
        raise ValueError("the PDF is past MAX_CHECK_PDF_BYTES")
    ours = [(base64.b64decode(cert, validate=True), base64.b64decode(root, validate=True))
            for cert, root in event["ours"]]
    return check_document(base64.b64decode(encoded, validate=True), ours).to_answer()


def check_document(data: bytes, ours: Sequence[tuple[bytes, bytes]]) -> CheckResult:
    """Whether `data` is a PDF signed with exactly one of `ours` (signing certificate, its trust root; DER),
    unchanged since.

    Verified before it is parsed: the bytes are scanned for their signatures (chalicelib/pdf/scan.py) and the last
    one's CMS is checked against `ours` over the ranges it signs (chalicelib/pdf/cms.py). Only a file whose every
    byte we signed (so a structure we wrote) reaches pyHanko's parser and full validation, and then only within
    the parser's bounds. Never raises for what it is handed, except MemoryError: a limit is decided before memory
    runs out, never by catching it.
    """
    from chalicelib.pdf import cms, scan

    if not scan.has_header(data):
        return CheckResult(Verdict.UNREADABLE)
    found = scan.signatures(data)
    if not found:
        if scan.encrypted(data) or scan.structure_problem(data):
            return CheckResult(Verdict.UNREADABLE)
        return CheckResult(Verdict.UNSIGNED)
    last = found[-1]
    if last.beyond(len(data)):
        return CheckResult(Verdict.UNREADABLE)  # cut short: the signature names bytes the file no longer has
    roots = dict(ours)
    signed = cms.read(last.contents) if last.contents is not None else None
    if signed is None or signed.certificate not in roots:
        earlier = (cms.read(s.contents) for s in found[:-1] if s.contents is not None)
        # Our signature under someone else's (or under a broken one): the file was changed after we signed it.
        ours_earlier = any(e is not None and e.certificate in roots for e in earlier)
        return CheckResult(Verdict.MODIFIED if ours_earlier else Verdict.FOREIGN)
    if not last.covers(len(data)) or not signed.verify(data, last.ranges()):
        return CheckResult(Verdict.MODIFIED)
    problem = scan.structure_problem(data)
    if problem:  # bytes we signed that no parser may read: a limit is wrong or the signing key is misused
        logger.error("a PDF signed by us is past the parser's bounds: %s", problem)
        return CheckResult(Verdict.UNREADABLE)
    return _validated(data, roots)


def _validated(data: bytes, roots: Mapping[bytes, bytes]) -> CheckResult:
    """pyHanko's full validation of a file whose bytes we signed, and the reference signed into it."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            return CheckResult(Verdict.UNREADABLE)
        signatures = list(reader.embedded_signatures)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - the parser failing on a file we signed is an answer, not a 500
        logger.error("pyHanko could not read a PDF signed by us")
        return CheckResult(Verdict.UNREADABLE)
    if len(signatures) != 1 or _signer_cert(signatures[0]) not in roots:
        return CheckResult(Verdict.MODIFIED)
    try:
        status = _validate(signatures[0], roots[_signer_cert(signatures[0]) or b""])
    except MemoryError:
        raise
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
    except MemoryError:
        raise
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
