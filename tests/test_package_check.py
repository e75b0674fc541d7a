"""scripts/package_check.py on packages built here from the installed wheels' real shared objects (the full
`chalice package` build runs in `make package-check`, outside the suite)."""

from __future__ import annotations

import json
import os
import zipfile

import PIL

from scripts import package_check

PIL_DIR = os.path.dirname(PIL.__file__)
LIBS_DIR = os.path.join(os.path.dirname(PIL_DIR), "pillow.libs")


def _package(tmp_path, files: dict[str, bytes], runtime: str = "python3.11"):
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
    """pip installs here the wheel for this machine's glibc (manylinux_2_28): fine on python3.12's Amazon Linux
    2023 (glibc 2.34); on python3.11's Amazon Linux 2 (glibc 2.26) the libraries needing GLIBC_2.27+ fail."""
    files = {**_imaging(), **_pillow_libs()}
    lines, findings = package_check.check(_package(tmp_path / "new", files, runtime="python3.12"))
    assert findings == []
    assert lines[0].startswith("runtime python3.12: policy manylinux_2_34")
    assert any(line.startswith("ok   PIL/_imaging.") for line in lines)
    newest = max((line for line in lines if "GLIBC_2." in line),
                 key=lambda line: tuple(int(p) for p in line.split("GLIBC_2.")[1].split()[0].split(".")))
    if "GLIBC_2.27" in newest or "GLIBC_2.28" in newest:  # the wheel of a newer machine than Lambda's
        _lines, old_findings = package_check.check(_package(tmp_path / "old", files, runtime="python3.11"))
        assert old_findings and all("newer than manylinux_2_26" in f for f in old_findings)


def test_a_library_neither_bundled_nor_on_the_runtime_fails(tmp_path):
    _lines, findings = package_check.check(_package(tmp_path, _imaging()))
    assert findings and all("neither bundled nor on the runtime" in f for f in findings)


def test_a_wheel_built_on_this_machine_fails(tmp_path):
    wheel = b"Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n"
    _lines, findings = package_check.check(_package(tmp_path, {"pillow-13.0.0.dist-info/WHEEL": wheel}))
    assert findings == ["pillow-13.0.0.dist-info: built on this machine (cp311-cp311-linux_x86_64)"]
