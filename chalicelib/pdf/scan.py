"""What the check reads from a PDF's bytes before any PDF parser runs (docs/ARCHITECTURE.md, signing).

Every function here looks at the raw bytes with bounded work: a few searches and regular expressions whose
every repetition is bounded, no object is parsed, no stream inflated, no table built from what the file declares.
That is enough to find the signatures (`signatures`: where the signed byte ranges and the /Contents string are,
which is all a signature check needs), to tell a PDF from anything else, and to refuse what no parser should be
handed (`structure_problem`: declared tables larger than the file could hold or than limits.MAX_PDF_OBJECTS,
/Prev loops and chains past limits.MAX_XREF_SECTIONS, sections missing where the file says they are).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain.limits import (
    MAX_PDF_OBJECTS,
    MAX_SIGNATURE_CONTENTS_BYTES,
    MAX_SIGNATURES_SCANNED,
    MAX_XREF_FIELD_BYTES,
    MAX_XREF_SECTIONS,
    PDF_HEADER_WINDOW,
    XREF_DICTIONARY_WINDOW,
    XREF_ENTRY_MIN_BYTES,
)

_WS = rb"[\x00\t\n\x0c\r ]"  # PDF's white-space characters
_INT = rb"(\d{1,10})"  # no offset or count of a 512 KB file has more digits
_OFFSET = rb"(\d{1,20})"  # an offset longer than any file is still read, then found outside it
_BYTE_RANGE = re.compile(rb"/ByteRange" + _WS + rb"{0,64}\[" + (_WS + rb"{0,64}" + _INT) * 4 + _WS + rb"{0,64}\]")
_CONTENTS_BEFORE = re.compile(rb"/Contents" + _WS + rb"{0,64}$")
_HEX = re.compile(rb"<[0-9A-Fa-f]*>")
_ENCRYPT = re.compile(rb"/Encrypt" + _WS + rb"{0,64}(?:\d{1,10}" + _WS + rb"{1,64}\d{1,10}" + _WS + rb"{1,64}R|<<)")
_STARTXREF = re.compile(rb"startxref" + _WS + rb"{1,64}" + _OFFSET)
_OBJECT_HEADER = re.compile(_INT + _WS + rb"{1,64}" + _INT + _WS + rb"{1,64}obj")
_SUBSECTION = re.compile(rb"(?m)^" + _WS + rb"{0,64}" + _INT + rb" {1,64}" + _INT + rb"[ \t]{0,64}\r?$")
_PREV = re.compile(rb"/Prev" + _WS + rb"{1,64}" + _OFFSET)
_XREF_STM = re.compile(rb"/XRefStm" + _WS + rb"{1,64}" + _OFFSET)
_SIZE = re.compile(rb"/Size" + _WS + rb"{1,64}" + _INT)
_INDEX = re.compile(rb"/Index" + _WS + rb"{0,64}\[([\d\x00\t\n\x0c\r ]{0,4096})\]")
_WIDTHS = re.compile(rb"/W" + _WS + rb"{0,64}\[([\d\x00\t\n\x0c\r ]{0,256})\]")
_OBJECT_STREAM = re.compile(rb"/Type" + _WS + rb"{0,64}/ObjStm\b")
_OBJECT_COUNT = re.compile(rb"/N" + _WS + rb"{1,64}" + _INT)
_XREF_TYPE = re.compile(rb"/Type" + _WS + rb"{0,64}/XRef\b")
_AFTER_TRAILER = (b"startxref", b"%%EOF", b"xref")
_OBJECT_STREAM_WINDOW = 512  # bytes either side of /Type /ObjStm read for its /N


@dataclass(frozen=True)
class SignatureBytes:
    """One signature dictionary as its bytes show it: the ranges it says it signs and its /Contents."""

    position: int  # where its /ByteRange is written
    byte_range: tuple[int, int, int, int]  # (start, length, start, length) of the two signed ranges
    contents: bytes | None  # the DER the /Contents hex string holds; None when the gap is no such string

    def beyond(self, length: int) -> bool:
        """Whether it names bytes past the end of a file of `length` bytes (a file cut short)."""
        start, first, second, rest = self.byte_range
        return start + first > length or second + rest > length

    def covers(self, length: int) -> bool:
        """Whether it signs every byte of a file of `length` bytes but its own /Contents string."""
        start, first, second, rest = self.byte_range
        return start == 0 and second + rest == length and first < second

    def ranges(self) -> tuple[tuple[int, int], tuple[int, int]]:
        start, first, second, rest = self.byte_range
        return (start, start + first), (second, second + rest)


def has_header(data: bytes) -> bool:
    return b"%PDF-" in data[:PDF_HEADER_WINDOW + 5]


def signatures(data: bytes) -> list[SignatureBytes]:
    """The last limits.MAX_SIGNATURES_SCANNED signature dictionaries, in file order (the last is the newest).

    A signature is a /ByteRange of four integers; its /Contents is the gap between the two ranges, which must
    be one hex string right after the key /Contents. A /ByteRange whose gap is anything else still counts (a
    broken signature, `contents` None): a file damaged there must not pass as unsigned.
    """
    found: list[tuple[int, tuple[int, int, int, int]]] = []
    position = data.find(b"/ByteRange")
    while position >= 0:
        match = _BYTE_RANGE.match(data, position)
        if match:
            found.append((position, (int(match[1]), int(match[2]), int(match[3]), int(match[4]))))
            del found[:-MAX_SIGNATURES_SCANNED]
        position = data.find(b"/ByteRange", position + 1)
    # Only the kept ones are read further: gaps may overlap, and each is up to 64 KB of hex.
    return [SignatureBytes(position, byte_range, _contents(data, byte_range)) for position, byte_range in found]


def _contents(data: bytes, byte_range: tuple[int, int, int, int]) -> bytes | None:
    start, first, second, _ = byte_range
    gap_start, gap_end = start + first, second
    if not 0 < gap_start < gap_end <= len(data) or gap_end - gap_start > 2 * MAX_SIGNATURE_CONTENTS_BYTES + 2:
        return None
    if not _CONTENTS_BEFORE.search(data, max(0, gap_start - 80), gap_start):
        return None
    if not _HEX.fullmatch(data, gap_start, gap_end):
        return None
    digits = data[gap_start + 1:gap_end - 1]
    return bytes.fromhex((digits + b"0" if len(digits) % 2 else digits).decode("ascii"))


def encrypted(data: bytes) -> bool:
    """Whether a trailer names an /Encrypt dictionary (the service never encrypts a PDF)."""
    return _ENCRYPT.search(data) is not None


def structure_problem(data: bytes) -> str | None:
    """Why no PDF parser may be handed these bytes, or None: no end marker, a startxref or /Prev that points
    nowhere, a loop or too long a chain of sections, a section or object stream that declares more entries than
    the limits or the file allow."""
    tail_start = max(0, len(data) - PDF_HEADER_WINDOW)
    if data.rfind(b"%%EOF", tail_start) < 0:
        return "no %%EOF at the end"
    starts = list(_STARTXREF.finditer(data, tail_start))
    if not starts:
        return "no startxref at the end"
    offset: int | None = int(starts[-1][1])
    seen: set[int] = set()
    while offset is not None:
        if offset in seen:
            return "cross-reference sections form a loop"
        if len(seen) >= MAX_XREF_SECTIONS:
            return f"more than {MAX_XREF_SECTIONS} cross-reference sections"
        seen.add(offset)
        problem, offset, stream_offset = _section(data, offset)
        if problem:
            return problem
        if stream_offset is not None:  # a hybrid file's xref stream beside the table
            problem, _, _ = _section(data, stream_offset, stream_only=True)
            if problem:
                return problem
    return _object_streams(data)


def _section(data: bytes, offset: int, *, stream_only: bool = False) -> tuple[str | None, int | None, int | None]:
    """(problem, the /Prev offset, the /XRefStm offset) of the cross-reference section at `offset`."""
    if not 0 <= offset < len(data):
        return f"a cross-reference offset {offset} outside the file", None, None
    if data.startswith(b"xref", offset) and not stream_only:
        trailer = data.find(b"trailer", offset)
        if trailer < 0:
            return "a cross-reference table without trailer", None, None
        declared = 0
        for match in _SUBSECTION.finditer(data, offset + 4, trailer):
            count = int(match[2])
            if int(match[1]) + count > MAX_PDF_OBJECTS:
                return f"a table subsection past {MAX_PDF_OBJECTS} objects", None, None
            declared += count
        if declared * XREF_ENTRY_MIN_BYTES > trailer - offset:
            return "a table declaring more entries than it holds", None, None
        # The trailer dictionary ends before the startxref, %%EOF or next section that follows it.
        window = trailer + XREF_DICTIONARY_WINDOW
        ends = [found for found in (data.find(marker, trailer, window) for marker in _AFTER_TRAILER) if found >= 0]
        if not ends:
            return f"a trailer longer than {XREF_DICTIONARY_WINDOW} bytes", None, None
        dictionary = data[trailer:min(ends)]
        return None, _last_int(_PREV, dictionary), _last_int(_XREF_STM, dictionary)
    header = _OBJECT_HEADER.match(data, offset)
    if not header:
        return f"no cross-reference section at offset {offset}", None, None
    end = data.find(b"stream", header.end(), header.end() + XREF_DICTIONARY_WINDOW)
    if end < 0:
        return f"an xref stream dictionary longer than {XREF_DICTIONARY_WINDOW} bytes", None, None
    dictionary = data[header.end():end]
    if not _XREF_TYPE.search(dictionary):
        return f"no cross-reference section at offset {offset}", None, None
    problem = _stream_declarations(dictionary, len(data))
    return problem, _last_int(_PREV, dictionary), None


def _stream_declarations(dictionary: bytes, length: int) -> str | None:
    """An xref stream's /Size, /Index and /W against the limits and the file's length."""
    size = _last_int(_SIZE, dictionary)
    if size is None:
        return "an xref stream without /Size"
    index = _last_match(_INDEX, dictionary)
    if index is None and b"/Index" in dictionary:
        return "an xref stream /Index that is no short array of integers"
    numbers = [int(n) for n in index[1].split()] if index else [0, size]
    if len(numbers) % 2:
        return "an xref stream /Index of odd length"
    pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
    declared = sum(count for _, count in pairs)
    bound = min(MAX_PDF_OBJECTS, length)
    if declared > bound or any(first + count > MAX_PDF_OBJECTS for first, count in pairs):
        return f"an xref stream declaring {declared} entries (at most {bound})"
    widths = _last_match(_WIDTHS, dictionary)
    if widths is None:
        return "an xref stream without /W"
    fields = [int(w) for w in widths[1].split()]
    if len(fields) != 3 or any(w > MAX_XREF_FIELD_BYTES for w in fields):
        return "an xref stream /W out of bounds"
    return None


def _object_streams(data: bytes) -> str | None:
    """Every object stream's /N (objects it declares) within the limits and the file's length."""
    bound = min(MAX_PDF_OBJECTS, len(data))
    for match in _OBJECT_STREAM.finditer(data):
        # The dictionary around /Type /ObjStm: short windows, so that many object streams stay linear work.
        start = data.rfind(b"<<", max(0, match.start() - _OBJECT_STREAM_WINDOW), match.start())
        end = data.find(b"stream", match.end(), match.end() + _OBJECT_STREAM_WINDOW)
        if start < 0 or end < 0:
            return "an object stream dictionary that cannot be read"
        count = _last_int(_OBJECT_COUNT, data[start:end])
        if count is None or count > bound:
            return f"an object stream declaring {count} objects (at most {bound})"
    return None


def _last_match(pattern: re.Pattern[bytes], text: bytes) -> re.Match[bytes] | None:
    """The last occurrence of a key: a repeated key's last value is the one a parser keeps."""
    found = None
    for found in pattern.finditer(text):  # noqa: B007 - the loop keeps the last
        pass
    return found


def _last_int(pattern: re.Pattern[bytes], text: bytes) -> int | None:
    match = _last_match(pattern, text)
    return int(match[1]) if match else None
