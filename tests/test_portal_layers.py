"""The portal's templates carry no script and no inline style (the CSP allows neither). Its imports are held
to the layers by import-linter (tests/test_layers.py)."""

from __future__ import annotations

import os

from tests.support.world import PROJECT_DIR

PORTAL_DIR = os.path.join(PROJECT_DIR, "chalicelib", "portal")


def test_templates_have_no_script_and_no_inline_style():
    templates = os.path.join(PORTAL_DIR, "templates")
    for folder, _, names in os.walk(templates):
        for name in names:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                text = f.read().lower()
            assert "<script" not in text and "<style" not in text and " style=" not in text, name
            assert " on" + "click=" not in text and "javascript:" not in text, name
