"""Issue 10 item 8: ``pytest scenarios/`` — with and without ``-n`` (xdist) — ends with each run's
summary table and the path of its reports. Under ``-n`` the workers' runs are reported by the
controller, whose terminal is the only one shown. A real pytest subprocess on the session's LocalStack."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness import paths

pytestmark = pytest.mark.localstack

SCENARIOS = {
    "tiny": """\
        name: tiny
        topology: reference.topology.yaml
        send: {from: A/us-east-1, queue: b-eu, count: 2}
        expect:
          - {queue: b-eu, within: 5s}
        """,
    "never": """\
        name: never
        topology: reference.topology.yaml
        send: {from: A/us-east-1, topic: orders, count: 1, attributes: {kind: refund}}
        expect:
          - {queue: c-us, within: 1s}
        """,
}


@pytest.mark.parametrize("mode", [["-n", "2"], ["-p", "no:xdist"]], ids=["xdist", "single"])
def test_pytest_ends_with_the_summary_and_the_report_paths(endpoint_url: str, tmp_path: Path, mode: list[str]) -> None:
    (tmp_path / "reference.topology.yaml").write_text(paths.REFERENCE_TOPOLOGY.read_text())
    for name, body in SCENARIOS.items():
        (tmp_path / f"{name}.scenario.yaml").write_text(textwrap.dedent(body))
    reports = tmp_path / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-q", *mode, "-p", "no:cacheprovider",
         "--harness-endpoint", endpoint_url, "--harness-reports", str(reports)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    lines = out.splitlines()
    assert "1 failed, 1 passed" in lines[-1], lines[-5:]
    run_dirs = sorted(p for p in reports.iterdir() if p.is_dir())
    assert run_dirs, out
    [section] = [i for i, line in enumerate(lines) if "harness: scenario runs" in line]
    tail = lines[section:]
    # after pytest's failures and short summary: only the final counts line follows the section
    assert not any("short test summary info" in line for line in tail), out
    assert sorted(line for line in tail if line.startswith("reports: ")) == [f"reports: {d}" for d in run_dirs], out
    headers = [line for line in tail if line.startswith("scenario ") and "viaS3" in line]
    assert len(headers) == len(run_dirs), out
    for name, status in (("tiny", "passed"), ("never", "failed")):
        assert any(line.startswith(name) and f" {status} " in line for line in tail), out
    assert any("c-us: 1 of 1 messages never arrived" in line for line in tail), out
