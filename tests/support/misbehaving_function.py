"""A handler that misbehaves on request, run by the local function runtime as the check's handler is
(`python -m tests.support.misbehaving_function`): it allocates, sleeps, prints or dies as its event says, so that the
runtime's memory and time caps can be seen to hold (tests/test_hostile_pdfs.py)."""

from __future__ import annotations

import os
import time
from typing import Any

ADDRESS_SPACE_BYTES = 512 * 1024 * 1024


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "allocate" in event:
        return {"allocated": len(bytearray(int(event["allocate"])))}
    if "sleep" in event:
        time.sleep(float(event["sleep"]))
    if "print" in event:
        print(event["print"])  # must not be taken for the answer
    if event.get("die"):
        os._exit(3)
    return {"echo": event, "pid": os.getpid()}


if __name__ == "__main__":
    from chalicelib.adapters.local_function import serve

    serve(handler, address_space_bytes=ADDRESS_SPACE_BYTES)
