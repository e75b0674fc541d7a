"""`make run` end to end: the emulator, provisioning, the seed and `chalice local`, then a clean Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys

from chalicelib.domain.clock import japan_today
from scripts.demo_data import CERTIFICATES, DEMO_PASSWORD, seeded_numbers, variety
from scripts.local_run import port_is_free
from tests.support.processes import local_run
from tests.support.world import PROJECT_DIR

READY_TIMEOUT = 60


def test_local_run_serves_the_demo_and_stops_cleanly(tmp_path):
    with local_run(tmp_path / "local_run.log", READY_TIMEOUT) as run:
        api, http = run.url, run.http
        login = http.post(f"{api}/v1/auth/login", json={"username": "demo-contractor-1",
                                                             "password": DEMO_PASSWORD}, timeout=10)
        assert login.status_code == 200, login.text
        assert login.json()["role"] == "contractor"
        token = login.json()["id_token"]
        listing = http.get(f"{api}/v1/certificates", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert listing.status_code == 200, listing.text
        body = listing.json()
        seeded = seeded_numbers("contractor-1", japan_today())
        assert body["total"] == len(seeded)
        assert [i["contract_number"] for i in body["items"]] == seeded

        # `make backfill` against this run's emulator: the seeded certificates were written with every index's keys.
        backfill = subprocess.run([sys.executable, "-m", "scripts.backfill", "--local"], cwd=PROJECT_DIR, env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "APP_"))},
            "LOCAL_AWS_PORT": str(run.aws_port), "NO_PROXY": "127.0.0.1"}, capture_output=True, text=True, timeout=60)
        assert backfill.returncode == 0, backfill.stderr
        current = len(CERTIFICATES) + len(variety(japan_today()))
        assert f"guarantees: {current} items; current {current}" in backfill.stdout, backfill.stdout

        output = run.log()
        assert api in output and "demo-contractor-1" in output and DEMO_PASSWORD in output

        assert run.stop() == 0, run.log()
    # Both servers are gone: their ports can be listened on again at once.
    assert port_is_free(run.api_port), f"the API still holds port {run.api_port}"
    assert port_is_free(run.aws_port), f"the emulator still holds port {run.aws_port}"
