"""The CLI's offline commands (`cost`, `compare`, `validate` of scenario files) through the real
entry point, and the AWS cost guard in front of `e2e`, which refuses before anything is applied."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.test_cli_errors import REPO, TOPOLOGY, harness

SCENARIOS = sorted(str(p) for p in (REPO / "scenarios").glob("*.scenario.yaml"))


def _huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge.scenario.yaml"
    path.write_text(
        f"name: huge\ntopology: {TOPOLOGY}\nsend: {{from: A/us-east-1, topic: orders, count: 1000, size: 2GiB}}\n"
        "expect:\n  - {queue: b-eu, within: 15m}\n"
    )
    return path


def test_cost_allows_the_reference_set(tmp_path: Path) -> None:
    proc = harness(tmp_path, "cost", *SCENARIOS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| **total** |" in proc.stdout


def test_cost_refuses_two_gib_times_a_thousand(tmp_path: Path) -> None:
    proc = harness(tmp_path, "cost", str(_huge(tmp_path)))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "huge" in proc.stdout


def test_e2e_on_aws_is_refused_by_the_cost_guard_before_anything_is_applied(tmp_path: Path) -> None:
    scen = tmp_path / "scen"
    scen.mkdir()
    _huge(scen)
    proc = harness(tmp_path, "e2e", "--target", "aws", "--topology", str(TOPOLOGY), "--scenarios", str(scen))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "--max-cost-usd" in proc.stderr, proc.stderr
    assert not (tmp_path / "runs").exists()  # nothing was applied


def _report(path: Path, p99: float, status: str = "passed") -> Path:
    path.write_text(json.dumps({
        "schema": "harness-report/2", "run_id": path.stem, "status": status, "scenarios": [{
            "name": "s", "status": status, "failures": [], "paths": [{
                "label": "A/us-east-1 topic:orders → B/eu-west-1 b-eu",
                "counts": {}, "latency_ms": {"count": 100, "p50": 30.0, "p90": 40.0, "p99": p99, "max": p99},
            }],
        }],
    }))
    return path


def test_compare_fails_on_a_doubled_p99_only_when_asked(tmp_path: Path) -> None:
    old, new = _report(tmp_path / "old.json", 100.0), _report(tmp_path / "new.json", 200.0)
    assert harness(tmp_path, "compare", str(old), str(new)).returncode == 0
    proc = harness(tmp_path, "compare", str(old), str(new), "--fail-on-regression")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "p99" in proc.stdout
    same = _report(tmp_path / "same.json", 105.0)
    assert harness(tmp_path, "compare", str(old), str(same), "--fail-on-regression").returncode == 0


def test_validate_takes_scenario_files_without_a_run(tmp_path: Path) -> None:
    proc = harness(tmp_path, "validate", *SCENARIOS[:3])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": ok — scenario") == 3


def test_run_reports_the_problems_of_every_file_at_once(tmp_path: Path) -> None:
    bad1, bad2 = tmp_path / "a.scenario.yaml", tmp_path / "b.scenario.yaml"
    bad1.write_text(f"name: a\ntopology: {TOPOLOGY}\nsend: {{from: A/us-east-1, topic: nope}}\n")
    bad2.write_text(f"name: b\ntopology: {TOPOLOGY}\nsend: {{from: A/us-east-1, queue: nope}}\n")
    proc = harness(tmp_path, "run", str(bad1), str(bad2))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert str(bad1) in proc.stderr and str(bad2) in proc.stderr


def test_up_reports_a_malformed_topology_before_asking_for_an_emulator(tmp_path: Path) -> None:
    topo = tmp_path / "bad.topology.yaml"
    topo.write_text("name: bad\naccounts: {}\n")
    proc = harness(tmp_path, "up", "--topology", str(topo))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no emulator is running" not in proc.stderr
    assert str(topo) in proc.stderr
