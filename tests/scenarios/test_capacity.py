"""``harness capacity`` against LocalStack: a ladder from a rate this machine keeps to one it cannot,
and the answer is a rate whose step met every objective, with the step above it missed in words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness import paths
from harness.provision.manifest import Manifest
from tests.scenarios.kit import write_scenario


def test_capacity_finds_the_highest_rate_that_met_every_objective(reference_run: Manifest, tmp_path: Path) -> None:
    sc = write_scenario(tmp_path, paths.REFERENCE_TOPOLOGY, "ladder", """\
        send: {from: A/us-east-1, topic: orders, count: 100, rate: 50, size: 256B, attributes: {kind: refund}}
        expect:
          - {queue: b-eu, within: 20s, latency: {p99: 3s}}
          - {queue: b-ap, within: 20s, latency: {p99: 3s}}
        """)
    env = {**os.environ, "HARNESS_REPORTS_DIR": str(tmp_path / "reports")}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "capacity", sc.source, "--run-id", reference_run.run_id,
         "--factor", "8", "--max", "6400", "--step-seconds", "2", "--refine", "1"],
        capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [report_dir] = (tmp_path / "reports").iterdir()
    capacity = json.loads((report_dir / "capacity.json").read_text())
    rates = [s["rate"] for s in capacity["steps"]]
    # 50 msg/s is within a 2-core emulator's reach, 3200 fanned out to two queues is not: the ladder
    # (50, 400, 3200, 6400) stops at its first miss, one refinement between it and the last pass
    assert rates[0] == 50 and 6400 not in rates and len(rates) in (3, 4), rates
    best, missed = capacity["capacity_msg_per_s"], capacity["first_missed_msg_per_s"]
    assert 50 <= best < missed <= 3200
    [miss] = [s for s in capacity["steps"] if s["rate"] == missed]
    assert miss["status"] in ("failed", "inconclusive") and miss["missed"], miss
    assert all(s["status"] == "passed" for s in capacity["steps"] if s["rate"] <= best)
    assert f"capacity of ladder: {best:g} msg/s with every objective met; at {missed:g} msg/s it missed" in proc.stdout
    report = json.loads((report_dir / "report.json").read_text())
    assert sorted(s["name"] for s in report["scenarios"]) == sorted(s["scenario"] for s in capacity["steps"])
    assert reference_run.run_id in report_dir.name
