"""``harness accept`` interrupted with Ctrl-C (SIGINT) in the middle of the change — Terraform
applying NEW while probe traffic flows — destroys everything: nothing carrying the run id remains
in any account or region of BASE or NEW."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import paths
from harness.topology.loader import load_topology

pytestmark = pytest.mark.localstack

CHANGES = paths.SCENARIOS_DIR / "changes"
HARNESS = Path(sys.executable).parent / "harness"


def _leftovers(aws, run_id: str) -> list[str]:
    prefix = f"hx-{run_id}-"
    base, new = load_topology(CHANGES / "base.topology.yaml"), load_topology(CHANGES / "add-region.topology.yaml")
    found = []
    for account in {a.id for a in [*base.accounts.values(), *new.accounts.values()]}:
        for region in set(base.regions) | set(new.regions):
            found += [u for u in aws("sqs", account, region).list_queues().get("QueueUrls", []) if prefix in u]
            found += [t["TopicArn"] for t in aws("sns", account, region).list_topics()["Topics"] if prefix in t["TopicArn"]]
        found += [b["Name"] for b in aws("s3", account, "us-east-1").list_buckets()["Buckets"] if b["Name"].startswith(prefix)]
    return sorted(set(found))


def test_ctrl_c_mid_change_leaves_nothing_behind(endpoint_url: str, aws, tmp_path: Path) -> None:
    env = {**os.environ, "HARNESS_ENDPOINT_URL": endpoint_url, "HARNESS_STATE_DIR": str(tmp_path / "state"),
           "HARNESS_REPORTS_DIR": str(tmp_path / "reports")}
    argv = [str(HARNESS), "accept", str(CHANGES / "base.topology.yaml"), str(CHANGES / "add-region.topology.yaml")]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    run_id = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if run_id is None and (m := re.match(r"run ([a-z0-9]+): applying", line)):
                run_id = m.group(1)
            if "probing" in line:  # the change is being applied under probe traffic now
                time.sleep(1.0)
                proc.send_signal(signal.SIGINT)
                break
        rest, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(seen) + rest
    assert run_id is not None and any("probing" in s for s in seen), output
    assert proc.returncode == 130, output
    assert f"run {run_id}: destroyed" in output, output
    assert _leftovers(aws, run_id) == [], output
