"""Page layout as plain data: every string with its position, every rule line.

The documents compute a PageLayout first and only then draw it, so tests (and anyone debugging) can check
that each string lies inside the page without parsing the PDF, and the PDF draws exactly those strings.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.clock import JST
from chalicelib.pdf.fonts import register_fonts, string_width

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

A4_WIDTH = 595.2755905511812  # reportlab.lib.pagesizes.A4, without importing reportlab for two numbers
A4_HEIGHT = 841.8897637795277

# A CJK glyph's ascent and descent as fractions of the font size (IPAex: 0.88 / 0.12).
ASCENT = 0.88
DESCENT = 0.12

# Characters that must not begin a line (行頭禁則), the common short list.
_NO_LINE_START = frozenset(
    "、。，．,.)）」』】〕〉》］}｝ゝゞ々ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ・：；:;!?！？%％"
)


@dataclass(frozen=True)
class DrawnText:
    """One string drawn on one baseline; x is its left edge."""

    text: str
    x: float
    y: float
    size: float
    width: float
    field: str | None = None  # the text field (certificate_text_fields key) this line belongs to

    @property
    def top(self) -> float:
        return self.y + self.size * ASCENT

    @property
    def bottom(self) -> float:
        return self.y - self.size * DESCENT


@dataclass(frozen=True)
class DrawnLine:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.6


@dataclass(frozen=True)
class QrPlacement:
    """A QR code of value in a size x size square whose lower-left corner is (x, y); also a link."""

    value: str
    x: float
    y: float
    size: float


@dataclass(frozen=True)
class LinkArea:
    """A rectangle that opens `url` when clicked in a PDF viewer (a printed address, for readers on a PC)."""

    url: str
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class PageLayout:
    width: float = A4_WIDTH
    height: float = A4_HEIGHT
    texts: list[DrawnText] = field(default_factory=list)
    lines: list[DrawnLine] = field(default_factory=list)
    qr_codes: list[QrPlacement] = field(default_factory=list)
    links: list[LinkArea] = field(default_factory=list)

    def text(self, text: str, x: float, y: float, size: float, field: str | None = None) -> DrawnText:
        """Add a string with its left edge at x."""
        run = DrawnText(text, x, y, size, string_width(text, size), field)
        self.texts.append(run)
        return run

    def text_right(self, text: str, right: float, y: float, size: float, field: str | None = None) -> None:
        self.text(text, right - string_width(text, size), y, size, field)

    def text_center(self, text: str, center: float, y: float, size: float, field: str | None = None) -> None:
        self.text(text, center - string_width(text, size) / 2, y, size, field)

    def paragraph(
        self,
        text: str,
        x: float,
        y: float,
        width: float,
        size: float,
        leading: float,
        field: str | None = None,
        *,
        phrases: bool = False,
    ) -> float:
        """Add text wrapped to width from baseline y; returns the baseline for a line after its last one.
        With `phrases`, lines break only between words (wrap_text)."""
        for line in wrap_text(text, width, size, phrases=phrases):
            self.text(line, x, y, size, field)
            y -= leading
        return y

    def table(self, rows: Sequence[tuple[str, str, float]], left: float, right: float, value_left: float,
              top: float, label_size: float, pad_x: float, pad_y: float, *, phrases: bool = False) -> float:
        """A ruled two-column table from `top` down: (label, value, value's size) per row, the value wrapped in its
        cell (leading 1.5 of its size), the label in the middle of its row's height and drawn first, so text
        extraction reads label, value. Returns the table's bottom."""
        value_width = right - value_left - 2 * pad_x
        row_top = top
        for label, value, size in rows:
            lines = wrap_text(value, value_width, size, phrases=phrases)
            leading = size * 1.5
            row_h = 2 * pad_y + size + (len(lines) - 1) * leading
            label_y = row_top - row_h / 2 - label_size * (ASCENT - DESCENT) / 2
            self.text(label, left + pad_x, label_y, label_size)
            first = row_top - pad_y - size * ASCENT
            for i, line in enumerate(lines):
                self.text(line, value_left + pad_x, first - i * leading, size, label)
            row_top -= row_h
            self.rule(left, row_top, right, row_top)
        self.rule(left, top, right, top)
        self.rule(left, top, left, row_top)
        self.rule(right, top, right, row_top)
        self.rule(value_left, top, value_left, row_top)
        return row_top

    def link(self, run: DrawnText, url: str) -> None:
        """Make a drawn string a link to `url` (its box, ascent to descent)."""
        self.links.append(LinkArea(url, run.x, run.bottom, run.x + run.width, run.top))

    def rule(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.6) -> None:
        self.lines.append(DrawnLine(x1, y1, x2, y2, width))

    def box(self, left: float, bottom: float, right: float, top: float, width: float = 0.6) -> None:
        self.rule(left, top, right, top, width)
        self.rule(right, top, right, bottom, width)
        self.rule(right, bottom, left, bottom, width)
        self.rule(left, bottom, left, top, width)

    def field_lines(self, name: str) -> list[str]:
        return [t.text for t in self.texts if t.field == name]

    def draw(self, canvas: Canvas) -> None:
        """Draw everything on the canvas's current page."""
        font = register_fonts()
        current_size = None
        for t in self.texts:
            if t.size != current_size:  # setFont writes an operator; skip repeats
                canvas.setFont(font, t.size)
                current_size = t.size
            canvas.drawString(t.x, t.y, t.text)
        current_width = None
        for ln in self.lines:
            if ln.width != current_width:
                canvas.setLineWidth(ln.width)
                current_width = ln.width
            canvas.line(ln.x1, ln.y1, ln.x2, ln.y2)
        for qr in self.qr_codes:
            _draw_qr(canvas, qr)
        for area in self.links:
            canvas.linkURL(area.url, (area.x1, area.y1, area.x2, area.y2), relative=0)


def _draw_qr(canvas: Canvas, qr: QrPlacement) -> None:
    # Dark runs of each row as rectangles of one filled path: far faster than drawing the widget's
    # shapes one by one through renderPDF (~45 ms). A 4-module quiet zone is inside the square.
    modules = qr_modules(qr.value)
    box = qr.size / (len(modules) + 2 * QR_BORDER)
    path = canvas.beginPath()
    for r, row in enumerate(modules):
        y = qr.y + qr.size - (r + QR_BORDER + 1) * box  # row 0 is the top row
        c = 0
        for dark, run in itertools.groupby(row):
            n = len(list(run))
            if dark:
                path.rect(qr.x + (c + QR_BORDER) * box, y, n * box, box)
            c += n
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
    # On screen, where a phone cannot scan the page, a click on the code opens the same address.
    canvas.linkURL(qr.value, (qr.x, qr.y, qr.x + qr.size, qr.y + qr.size), relative=0)


QR_BORDER = 4  # quiet zone in modules, as the QR standard asks


@functools.lru_cache(maxsize=256)
def qr_modules(value: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code's module matrix (True = dark), made by segno at error correction level M.

    Level M survives a smudged or folded print; segno picks the smallest version that fits and is pure
    Python without imports of its own. Cached: a contract's notice is drawn again with the same address
    whenever its key is shown or reissued.
    """
    import segno

    code = segno.make_qr(value, error="m", boost_error=False)
    return tuple(tuple(bool(m) for m in row) for row in code.matrix)


def wrap_text(text: str, max_width: float, size: float, *, phrases: bool = False) -> list[str]:
    """Break text into lines no wider than max_width.

    Japanese may break between any two characters, so by default this wraps per character, keeps 行頭禁則
    characters off the start of a line, and honours '\\n' as a hard break. With `phrases` it breaks only
    between words (phrase_breaks), falling back to characters only for a word wider than a line.
    Every returned line fits, so callers can rely on it for page bounds.
    """
    # Two characters must fit, or a carried-down character plus the next one could overflow.
    if max_width < 2 * size:
        raise ValueError("max_width is too small to wrap text of this size")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if phrases:
            lines.extend(_wrap_phrases(paragraph, max_width, size))
        else:
            lines.extend(_wrap_paragraph(paragraph, max_width, size))
    return lines


_OPENING = frozenset("「『(（【〔〈《［[{｛")
_CLOSING = frozenset("、。，．)）」』】〕〉》］]}｝")  # not "." or ",": an address or a number goes on
_HONORIFIC = frozenset("ごお")  # ご提出, お知らせ: the prefix belongs to the word after it


def _hiragana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f"


def _word_start(ch: str) -> bool:
    """A character that may begin a word: kanji, katakana, Latin letters and digits, an opening bracket."""
    return (ch in _OPENING or ch.isascii() and ch.isalnum() or "\u4e00" <= ch <= "\u9fff" or ch in "々〆"
            or "\u30a1" <= ch <= "\u30fa" and ch not in _NO_LINE_START)


def phrase_breaks(text: str) -> list[int]:
    """Where a line may end between words (indexes of the first character of the next line).

    Japanese phrases (文節) mostly end where a run of hiragana (particles, endings) meets the next word's
    kanji, katakana or Latin; besides that after a space, after closing punctuation and before an opening
    bracket; in an address after '/', '?' or '&'. Never before a 行頭禁則 character."""
    breaks = []
    for i in range(1, len(text)):
        prev, ch = text[i - 1], text[i]
        if ch in _NO_LINE_START or ch == " ":
            continue
        at = (prev == " " or prev in _CLOSING or ch in _OPENING and prev not in _OPENING
              or _hiragana(prev) and _word_start(ch) and prev not in _HONORIFIC
              or _hiragana(prev) and ch in _HONORIFIC and i + 1 < len(text) and _word_start(text[i + 1])
              or prev in "/?&" and ch.isascii() and ch.isalnum())
        if at:
            breaks.append(i)
    return breaks


def _wrap_phrases(text: str, max_width: float, size: float) -> list[str]:
    bounds = [0, *phrase_breaks(text), len(text)]
    words = [text[a:b] for a, b in itertools.pairwise(bounds)]
    lines: list[str] = []
    current = ""
    for word in words:
        if not current or string_width(current + word.rstrip(" "), size) <= max_width:
            current += word
            continue
        lines.append(current.rstrip(" "))
        current = word
    if current:
        lines.append(current.rstrip(" "))
    # A word wider than a line (a long name without a break): only there, per character.
    return [piece for line in lines for piece in (
        [line] if string_width(line, size) <= max_width else _wrap_paragraph(line, max_width, size))] or [""]


def _wrap_paragraph(text: str, max_width: float, size: float) -> list[str]:
    if string_width(text, size) <= max_width:
        return [text]
    lines: list[str] = []
    current = ""
    width = 0.0
    for ch in text:
        w = string_width(ch, size)
        if current and width + w > max_width:
            carry = ""
            if ch in _NO_LINE_START:
                # Carry the line's tail down with it, back to a character that may start a line, as long
                # as something stays on this line and the carried part still fits on the next.
                k = 1
                while k < len(current) and current[-k] in _NO_LINE_START:
                    k += 1
                if k < len(current) and string_width(current[-k:] + ch, size) <= max_width:
                    carry, current = current[-k:], current[:-k]
            lines.append(current)
            current = carry
            width = string_width(carry, size) if carry else 0.0
        current += ch
        width += w
    lines.append(current)
    return lines


def new_canvas(buffer: object, title: str, author: str, subject: str, *, created: datetime) -> Canvas:
    """A4 canvas with compression, Japanese language tag and fixed metadata.

    invariant=1 fixes the document id and the timestamp reportlab would take from the clock, so the same content
    and `created` give the same bytes (a version's PDF is compared byte for byte); the CreationDate and ModDate
    printed are `created` in Japan time, the real moment the document is made and signed (reportlab alone would
    print 2000-01-01 under invariant).
    """
    from reportlab.pdfgen.canvas import Canvas

    # The Japanese font as initial font: otherwise the page resources name an unembedded Helvetica.
    c = Canvas(
        buffer,
        pagesize=(A4_WIDTH, A4_HEIGHT),
        pageCompression=1,
        invariant=1,
        lang="ja-JP",
        initialFontName=register_fonts(),
    )
    c.setTitle(title)
    c.setAuthor(author)
    c.setSubject(subject)
    stamp = created.astimezone(JST).strftime("D:%Y%m%d%H%M%S+09'00'")
    c.setDateFormatter(lambda *_: stamp)
    c.setCreator("電子保証")
    c.setProducer("電子保証")
    return c
