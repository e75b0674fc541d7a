"""The embedded Japanese font, and text measuring with it.

IPAex Mincho is TrueType and licensed for redistribution and embedding (IPA Font License v1.0, text in
fonts/). reportlab's TTFont embeds only the glyphs used (subsets), so a PDF stays small and renders the same
in any viewer. Registering reads the 7.8 MB file (~85 ms), so it happens once per process, on first use.
"""

from __future__ import annotations

import threading
from pathlib import Path

FONT_NAME = "IPAexMincho"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "ipaexm.ttf"

_lock = threading.Lock()
_registered = False


def register_fonts() -> str:
    """Register the Japanese font with reportlab once per process; returns the font name to draw with."""
    global _registered
    if _registered:  # fast path without the lock once done
        return FONT_NAME
    with _lock:
        if not _registered:
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
            _registered = True
    return FONT_NAME


def string_width(text: str, size: float) -> float:
    """Width in points of text in the Japanese font."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, register_fonts(), size)
