"""scripts/package_check.py, package_prune.py and package_run.py on packages built here from the installed wheels'
real shared objects (the full `chalice package` build, pruned and run from a bare interpreter, runs in
`make package-check`, outside the suite)."""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
import zipfile
from pathlib import Path

import PIL

from scripts import package_check, package_prune, package_run

PIL_DIR = os.path.dirname(PIL.__file__)
LIBS_DIR = os.path.join(os.path.dirname(PIL_DIR), "pillow.libs")


def _package(tmp_path, files: dict[str, bytes], runtime: str | None = None):
    runtime = runtime or package_check.stated_runtime()
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "sam.json").write_text(json.dumps({"Resources": {"APIHandler": {
        "Type": "AWS::Serverless::Function", "Properties": {"Runtime": runtime}}}}))
    with zipfile.ZipFile(tmp_path / "deployment.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return tmp_path


def _imaging() -> dict[str, bytes]:
    name = next(n for n in os.listdir(PIL_DIR) if n.startswith("_imaging.") and n.endswith(".so"))
    with open(os.path.join(PIL_DIR, name), "rb") as f:
        return {f"PIL/{name}": f.read()}


def _pillow_libs() -> dict[str, bytes]:
    out = {}
    for name in os.listdir(LIBS_DIR):
        with open(os.path.join(LIBS_DIR, name), "rb") as f:
            out[f"pillow.libs/{name}"] = f.read()
    return out


def test_libraries_built_for_a_newer_glibc_fail_on_the_older_runtime_only(tmp_path):
    """pip installs here the wheel for this machine's glibc (manylinux_2_28): fine on the stated runtime's Amazon
    Linux 2023 (glibc 2.34); on python3.11's Amazon Linux 2 (glibc 2.26) the libraries needing GLIBC_2.27+ fail."""
    files = {**_imaging(), **_pillow_libs()}
    lines, findings = package_check.check(_package(tmp_path / "new", files))
    assert findings == []
    assert lines[0].startswith(f"runtime {package_check.stated_runtime()}: policy manylinux_2_34")
    assert any(line.startswith("ok   PIL/_imaging.") for line in lines)
    newest = max((line for line in lines if "GLIBC_2." in line),
                 key=lambda line: tuple(int(p) for p in line.split("GLIBC_2.")[1].split()[0].split(".")))
    if "GLIBC_2.27" in newest or "GLIBC_2.28" in newest:  # the wheel of a newer machine than Amazon Linux 2
        _lines, old_findings = package_check.check(_package(tmp_path / "old", files, runtime="python3.11"),
                                                   stated="python3.11")
        assert old_findings and all("newer than manylinux_2_26" in f for f in old_findings)


def test_a_template_on_another_runtime_than_the_stated_one_fails(tmp_path):
    """chalice writes the runtime of whichever Python ran it: a package built by python3.12 is refused."""
    _lines, findings = package_check.check(_package(tmp_path, {}, runtime="python3.12"))
    assert findings == [f"the template's functions run python3.12, the project states "
                        f"{package_check.stated_runtime()} (pyproject.toml): package with the Makefile "
                        f"(its venv runs {package_check.stated_runtime()})"]


def test_the_runtime_is_stated_once_and_the_suite_runs_on_it():
    """pyproject.toml states it; the linters target it, and this venv (make test's) is that Python."""
    root = Path(package_check.__file__).resolve().parent.parent
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = package_check.stated_runtime()
    assert re.fullmatch(r"python3\.\d+", runtime)
    version = runtime.removeprefix("python")
    assert f"python{sys.version_info.major}.{sys.version_info.minor}" == runtime
    assert pyproject["tool"]["mypy"]["python_version"] == version
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")
    assert package_check.RUNTIME_POLICIES[runtime] == "manylinux_2_34"  # Amazon Linux 2023
    # the Makefile reads the same line (its RUNTIME): one pattern, no second statement of the version
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert "sed -n 's/^lambda-runtime = " in makefile and "3.13" not in makefile
    assert f'lambda-runtime = "{runtime}"' in (root / "pyproject.toml").read_text(encoding="utf-8")


def test_a_library_neither_bundled_nor_on_the_runtime_fails(tmp_path):
    _lines, findings = package_check.check(_package(tmp_path, _imaging()))
    assert findings and all("neither bundled nor on the runtime" in f for f in findings)


def test_a_wheel_built_on_this_machine_fails(tmp_path):
    wheel = b"Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n"
    _lines, findings = package_check.check(_package(tmp_path, {"pillow-13.0.0.dist-info/WHEEL": wheel}))
    assert findings == ["pillow-13.0.0.dist-info: built on this machine (cp311-cp311-linux_x86_64)"]


# --- package_prune ---------------------------------------------------------------------------------------------

def test_the_prune_plan_keeps_the_used_services_and_the_libraries_a_kept_module_needs():
    names = [
        "botocore/data/endpoints.json", "botocore/data/dynamodb/2012-08-10/service-2.json.gz",
        "botocore/data/ec2/2016-11-15/service-2.json.gz", "boto3/data/ec2/2016-11-15/resources-1.json",
        "boto3/data/s3/2006-03-01/resources-1.json", "PIL/_imaging.cpython-313-x86_64-linux-gnu.so",
        "PIL/_avif.cpython-313-x86_64-linux-gnu.so", "PIL/AvifImagePlugin.py",
        "pillow.libs/libtiff-1.so.6", "pillow.libs/libzstd-2.so.1", "pillow.libs/libavif-3.so.16",
        "cryptography/hazmat/bindings/_rust.abi3.so",
    ]
    needed = {"PIL/_imaging.cpython-313-x86_64-linux-gnu.so": ["libtiff-1.so.6", "libc.so.6"],
              "pillow.libs/libtiff-1.so.6": ["libzstd-2.so.1"],
              "PIL/_avif.cpython-313-x86_64-linux-gnu.so": ["libavif-3.so.16"]}
    drop = package_prune.plan(names, lambda name: needed.get(name, []))
    assert drop == {
        "botocore/data/ec2/2016-11-15/service-2.json.gz": "an AWS service the app never calls",
        "boto3/data/ec2/2016-11-15/resources-1.json": "an AWS service the app never calls",
        "PIL/_avif.cpython-313-x86_64-linux-gnu.so": "a Pillow feature reportlab never uses",
        "pillow.libs/libavif-3.so.16": "a bundled library no remaining module needs",
    }  # libzstd stays: _imaging needs it through libtiff


def test_every_aws_client_the_service_makes_is_kept():
    root = Path(package_check.__file__).resolve().parent.parent / "chalicelib"
    used = {m for path in root.rglob("*.py")
            for m in re.findall(r"""client\(\s*["']([a-z0-9-]+)["']""", path.read_text(encoding="utf-8"))}
    assert used >= {"dynamodb", "s3", "kms"}  # the pattern still finds the calls
    assert used <= package_prune.BOTOCORE_SERVICES


def test_pruning_pillow_keeps_every_library_its_image_module_loads(tmp_path):
    """The installed Pillow pruned: `_imaging` and every library it needs stay (the native-library check finds
    nothing missing), the AVIF module and its 8 MB library go."""
    archive = _package(tmp_path, {**_imaging(), **_pillow_libs(), **_extension("_avif")}) / "deployment.zip"
    lines = package_prune.prune(archive)
    with zipfile.ZipFile(archive) as zf:
        kept = zf.namelist()
    assert any(n.startswith("PIL/_imaging.") for n in kept)
    assert not any(n.startswith("PIL/_avif.") or "libavif" in n for n in kept)
    assert any("libjpeg" in n for n in kept) and any("libtiff" in n for n in kept)
    assert lines[-1].startswith("package ")
    _lines, findings = package_check.check(archive.parent)
    assert findings == []


def _extension(name: str) -> dict[str, bytes]:
    found = next(n for n in os.listdir(PIL_DIR) if n.startswith(f"{name}.") and n.endswith(".so"))
    with open(os.path.join(PIL_DIR, found), "rb") as f:
        return {f"PIL/{found}": f.read()}


# --- package_run's table --------------------------------------------------------------------------------------

def test_the_run_table_fails_a_wrong_answer_and_a_call_that_never_ran():
    expected = [("GET /v1/health", 200), ("OutboxSweep (schedule event)", "ok"), ("GET /login (portal)", 200)]
    lines, failures = package_run.table(
        [{"row": "GET /v1/health", "status": 200, "ms": 3.2},
         {"row": "GET /login (portal)", "status": 500, "ms": 9, "detail": "TemplateNotFound: login.html"}], expected)
    assert lines[1].split() == ["GET", "/v1/health", "200", "200", "3", "ok"]
    assert lines[2].endswith("FAIL") and lines[3].endswith("FAIL")
    assert failures == ["OutboxSweep (schedule event): expected ok, got - never ran (an earlier step failed)",
                        "GET /login (portal): expected 200, got 500 TemplateNotFound: login.html"]
    _lines, none = package_run.table([{"row": row, "status": want} for row, want in expected], expected)
    assert none == []


def test_the_run_drives_every_function_of_the_template():
    """Each Lambda function chalice packages has a row: a new function needs its event in the run."""
    rows = " ".join(row for row, _ in package_run.EXPECTED)
    for function in ("DocumentCheck", "OutboxConsumer", "OutboxSweep"):
        assert function in rows
    assert "POST /v1/guarantees" in rows and "GET /certificates (portal" in rows
