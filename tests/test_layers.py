"""The layers of docs/ARCHITECTURE.md hold: import-linter's contracts (pyproject.toml), and the rules a
contract cannot express."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.world import PROJECT_DIR

CHALICELIB = Path(PROJECT_DIR) / "chalicelib"


def _sources() -> list[Path]:
    return sorted(p for p in CHALICELIB.rglob("*.py")) + [Path(PROJECT_DIR) / "app.py"]


def _lint_imports(folder: Path) -> subprocess.CompletedProcess[str]:
    """import-linter in its own interpreter: its CLI reconfigures logging (dictConfig disables the loggers that
    exist), which must not happen to the test process."""
    program = "import sys; from importlinter.cli import lint_imports; " \
              "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
    env = {**os.environ, "PYTHONPATH": str(folder)}
    return subprocess.run([sys.executable, "-c", program], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120)


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(Path(PROJECT_DIR))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "bad_import", "reported"), [
    ("handlers/health.py", "from chalicelib.store import models", "chalicelib.handlers.health -> chalicelib.store"),
    # The two wings never import each other: what they share lives beneath both (chalicelib/http.py).
    ("portal/filters.py", "from chalicelib.handlers import health", "chalicelib.portal.filters -> chalicelib.handlers"),
    ("handlers/health.py", "from chalicelib.portal import filters", "chalicelib.handlers.health -> chalicelib.portal"),
])
def test_a_contract_catches_an_import_across_the_layers(tmp_path: Path, module: str, bad_import: str,
                                                         reported: str) -> None:
    """The checker is not a no-op: the same contracts on a copy with one bad import fail."""
    shutil.copytree(CHALICELIB, tmp_path / "chalicelib", ignore=shutil.ignore_patterns("fonts", "__pycache__"))
    shutil.copy(Path(PROJECT_DIR) / "pyproject.toml", tmp_path / "pyproject.toml")
    source = tmp_path / "chalicelib" / module
    source.write_text(source.read_text() + f"\n{bad_import}  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert reported in result.stdout, result.stdout


def test_every_log_call_goes_through_the_allow_list() -> None:
    """`extra=` is only ever built by logs.log_context, which refuses unknown fields in tests."""
    offenders = [f"{p.relative_to(PROJECT_DIR)}:{n}" for p in _sources()
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if re.search(r"\bextra=(?!log_context\(|logs\.log_context\()", line)
                 and not line.lstrip().startswith(("#", '"""')) and "`extra=`" not in line]
    assert offenders == []


def test_log_context_refuses_a_field_it_would_drop() -> None:
    from chalicelib.logs import log_context

    assert os.environ.get("APP_LOG_STRICT") == "1"
    assert log_context(contract_number="2070004426") == {"contract_number": "2070004426"}
    with pytest.raises(ValueError, match="scope"):
        log_context(scope="surety#issue#k1")


def test_docstrings_cite_only_files_of_this_repository() -> None:
    offenders = [str(p.relative_to(PROJECT_DIR)) for p in _sources() if "DESIGN.md" in p.read_text()]
    assert offenders == []


def test_tests_share_helpers_only_through_tests_support() -> None:
    """No test module (nor conftest) imports another: what tests share lives in tests/support/."""
    import ast

    offenders = []
    for path in sorted((Path(PROJECT_DIR) / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            offenders += [f"{path.relative_to(PROJECT_DIR)}: {name}" for name in names
                          if name.startswith("tests.") and not name.startswith("tests.support")]
    assert offenders == []


# A DynamoDB Scan in any spelling the app could use: pynamodb's scans, a Model's count() without a key (a Scan of
# the whole table), the client's scan and its paginator, the operation's name.
_SCAN = re.compile(r"""\.(scan|parallel_scan|rate_limited_scan)\(|\.count\(\s*\)|get_paginator\(\s*["']scan["']"""
                   r"""|[."']Scan["']""")


def scans_in(text: str) -> list[int]:
    """The lines (1-based) of `text` that would Scan a table."""
    return [n for n, line in enumerate(text.splitlines(), 1) if _SCAN.search(line)]


def test_the_app_never_scans_a_table() -> None:
    """Every read of the app is a GetItem or a Query of a partition (docs/ARCHITECTURE.md, data): a Scan reads
    the whole table whatever it returns. Maintenance scripts (scripts/backfill.py) may Scan; chalicelib
    may not, and the generated role grants no dynamodb:Scan (tests/test_infra.py)."""
    offenders = [f"{p.relative_to(PROJECT_DIR)}:{n}" for p in _sources() for n in scans_in(p.read_text())]
    assert offenders == []


@pytest.mark.parametrize("line", [
    "models.Contractor.scan()", "Verification.scan(filter_condition=x)", "Model.parallel_scan(segment=1)",
    "Verification.count()", "client.get_paginator('scan')", 'client.scan(TableName="t")',
    'events.register("before-call.dynamodb.Scan", h)',
])
def test_the_scan_check_sees_a_scan(line: str) -> None:
    assert scans_in(f"x = 1\n    {line}\n") == [2]


@pytest.mark.parametrize("line", [
    "from chalicelib.pdf import cms, scan", "found = scan.signatures(data)", "Verification.count(hash_key)",
    "GuaranteeVersion.query(number, scan_index_forward=False)", "# never a Scan",
])
def test_the_scan_check_passes_what_is_no_scan(line: str) -> None:
    assert scans_in(line) == []
