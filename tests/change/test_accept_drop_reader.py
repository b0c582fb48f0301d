"""``harness accept`` of the drop-reader example, applied end to end: even with its access hazard
acknowledged, the change is rejected because NEW's own scenario fails — the consumer account that
lost its grant cannot read the payload (judged from the bucket policy read back after the change)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import paths
from tests.change.test_accept_interrupted import _leftovers

pytestmark = pytest.mark.localstack

CHANGES = paths.SCENARIOS_DIR / "changes"
HARNESS = Path(sys.executable).parent / "harness"


def test_dropping_a_reader_is_rejected_by_the_failing_scenario(endpoint_url: str, aws, tmp_path: Path) -> None:
    env = {**os.environ, "HARNESS_ENDPOINT_URL": endpoint_url, "HARNESS_STATE_DIR": str(tmp_path / "state"),
           "HARNESS_REPORTS_DIR": str(tmp_path / "reports")}
    argv = [str(HARNESS), "accept", str(CHANGES / "base.topology.yaml"), str(CHANGES / "drop-reader.topology.yaml"),
            "--allow", "revoke:payloads:read:C"]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Traceback" not in output
    [report_dir] = list((tmp_path / "reports").iterdir())
    change = json.loads((report_dir / "change.json").read_text())
    assert change["verdict"] == "rejected"
    assert [h["acknowledged"] for h in change["hazards"] if h["token"] == "revoke:payloads:read:C"] == [True]
    [scenario] = change["scenarios"]
    assert scenario["status"] == "failed", scenario
    assert any("cannot get the payload from bucket payloads" in f for f in scenario["failures"]), scenario
    assert all(p["lost"] == 0 for p in change["probe"]), change["probe"]  # the change itself lost nothing
    assert _leftovers(aws, report_dir.name) == []
