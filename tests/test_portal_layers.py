"""The portal's layering: its handlers and web package call services only, never the store or pynamodb, and
the templates carry no script and no inline style (CSP allows neither)."""

from __future__ import annotations

import ast
import os

from tests.conftest import PROJECT_DIR

PORTAL_DIR = os.path.join(PROJECT_DIR, "chalicelib", "portal")
HANDLERS_DIR = os.path.join(PROJECT_DIR, "chalicelib", "handlers")


def imported_modules(path: str) -> set[str]:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def portal_sources() -> list[str]:
    files = [os.path.join(HANDLERS_DIR, f) for f in os.listdir(HANDLERS_DIR) if f.startswith("portal_")]
    files += [os.path.join(PORTAL_DIR, f) for f in os.listdir(PORTAL_DIR) if f.endswith(".py")]
    assert len(files) >= 8
    return files


def test_portal_code_never_imports_the_store_or_pynamodb():
    for path in portal_sources():
        bad = {m for m in imported_modules(path) if m.startswith(("chalicelib.store", "pynamodb", "boto3"))}
        assert not bad, (os.path.relpath(path, PROJECT_DIR), bad)


def test_templates_have_no_script_and_no_inline_style():
    templates = os.path.join(PORTAL_DIR, "templates")
    for folder, _, names in os.walk(templates):
        for name in names:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                text = f.read().lower()
            assert "<script" not in text and "<style" not in text and " style=" not in text, name
            assert " on" + "click=" not in text and "javascript:" not in text, name
