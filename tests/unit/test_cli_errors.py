"""The CLI turns damaged state and bad settings into one actionable line, never a traceback.

Each case runs the real ``harness`` entry point in a subprocess with its own state directory.
None of them needs LocalStack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOPOLOGY = REPO / "scenarios" / "reference.topology.yaml"


def harness(state: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    full_env.update(HARNESS_STATE_DIR=str(state), HARNESS_REPORTS_DIR=str(state / "reports"), **env)
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


def _manifest(state: Path, run_id: str, status: str) -> Path:
    path = state / "runs" / run_id / "manifest.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({
        "run_id": run_id, "target": "localstack", "endpoint_url": "http://127.0.0.1:1", "topology": "reference",
        "topology_file": str(TOPOLOGY), "status": status, "provider_version": "3.39.0",
    }))
    return path


def _one_error(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_run_refuses_a_run_whose_apply_failed(tmp_path: Path) -> None:
    _manifest(tmp_path, "deadbeef", "failed")
    proc = harness(tmp_path, "run", str(REPO / "scenarios" / "fanout-small.scenario.yaml"), "--run-id", "deadbeef")
    assert proc.returncode == 1
    assert "run deadbeef is failed, not applied" in _one_error(proc)


def test_run_without_run_id_ignores_failed_runs(tmp_path: Path) -> None:
    _manifest(tmp_path, "deadbeef", "failed")
    proc = harness(tmp_path, "run", str(REPO / "scenarios" / "fanout-small.scenario.yaml"))
    assert proc.returncode == 1
    assert "no applied run to act on" in _one_error(proc)


def test_corrupt_manifest_is_one_clear_error(tmp_path: Path) -> None:
    _manifest(tmp_path, "cafe0001", "applied").write_text('{"run_id": "cafe0001", ')
    proc = harness(tmp_path, "down", "--run-id", "cafe0001")
    assert proc.returncode == 1
    line = _one_error(proc)
    assert "manifest.json is not a readable run manifest" in line and "JSONDecodeError" in line


def test_corrupt_emulator_state_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "emulator").mkdir(parents=True)
    (tmp_path / "emulator" / "state.json").write_text("{not json")
    proc = harness(tmp_path, "emulator", "status")
    assert proc.returncode == 1
    assert "state.json is unreadable" in _one_error(proc)


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_out_of_range_port_is_rejected_by_the_parser(tmp_path: Path, port: str) -> None:
    proc = harness(tmp_path, "emulator", "start", "--port", port)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "is not a TCP port; use a number from 1 to 65535" in proc.stderr


def test_inexact_provider_version_is_a_setup_error(tmp_path: Path) -> None:
    proc = harness(
        tmp_path, "up", "--topology", str(TOPOLOGY), "--endpoint-url", "http://127.0.0.1:1",
        HARNESS_PROVIDER_SOURCE="registry", HARNESS_AWS_PROVIDER_VERSION="~> 5.0",
    )
    assert proc.returncode == 1
    assert "HARNESS_AWS_PROVIDER_VERSION='~> 5.0' must be one exact hashicorp/aws release" in _one_error(proc)


def test_a_provider_mirror_without_the_version_is_a_setup_error(tmp_path: Path) -> None:
    empty = tmp_path / "mirror"
    empty.mkdir()
    proc = harness(
        tmp_path, "up", "--topology", str(TOPOLOGY), "--endpoint-url", "http://127.0.0.1:1",
        HARNESS_PROVIDER_SOURCE="registry", HARNESS_PROVIDER_MIRROR=str(empty),
    )
    assert proc.returncode == 1
    assert f"HARNESS_PROVIDER_MIRROR={empty} holds no hashicorp/aws 5.100.0" in _one_error(proc)
