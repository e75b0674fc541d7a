"""Leave out of the Lambda package what no function of the service ever loads (after `chalice package`).

`chalice package` installs every wheel of requirements.txt whole. Three parts of them are most of the zip and never
load here (docs/ARCHITECTURE.md, deployment):

- botocore's models of the ~400 AWS services: the service makes clients of `BOTOCORE_SERVICES` only
  (`tests/test_package_check.py` checks that every `client("...")` in chalicelib is one of them);
- Pillow's extension modules for what reportlab never asks of it (AVIF, WebP, FreeType text, colour management,
  Tk, ImageMath, ImageMorph: Pillow imports each only when that feature is used, and its plugins treat a missing
  one as "format not supported"); reportlab draws images through `PIL._imaging` alone;
- the bundled native libraries (`pillow.libs/`) that only those modules need: a library stays when any remaining
  shared object needs it, directly or through another library (DT_NEEDED, the closure).

boto3 and botocore stay bundled, pinned in requirements.txt: Lambda's runtime has its own boto3, but of a version
AWS changes under the function; pynamodb and the service were tested against ours. `make package-check` then runs
the pruned package's handlers from a bare interpreter (scripts/package_run.py), so anything pruned that a request
needs fails CI.

    python -m scripts.package_prune build/package/deployment.zip
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

BOTOCORE_SERVICES = frozenset({
    "cognito-idp", "dynamodb", "kms", "lambda", "s3", "secretsmanager", "ses", "sqs",
    "sts",  # botocore's credential chain (a web-identity or assume-role setting), never the service itself
})
UNUSED_EXTENSIONS = ("PIL/_avif.", "PIL/_webp.", "PIL/_imagingft.", "PIL/_imagingcms.", "PIL/_imagingtk.",
                     "PIL/_imagingmath.", "PIL/_imagingmorph.")
_MODEL_DIRS = ("botocore/data/", "boto3/data/")


def is_shared_object(name: str) -> bool:
    base = os.path.basename(name)
    return base.endswith(".so") or ".so." in base


def _service_model(name: str) -> str | None:
    """The service a model file belongs to (`botocore/data/s3/2006-03-01/...` -> `s3`), None for shared data."""
    for prefix in _MODEL_DIRS:
        if name.startswith(prefix):
            rest = name[len(prefix):]
            return rest.split("/", 1)[0] if "/" in rest else None
    return None


def plan(names: Iterable[str], needed: Callable[[str], Iterable[str]]) -> dict[str, str]:
    """{archive name: why it is left out}; `needed(name)` lists a shared object's DT_NEEDED sonames."""
    names = list(names)
    drop: dict[str, str] = {}
    for name in names:
        service = _service_model(name)
        if service is not None and service not in BOTOCORE_SERVICES:
            drop[name] = "an AWS service the app never calls"
        elif name.startswith(UNUSED_EXTENSIONS) and is_shared_object(name):
            drop[name] = "a Pillow feature reportlab never uses"
    bundled = {os.path.basename(n): n for n in names if is_shared_object(n) and ".libs/" in n}
    wanted: set[str] = set()
    queue = [n for n in names if is_shared_object(n) and ".libs/" not in n and n not in drop]
    while queue:
        for soname in needed(queue.pop()):
            library = bundled.get(soname)
            if library is not None and library not in wanted:
                wanted.add(library)
                queue.append(library)
    for library in set(bundled.values()) - wanted:
        drop[library] = "a bundled library no remaining module needs"
    return drop


def _group(name: str) -> str:
    return name.split("/", 1)[0]


def prune(archive: Path) -> list[str]:
    """Rewrite `archive` without what `plan` leaves out; report lines (what went, sizes before and after)."""
    from auditwheel.elfutils import elf_read_dt_needed

    with zipfile.ZipFile(archive) as zf, tempfile.TemporaryDirectory() as tmp:
        infos = zf.infolist()
        libraries = [i.filename for i in infos if is_shared_object(i.filename)]
        zf.extractall(tmp, members=libraries)
        drop = plan([i.filename for i in infos], lambda n: elf_read_dt_needed(Path(tmp, n)))
        kept = [i for i in infos if i.filename not in drop]
        out = archive.with_suffix(".pruned")
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as pruned:
            for info in kept:
                pruned.writestr(info, zf.read(info), compress_type=zipfile.ZIP_DEFLATED)
    before = archive.stat().st_size
    os.replace(out, archive)
    dropped: collections.Counter[tuple[str, str]] = collections.Counter()
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for info in infos:
        if info.filename in drop:
            dropped[_group(info.filename), drop[info.filename]] += info.file_size
            counts[_group(info.filename), drop[info.filename]] += 1
    lines = [f"left out {counts[key]:4d} files, {size / 1e6:5.1f} MB unzipped: {key[0]} ({key[1]})"
             for key, size in dropped.most_common()]
    lines.append(f"package {before / 1e6:.1f} MB -> {archive.stat().st_size / 1e6:.1f} MB zipped, "
                 f"{sum(i.file_size for i in infos) / 1e6:.1f} MB -> {sum(i.file_size for i in kept) / 1e6:.1f} MB "
                 "unzipped")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("archive", type=Path, help="the deployment.zip of `chalice package`")
    args = parser.parse_args(argv)
    print("\n".join(prune(args.archive)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
