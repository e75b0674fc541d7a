"""Check a built Lambda package: every native library must load on the function's runtime.

`chalice package` takes manylinux wheels where they exist and otherwise compiles a package on this machine
(a `linux_x86_64` wheel linked against this machine's libraries and glibc), which then fails to import on
Lambda. This reads `deployment.zip` and, with auditwheel's manylinux policy for the runtime's glibc:

- every shared object needs only libraries in the package or on the policy's allow-list, and only symbol
  versions (GLIBC_x, GLIBCXX_x, ...) the policy allows;
- no wheel in it is tagged `linux_x86_64` (built here, not portable);
- every function of the template runs on the runtime stated once in pyproject.toml (`[tool.denshi-hosho]
  lambda-runtime`): chalice takes the runtime from whichever Python ran it.

It prints one line per shared object, the package size zipped and unzipped with its largest parts, and exits 1 on
any finding (docs/ARCHITECTURE.md, deployment).

    python -m scripts.package_check build/package
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

# The glibc of each Lambda Python runtime's OS (Amazon Linux 2: 2.26; Amazon Linux 2023: 2.34) as the
# manylinux policy with that glibc.
RUNTIME_POLICIES = {
    "python3.9": "manylinux_2_26", "python3.10": "manylinux_2_26", "python3.11": "manylinux_2_26",
    "python3.12": "manylinux_2_34", "python3.13": "manylinux_2_34",
}
# The dynamic loader itself (the ELF interpreter): present wherever glibc is, never on a policy's list.
LOADERS = {"ld-linux-x86-64.so.2"}
LAMBDA_ZIP_LIMIT = 250 * 1024 * 1024  # unzipped, function and layers together
PROJECT_DIR = Path(__file__).resolve().parent.parent


def stated_runtime(pyproject: Path = PROJECT_DIR / "pyproject.toml") -> str:
    """The Lambda runtime the project states once (pyproject.toml, `[tool.denshi-hosho] lambda-runtime`)."""
    with pyproject.open("rb") as f:
        return str(tomllib.load(f)["tool"]["denshi-hosho"]["lambda-runtime"])


def package_runtime(package_dir: Path) -> str:
    """The one runtime of the template's functions."""
    template = json.loads((package_dir / "sam.json").read_text(encoding="utf-8"))
    runtimes = {r["Properties"]["Runtime"] for r in template["Resources"].values()
                if r["Type"] == "AWS::Serverless::Function"}
    if len(runtimes) != 1:
        raise SystemExit(f"expected one Lambda runtime in sam.json, found {sorted(runtimes)}")
    return runtimes.pop()


def largest_parts(infos: list[zipfile.ZipInfo], count: int = 10) -> list[str]:
    """The package's largest top-level entries (a library, chalicelib), unzipped and zipped."""
    unzipped: collections.Counter[str] = collections.Counter()
    zipped: collections.Counter[str] = collections.Counter()
    for info in infos:
        top = info.filename.split("/", 1)[0]
        unzipped[top] += info.file_size
        zipped[top] += info.compress_size
    return [f"  {name:<24} {size / 1e6:5.1f} MB unzipped {zipped[name] / 1e6:5.1f} MB zipped"
            for name, size in unzipped.most_common(count)]


def _policy(name: str):  # noqa: ANN202 - auditwheel's Policy
    from auditwheel.architecture import Architecture
    from auditwheel.libc import Libc
    from auditwheel.policy import WheelPolicies

    return WheelPolicies(libc=Libc.GLIBC, arch=Architecture.x86_64).get_policy_by_name(f"{name}_x86_64")


def check(package_dir: Path, stated: str | None = None) -> tuple[list[str], list[str]]:
    """(report lines, findings) for the deployment.zip in `package_dir`; `stated`: the runtime it must have
    (default: the project's, `stated_runtime()`)."""
    from auditwheel.elfutils import elf_file_filter, elf_find_versioned_symbols, elf_read_dt_needed

    stated = stated or stated_runtime()
    runtime = package_runtime(package_dir)
    findings: list[str] = []
    if runtime != stated:
        findings.append(f"the template's functions run {runtime}, the project states {stated} (pyproject.toml): "
                        f"package with the Makefile (its venv runs {stated})")
    policy = _policy(RUNTIME_POLICIES[runtime])
    archive = package_dir / "deployment.zip"
    lines = [f"runtime {runtime}: policy {policy.name} (allowed libraries: {len(policy.whitelist)})"]
    with zipfile.ZipFile(archive) as zf, tempfile.TemporaryDirectory() as tmp:
        names = zf.namelist()
        unzipped = sum(i.file_size for i in zf.infolist())
        largest = largest_parts(zf.infolist())
        for name in names:
            if name.endswith(".dist-info/WHEEL"):
                tags = [t.split(":", 1)[1].strip() for t in zf.read(name).decode().splitlines()
                        if t.startswith("Tag:")]
                if any(t.endswith("-linux_x86_64") for t in tags):
                    findings.append(f"{name.split('/')[0]}: built on this machine ({', '.join(tags)})")
        libraries = [n for n in names if n.endswith(".so") or ".so." in os.path.basename(n)]
        zf.extractall(tmp, members=libraries)
        bundled = {os.path.basename(n) for n in libraries}
        for path, elf in elf_file_filter(Path(tmp, n) for n in libraries):
            relative = str(path.relative_to(tmp))
            problems = []
            for needed in elf_read_dt_needed(path):
                if needed not in bundled and needed not in policy.whitelist and needed not in LOADERS:
                    problems.append(f"needs {needed} (neither bundled nor on the runtime)")
            highest: dict[str, str] = {}
            for _library, version in elf_find_versioned_symbols(elf):
                family, _, number = version.partition("_")
                if family not in policy.symbol_versions:
                    continue  # a library's own versions (e.g. a bundled libpng's), not the system's
                if number not in policy.symbol_versions[family]:
                    problems.append(f"needs {version} (newer than {policy.name})")
                elif _newer(number, highest.get(family)):
                    highest[family] = number
            versions = " ".join(f"{k}_{v}" for k, v in sorted(highest.items())) or "no versioned symbols"
            lines.append(f"{'FAIL' if problems else 'ok  '} {relative}: {versions}")
            findings += [f"{relative}: {p}" for p in problems]
    zipped = archive.stat().st_size
    lines.append(f"{len(libraries)} shared objects; package {zipped / 1e6:.1f} MB zipped, "
                 f"{unzipped / 1e6:.1f} MB unzipped; the largest parts:")
    lines += largest
    if unzipped > LAMBDA_ZIP_LIMIT:
        findings.append(f"unzipped size {unzipped} exceeds Lambda's {LAMBDA_ZIP_LIMIT}")
    return lines, findings


def _newer(version: str, than: str | None) -> bool:
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) if p.isdigit() else 0 for p in v.split("."))

    return than is None or key(version) > key(than)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("package_dir", type=Path, help="the output directory of `chalice package`")
    args = parser.parse_args(argv)
    lines, findings = check(args.package_dir)
    print("\n".join(lines))
    for finding in findings:
        print(f"FINDING: {finding}", file=sys.stderr)
    print(f"native-library check: {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
