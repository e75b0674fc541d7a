"""Hostile PDFs for the owner's PDF check (issue 18), made here from bytes: no binary fixtures.

`corpus()` builds every case with the verdict the check must give: files whose tables are huge or endless (the
issue's attack, an xref stream of a few hundred bytes declaring /Index [0 20000000]; a trailer /Size of 20 million;
/Prev loops and chains), object-stream and decompression bombs, deep nesting, reference cycles, thousands of
revisions, and changes to a PDF signed by "us" (a key made here, standing in for the surety's KMS key):
incremental updates after the signature (one of them an overlay that prints another 保証金額), a byte flipped
inside and outside the signed range, a file cut short, a second signature over ours. `seeds(genuine)` are the
cases that need no key, over any signed PDF (the fuzz suite's). `python tests/support/hostile_pdfs.py probe DIR` checks
each case of a corpus written to DIR in a process capped in memory and time and prints its verdict, seconds and
memory growth as JSON lines (tests/test_hostile_pdfs.py, `make bench` section `hostile-pdfs`).
"""

from __future__ import annotations

import io
import json
import os
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
BOMB_ENTRIES = 20_000_000  # the issue's /Index [0 20000000]: 40 s and 2.7 GB in pyHanko's reader before


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    expected: str  # the verdict of the check
    what: str


@dataclass(frozen=True)
class Corpus:
    cases: list[Case]
    ours: list[tuple[bytes, bytes]]  # (signing certificate, its root), DER: what the check is told is ours

    def by_name(self) -> dict[str, Case]:
        return {case.name: case for case in self.cases}


# --- raw PDF writing ---------------------------------------------------------------------------------------

def assemble(objects: dict[int, bytes], *, root: int = 1, trailer: bytes = b"", header: bytes = HEADER) -> bytes:
    """A one-revision PDF with a classic cross-reference table over `objects` (number -> body)."""
    out = bytearray(header)
    offsets = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
                    for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (size, root, trailer, xref)
    return bytes(out)


def simple_objects() -> dict[int, bytes]:
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        4: stream(b"BT /F1 12 Tf 72 720 Td (hello) Tj ET"),
    }


def stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def last_startxref(data: bytes) -> int:
    tail = data[data.rindex(b"startxref"):]
    return int(tail.split()[1])


def trailer_of(data: bytes) -> tuple[int, bytes]:
    """(/Size, the /Root reference) of the last classic trailer of `data`."""
    import re

    trailer = data[data.rindex(b"trailer"):]
    size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))  # type: ignore[union-attr]
    root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", trailer).group(1)  # type: ignore[union-attr]
    return size, root


def append_update(data: bytes, objects: dict[int, bytes], *, trailer: bytes = b"") -> bytes:
    """`data` with one incremental update (classic xref section, /Prev to the previous one) holding `objects`."""
    size, root = trailer_of(data)
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    new_size = max(size, max(objects) + 1)
    out += b"trailer\n<< /Size %d /Root %s /Prev %d %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        new_size, root, last_startxref(data), trailer, xref)
    return bytes(out)


# --- unbounded tables ---------------------------------------------------------------------------------------

def huge_index(entries: int = BOMB_ENTRIES) -> bytes:
    """An xref stream declaring `entries` entries with data for three: the issue's 375-byte file."""
    out = bytearray(b"%PDF-1.7\n")
    catalog = len(out)
    out += b"1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n"
    pages = len(out)
    out += b"2 0 obj\n<</Type/Pages/Kids[]/Count 0>>\nendobj\n"
    xref = len(out)
    rows = bytes([0, 0, 0, 255]) + bytes([1]) + catalog.to_bytes(2, "big") + b"\x00" + bytes([1])
    rows += pages.to_bytes(2, "big") + b"\x00" + bytes([1]) + xref.to_bytes(2, "big") + b"\x00"
    out += (b"3 0 obj\n<</Type/XRef/Size %d/Index[0 %d]/W[1 2 1]/Root 1 0 R/Length %d>>\nstream\n"
            % (entries, entries, len(rows)) + rows + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def huge_size(entries: int = BOMB_ENTRIES) -> bytes:
    """A classic table of five entries whose trailer declares /Size `entries`."""
    data = assemble(simple_objects())
    return data.replace(b"/Size 5 ", b"/Size %d " % entries)


def xref_loop() -> bytes:
    """Two cross-reference sections whose /Prev entries point at each other."""
    base = assemble(simple_objects(), trailer=b"/Prev 0000000000 ")  # a placeholder of fixed width
    updated = append_update(base, {1: b"<< /Type /Catalog /Pages 2 0 R >>"})
    return updated.replace(b"/Prev 0000000000", b"/Prev %010d" % last_startxref(updated), 1)


def prev_chain(sections: int = 5000) -> bytes:
    """`sections` cross-reference sections of one entry each, chained by /Prev."""
    out = bytearray(assemble(simple_objects()))
    previous = last_startxref(bytes(out))
    for _ in range(sections):
        offset = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 5 /Root 1 0 R /Prev %d >>\n" % previous)
        previous = offset
    out += b"startxref\n%d\n%%%%EOF\n" % previous
    return bytes(out)


def object_stream_bomb(inflated: int = 64 * 1024 * 1024) -> bytes:
    """The catalog inside an object stream that declares ten million objects and inflates to `inflated` bytes."""
    header = b"1 0 "
    body = header + b"<< /Type /Catalog /Pages 2 0 R >> " + b" " * (inflated - len(header) - 34)
    packed = zlib.compress(body, 9)
    out = bytearray(b"%PDF-1.7\n")
    pages = len(out)
    out += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    objstm = len(out)
    out += (b"4 0 obj\n<< /Type /ObjStm /N 10000000 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(header), len(packed)) + packed + b"\nendstream\nendobj\n")
    xref = len(out)
    rows = b"".join([bytes([0, 0, 0, 0, 255]), bytes([2, 0, 4, 0, 0]), bytes([1]) + pages.to_bytes(3, "big") + b"\x00",
                     bytes([1]) + xref.to_bytes(3, "big") + b"\x00", bytes([1]) + objstm.to_bytes(3, "big") + b"\x00"])
    out += (b"5 0 obj\n<< /Type /XRef /Size 6 /Index [0 1 1 1 2 1 5 1 4 1] /W [1 3 1] /Root 1 0 R /Length %d >>\n"
            b"stream\n" % len(rows) + rows + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def flate_bomb(inflated: int = 256 * 1024 * 1024) -> bytes:
    """A page whose content stream inflates to `inflated` bytes."""
    objects = simple_objects()
    packed = zlib.compress(b" " * inflated, 9)
    objects[4] = stream(packed, b"/Filter /FlateDecode ")
    return assemble(objects)


def deep_nesting(depth: int = 100_000) -> bytes:
    objects = simple_objects()
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * depth + b"]" * depth + b" /Dict " + \
        b"<< /A " * (depth // 4) + b">>" * (depth // 4) + b" >>"
    return assemble(objects)


def reference_cycle() -> bytes:
    objects = simple_objects()
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R /Loop 5 0 R /AcroForm << /Fields [6 0 R] >> >>"
    objects[2] = b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 /Parent 2 0 R >>"
    objects[5] = b"6 0 R"
    objects[6] = b"<< /Parent 6 0 R /Kids [6 0 R] /T (loop) /V 5 0 R >>"
    return assemble(objects)


def many_revisions(data: bytes, count: int) -> bytes:
    """`data` with `count` incremental updates appended, each rewriting one object."""
    size, root = trailer_of(data)
    number = int(root.split()[0])
    out = bytearray(data)
    previous = last_startxref(data)
    for _ in range(count):
        offset = len(out)
        out += b"%d 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" % number
        xref = len(out)
        out += (b"xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
                % (number, offset, size, root, previous, xref))
        previous = xref
    return bytes(out)


def encrypted() -> bytes:
    objects = simple_objects()
    objects[5] = b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <00> /U <00> >>"
    return assemble(objects, trailer=b"/Encrypt 5 0 R /ID [<00112233> <00112233>] ")


# --- a certificate signed by "us" ----------------------------------------------------------------------------

def _signer() -> tuple[Any, list[bytes]]:
    """A pyHanko signer with a fresh key and a demo chain for it; (signer, [signing certificate, root] DER)."""
    from asn1crypto import keys, pem, x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from chalicelib.config import get_settings
    from scripts.provision import demo_signing_chain

    private = ec.generate_private_key(ec.SECP256R1())
    settings = get_settings()
    chain = demo_signing_chain(settings, private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    ders = [der for _, _, der in pem.unarmor(chain.encode(), multiple=True)]
    certs = [x509.Certificate.load(der) for der in ders]
    key = keys.PrivateKeyInfo.load(private.private_bytes(serialization.Encoding.DER,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    return signers.SimpleSigner(certs[0], key, SimpleCertificateStore.from_certs(certs[1:])), ders


def certificate_content() -> Any:
    """A 前払金保証 certificate of today's world (dates relative to today)."""
    from chalicelib.domain.types import GuaranteeType
    from chalicelib.pdf.certificate import CertificateContent

    today = date.today()
    return CertificateContent(
        contract_number="2070500001", version=1, amended=False, guarantee_type=GuaranteeType.ADVANCE_PAYMENT,
        issued_on=today, contractor_address="○○県○○市△△町1-2-3", contractor_name="株式会社○○建設",
        obligee_name="境港市長", guarantee_amount=40_000_000, guarantee_period_end=today + timedelta(days=300),
        completion_date=today + timedelta(days=300), project_name="境港市道 渡町線 道路改良工事",
        contract_amount_total=100_000_000, deposit_bank="山陰銀行 境港支店",
    )


def sign(data: bytes, signer: Any) -> bytes:
    from chalicelib.config import get_settings
    from chalicelib.pdf.signing import DocumentReference, sign_document

    return sign_document(data, signer, DocumentReference("certificate", "2070500001", 1, "sakaiminato"),
                         signer_name=get_settings().surety.name, location="○○県○○市")


def sign_over(data: bytes, signer: Any) -> bytes:
    """A second signature (another field) over a signed file, as anyone with pyHanko can add."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from chalicelib.pdf.signing import run_async

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="Signature2", md_algorithm="sha256")
    out = run_async(lambda: signers.PdfSigner(meta, signer=signer).async_sign_pdf(writer))
    return bytes(out.getbuffer())


def overlay_amount(data: bytes) -> bytes:
    """An incremental update that paints over the printed 保証金額 and prints ¥999,999,999 in its place."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from chalicelib.config import get_settings
    from chalicelib.pdf.certificate import layout_certificate

    amount = next(t for t in layout_certificate(certificate_content(), get_settings().surety).texts
                  if "40,000,000" in t.text)
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    content = (b"q 1 g %.1f %.1f %.1f %.1f re f Q BT /Fo1 %.1f Tf %.1f %.1f Td (\\\\999,999,999-) Tj ET"
               % (amount.x - 2, amount.y - 4, amount.width + 60, amount.size + 8, amount.size, amount.x, amount.y))
    overlay = writer.add_object(generic.StreamObject(stream_data=content))
    font = generic.DictionaryObject({generic.NameObject("/Type"): generic.NameObject("/Font"),
                                     generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                                     generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica")})
    resources = generic.DictionaryObject({generic.NameObject("/Font"): generic.DictionaryObject(
        {generic.NameObject("/Fo1"): writer.add_object(font)})})
    writer.add_stream_to_page(0, overlay, resources=resources)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def hole(data: bytes) -> tuple[int, int]:
    """Where the last signature's /Contents string lies (the part the signature does not cover)."""
    import re

    match = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data))[-1]
    return int(match.group(2)), int(match.group(3))


def flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def flip_inside(data: bytes) -> bytes:
    """One bit of a byte of the first revision's page content: inside the signed range."""
    return flip(data, data.index(b"stream", len(data) // 4) + 20)


def flip_outside(data: bytes) -> bytes:
    """One bit of a hex digit of the signature value itself (the last bytes of the CMS container): outside the
    signed range, in /Contents, and still a hex digit (a, f, A and F would flip to non-hex characters)."""
    start, _ = hole(data)
    der = bytes.fromhex(data[start + 1:start + 9].decode())
    length = 2 + der[1] if der[1] < 0x80 else 2 + (der[1] & 0x7F) + int.from_bytes(der[2:2 + (der[1] & 0x7F)])
    position = start + 1 + 2 * length - 10
    while data[position:position + 1] in (b"a", b"f", b"A", b"F"):
        position -= 1
    return flip(data, position)


def flip_padding(data: bytes) -> bytes:
    """A zero of the /Contents padding after the signature turned into '1': nothing signed changes."""
    _, end = hole(data)
    return flip(data, end - 3)


def appended_huge_index(base: bytes) -> bytes:
    """`base` with an incremental update whose xref stream declares /Index [0 20000000]."""
    section = (b"91 0 obj\n<</Type/XRef/Size %d/Index[0 %d]/W[1 1 1]/Root 1 0 R/Prev %d/Length 3>>\nstream\n"
               b"\x01\x00\x00\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
               % (BOMB_ENTRIES, BOMB_ENTRIES, last_startxref(base), len(base)))
    return base + section


def seeds(genuine: bytes, *, light: bool = True) -> list[Case]:
    """The cases that need no key: unbounded tables and bombs, and changes to `genuine` (a PDF signed by whoever
    the check knows as "us"). `light` makes the bombs inflate to a few MB (the tables stay huge)."""
    inflated = 8 * 1024 * 1024 if light else 64 * 1024 * 1024
    bomb = stream(zlib.compress(b" " * inflated, 9), b"/Filter /FlateDecode ")
    builders: list[tuple[str, str, str, Callable[[], bytes]]] = [
        ("huge_index", "unreadable", "the issue's file: an xref stream declaring /Index [0 20000000]", huge_index),
        ("huge_size", "unsigned", "a classic trailer declaring /Size 20000000 over five entries", huge_size),
        ("xref_loop", "unreadable", "two cross-reference sections whose /Prev point at each other", xref_loop),
        ("prev_chain", "unsigned", "5,000 cross-reference sections chained by /Prev", prev_chain),
        ("object_stream_bomb", "unreadable",
         f"the catalog in an object stream declaring /N 10000000, inflating to {inflated >> 20} MB",
         lambda: object_stream_bomb(inflated)),
        ("flate_bomb", "unsigned", f"a page content stream inflating to {inflated * 4 >> 20} MB",
         lambda: flate_bomb(inflated * 4)),
        ("deep_nesting", "unsigned", "arrays nested 100,000 deep and dictionaries 25,000 deep", deep_nesting),
        ("reference_cycle", "unsigned", "page tree, form fields and references that point back at themselves",
         reference_cycle),
        ("encrypted", "unreadable", "a trailer naming an /Encrypt dictionary", encrypted),
        ("not_a_pdf", "unreadable", "text, no %PDF header", lambda: b"this is not a pdf"),
        ("header_then_noise", "unreadable", "%PDF header then bytes 0-255",
         lambda: b"%PDF-1.7\n" + bytes(range(256)) * 4),
        ("appended_update", "modified", "an incremental update after our signature naming another certificate",
         lambda: append_update(genuine, {90: b"<< /Kind /certificate /ContractNumber (2070599999) >>"})),
        ("overlay_amount", "modified", "an update after our signature that prints another 保証金額 over ours",
         lambda: overlay_amount(genuine)),
        ("appended_huge_index", "modified", "our signed file with an /Index [0 20000000] update appended",
         lambda: appended_huge_index(genuine)),
        ("appended_revisions", "modified", "our signed file with 3,000 incremental updates appended",
         lambda: many_revisions(genuine, 3000)),
        ("appended_bomb_update", "modified", "our signed file with an update holding a content-stream bomb",
         lambda: append_update(genuine, {90: b"<< /Type /Catalog /Pages 2 0 R >>", 92: bomb})),
        ("flipped_inside", "modified", "one bit flipped in the signed range (page content)",
         lambda: flip_inside(genuine)),
        ("flipped_outside", "modified", "one bit flipped outside the signed range (the signature value)",
         lambda: flip_outside(genuine)),
        ("flipped_padding", "genuine", "a zero of the signature's padding turned into '1' (nothing signed changes)",
         lambda: flip_padding(genuine)),
        ("truncated", "unreadable", "our signed file cut 200 bytes short", lambda: genuine[:-200]),
        ("trailing_junk", "modified", "bytes appended after our signed file", lambda: genuine + b"\n% junk\n"),
    ]
    return [Case(name, build(), expected, what) for name, expected, what, build in builders]


def corpus(*, light: bool = False) -> Corpus:
    """Every case, with a certificate signed by a key made here standing in for ours."""
    from chalicelib.config import get_settings
    from chalicelib.pdf.certificate import render_certificate

    ours, our_chain = _signer()
    theirs, _ = _signer()
    # A fixed moment: the same bytes every run (the corpus's sizes and digests stay put).
    unsigned = render_certificate(certificate_content(), get_settings().surety,
                                  created=datetime(2024, 5, 10, 3, 0, tzinfo=UTC))
    genuine = sign(unsigned, ours)
    foreign = sign(unsigned, theirs)
    cases = [
        Case("genuine", genuine, "genuine", "a certificate signed by us, unchanged"),
        Case("unsigned", unsigned, "unsigned", "our certificate before signing"),
        Case("foreign", foreign, "foreign", "the certificate signed with someone else's key and certificate"),
        Case("foreign_then_huge_index", appended_huge_index(foreign), "foreign",
             "a foreign-signed file with an /Index [0 20000000] update"),
        Case("signed_over", sign_over(genuine, theirs), "modified", "someone else's second signature over ours"),
        Case("revisions_unsigned", many_revisions(unsigned, 3000), "unsigned",
             "an unsigned certificate with 3,000 incremental updates"),
        *seeds(genuine, light=light),
    ]
    return Corpus(cases, [(our_chain[0], our_chain[-1])])


# --- writing a corpus and probing it in a capped process --------------------------------------------------------

def write(corpus_: Corpus, directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    for case in corpus_.cases:
        with open(os.path.join(directory, f"{case.name}.pdf"), "wb") as f:
            f.write(case.data)
    index = {"ours": [[a.hex(), b.hex()] for a, b in corpus_.ours],
             "cases": [{"name": c.name, "expected": c.expected, "what": c.what, "bytes": len(c.data)}
                       for c in corpus_.cases]}
    with open(os.path.join(directory, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, ensure_ascii=False)


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Reset the process's peak resident size (VmHWM), so that it measures what follows (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


class _Late(BaseException):  # noqa: N818 - a case past its seconds; no `except Exception` of a checker may take it
    pass


def probe(directory: str, names: list[str], seconds: float = 0.0) -> None:
    """Check each named case (all when none) and print one JSON line per case: verdict, seconds (wall and CPU),
    growth of the resident size over the warm process (MB). The caller caps this process's memory; `seconds`
    caps each case (verdict "timeout"), and a case that runs out of memory reads "MemoryError"."""
    import signal
    import time

    from chalicelib.pdf.signing import check_document

    with open(os.path.join(directory, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    ours = [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in index["ours"]]

    def read(name: str) -> bytes:
        with open(os.path.join(directory, f"{name}.pdf"), "rb") as f:
            return f.read()

    def late(*_: Any) -> None:
        raise _Late()

    signal.signal(signal.SIGALRM, late)
    check_document(read("genuine"), ours)  # warm: every import a genuine check needs
    for case in index["cases"]:
        if names and case["name"] not in names:
            continue
        data = read(case["name"])
        resettable = _reset_peak()
        before = _status_kb("VmRSS")
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            verdict = check_document(data, ours).verdict.value
        except MemoryError:
            verdict = "MemoryError"
        except _Late:
            verdict = "timeout"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak = _status_kb("VmHWM") if resettable else _status_kb("VmRSS")
        print(json.dumps({"name": case["name"], "verdict": verdict, "seconds": elapsed, "cpu_seconds": cpu,
                          "growth_mb": max(0, peak - before) / 1024, "peak_mb": peak / 1024}), flush=True)


def probe_command(directory: str, names: list[str], *, memory_bytes: int, seconds: float = 0.0) -> list[str]:
    """The command line of a probe of this file capped at `memory_bytes` of address space and `seconds` a case."""
    return [sys.executable, os.path.abspath(__file__), "probe", directory, "--memory", str(memory_bytes),
            "--seconds", str(seconds), *names]


def main(argv: list[str]) -> int:
    import argparse
    import resource

    parser = argparse.ArgumentParser(description="probe a written corpus of hostile PDFs")
    parser.add_argument("command", choices=["probe", "write"])
    parser.add_argument("directory")
    parser.add_argument("--memory", type=int, default=0, help="address-space cap of this process, bytes")
    parser.add_argument("--seconds", type=float, default=0.0, help="time of each case, seconds (0: no limit)")
    parser.add_argument("--light", action="store_true")
    parser.add_argument("names", nargs="*")
    args = parser.parse_intermixed_args(argv)
    if args.memory:
        resource.setrlimit(resource.RLIMIT_AS, (args.memory, args.memory))
    if args.command == "write":
        write(corpus(light=args.light), args.directory)
    else:
        probe(args.directory, args.names, args.seconds)
    return 0


if __name__ == "__main__":
    # Run as a script (the probe of a checked-out revision): the project of PYTHONPATH, else this one.
    sys.path[0] = os.environ.get("PROBE_PROJECT") or os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main(sys.argv[1:]))
