"""The README's walk-through, run as written: every ```sh block of README.md that follows a line
`<!-- walkthrough -->` is taken in order and run as one bash script (`set -euo pipefail`) from the project's
directory, so the README cannot go stale without this failing (tests/test_local_run.py runs it against `make run`'s
runner; `make walkthrough` against yours).

Environment: API (default http://127.0.0.1:8000, or PORT's), HOOK_PORT (the walk-through's webhook receiver,
default 8765). `--print` prints the script instead of running it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(PROJECT_DIR, "README.md")
MARKER = "<!-- walkthrough -->"
_BLOCK = re.compile(re.escape(MARKER) + r"\s*\n```sh\n(.*?)\n```", re.DOTALL)


def script(readme: str = README) -> str:
    """The walk-through's blocks of the README, in order, as one bash script."""
    with open(readme, encoding="utf-8") as f:
        blocks = _BLOCK.findall(f.read())
    if not blocks:
        raise SystemExit(f"no ```sh block after {MARKER!r} in {readme}")
    return "set -euo pipefail\n" + "\n\n".join(blocks) + "\n"


def main() -> int:
    if sys.argv[1:] == ["--print"]:
        print(script(), end="")
        return 0
    env = dict(os.environ)
    env.setdefault("API", f"http://127.0.0.1:{env.get('PORT', '8000')}")
    for name in ("NO_PROXY", "no_proxy"):  # the API, the emulator's presigned links and the receiver are local
        env[name] = ",".join(filter(None, [env.get(name), "127.0.0.1", "localhost"]))
    return subprocess.run(["bash", "-c", script()], cwd=PROJECT_DIR, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
