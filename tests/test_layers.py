"""The layers of docs/ARCHITECTURE.md hold: import-linter's contracts (pyproject.toml), and the rules a
contract cannot express."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

CHALICELIB = Path(PROJECT_DIR) / "chalicelib"


@pytest.fixture(autouse=True)
def _loggers_stay_enabled() -> Iterator[None]:
    """lint_imports runs logging.config.dictConfig, which disables every logger that exists (the app's among
    them, once an earlier test in this worker imported it): later caplog checks in the worker then see nothing."""
    loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    was = {lg: lg.disabled for lg in loggers}
    yield
    for lg, disabled in was.items():
        lg.disabled = disabled


def _sources() -> list[Path]:
    return sorted(p for p in CHALICELIB.rglob("*.py")) + [Path(PROJECT_DIR) / "app.py"]


def test_import_contracts_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlinter.cli import lint_imports

    monkeypatch.chdir(PROJECT_DIR)
    assert lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True) == 0


def test_a_contract_catches_a_handler_that_reaches_into_the_store(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker is not a no-op: the same contracts on a copy with one bad import fail."""
    import shutil

    from importlinter.cli import lint_imports

    shutil.copytree(CHALICELIB, tmp_path / "chalicelib", ignore=shutil.ignore_patterns("fonts", "__pycache__"))
    shutil.copy(Path(PROJECT_DIR) / "pyproject.toml", tmp_path / "pyproject.toml")
    health = tmp_path / "chalicelib" / "handlers" / "health.py"
    health.write_text(health.read_text() + "\nfrom chalicelib.store import models  # noqa\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in list(__import__("sys").modules) if m == "chalicelib" or m.startswith("chalicelib.")]:
        monkeypatch.delitem(__import__("sys").modules, name)
    assert lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True) == 1


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
