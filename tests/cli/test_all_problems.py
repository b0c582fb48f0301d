"""Issue 10 item 8: ``harness validate``, ``run``, ``cost`` and ``e2e`` given several invalid files
report every problem of every file in one go — one ``file:line: field: message`` line each — and
exit 2 before anything is applied or started. No LocalStack needed: they stop at the input files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import TOPOLOGY, harness

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<field>[^:]+): (?P<message>.+)$")


def _bad_files(tmp: Path) -> dict[str, Path]:
    files = {
        "topic": tmp / "a.scenario.yaml",
        "count+queue": tmp / "b.scenario.yaml",
        "yaml": tmp / "c.scenario.yaml",
    }
    files["topic"].write_text(f"name: a\ntopology: {TOPOLOGY}\nsend: {{from: A/us-east-1, topic: nope, count: 1}}\nexpect:\n  - {{queue: b-eu, within: 2s}}\n")
    files["count+queue"].write_text(
        f"name: b\ntopology: {TOPOLOGY}\nsend: {{from: A/us-east-1, topic: orders, count: x}}\nexpect:\n  - {{queue: zz, within: 2s}}\n"
    )
    files["yaml"].write_text("name: [\n")
    return files


def _problems(stderr: str) -> list[re.Match]:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    matches = [LINE.match(line) for line in lines]
    assert all(matches), f"not file:line: field: message: {[x for x, m in zip(lines, matches, strict=True) if not m]}"
    return matches  # type: ignore[return-value]


def _by_file(matches: list[re.Match]) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for m in matches:
        out.setdefault(Path(m["file"]).name, []).append((int(m["line"]), m["field"]))
    return out


def test_validate_reports_the_topology_and_every_scenario_file_at_once(tmp_path: Path) -> None:
    files = _bad_files(tmp_path)
    topo = tmp_path / "bad.topology.yaml"
    topo.write_text("name: t\naccounts: 3\n")
    proc = harness(tmp_path, "validate", "--topology", str(topo), *map(str, files.values()), str(tmp_path / "missing.scenario.yaml"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    found = _by_file(_problems(proc.stderr))
    assert found["bad.topology.yaml"] == [(1, "regions"), (2, "accounts")]
    assert found["a.scenario.yaml"] == [(3, "send.topic")]
    assert found["b.scenario.yaml"] == [(3, "send.count"), (5, "expect[0].queue")]
    assert [f for _, f in found["c.scenario.yaml"]] == ["(yaml)"]
    assert [f for _, f in found["missing.scenario.yaml"]] == ["(file)"]
    assert proc.stdout == ""  # nothing is called ok while anything is wrong


def test_a_topology_named_twice_is_reported_once(tmp_path: Path) -> None:
    topo = tmp_path / "bad.topology.yaml"
    topo.write_text("name: t\naccounts: 3\n")
    sc = tmp_path / "s.scenario.yaml"
    sc.write_text(f"name: s\ntopology: {topo}\nsend: {{from: A/us-east-1, topic: orders, count: 1}}\n")
    proc = harness(tmp_path, "validate", "--topology", str(topo), str(sc))
    assert proc.returncode == 2
    lines = [m.group(0) for m in _problems(proc.stderr)]
    assert len(lines) == len(set(lines)) and any("bad.topology.yaml:2: accounts" in x for x in lines), lines


def test_a_scenario_file_named_twice_is_reported_once(tmp_path: Path) -> None:
    files = _bad_files(tmp_path)
    proc = harness(tmp_path, "validate", str(files["count+queue"]), str(files["count+queue"]))
    assert proc.returncode == 2
    lines = [m.group(0) for m in _problems(proc.stderr)]
    assert len(lines) == 2 and len(set(lines)) == 2, lines


@pytest.mark.parametrize("command", ["run", "cost"])
def test_run_and_cost_report_every_file_at_once(tmp_path: Path, command: str) -> None:
    files = _bad_files(tmp_path)
    proc = harness(tmp_path, command, *map(str, files.values()))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert set(_by_file(_problems(proc.stderr))) == {"a.scenario.yaml", "b.scenario.yaml", "c.scenario.yaml"}


def test_run_names_every_scenario_whose_topology_is_not_the_runs(tmp_path: Path) -> None:
    other = tmp_path / "other.topology.yaml"
    shutil.copy(TOPOLOGY, other)
    manifest = tmp_path / "runs" / "abc123" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({
        "run_id": "abc123", "target": "localstack", "endpoint_url": "http://127.0.0.1:1", "topology": "reference",
        "topology_file": str(TOPOLOGY), "status": "applied", "provider_version": "3.39.0",
    }))
    scenarios = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.scenario.yaml"
        path.write_text(f"name: {name}\ndescription: x\ntopology: {other}\nsend: {{from: A/us-east-1, topic: orders, count: 1}}\n"
                        "expect:\n  - {queue: b-eu, within: 2s}\n")
        scenarios.append(str(path))
    proc = harness(tmp_path, "run", *scenarios, "--run-id", "abc123")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    found = _problems(proc.stderr)
    assert [(Path(m["file"]).name, m["line"], m["field"]) for m in found] == [("one.scenario.yaml", "3", "topology"), ("two.scenario.yaml", "3", "topology")]
    assert "run abc123 applied" in found[0]["message"]


def test_e2e_reports_every_invalid_scenario_before_starting_anything(tmp_path: Path) -> None:
    scenario_dir = tmp_path / "scenarios"
    scenario_dir.mkdir()
    _bad_files(scenario_dir)
    proc = harness(tmp_path, "e2e", "--topology", str(TOPOLOGY), "--scenarios", str(scenario_dir))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert set(_by_file(_problems(proc.stderr))) == {"a.scenario.yaml", "b.scenario.yaml", "c.scenario.yaml"}
    assert "LocalStack" not in proc.stdout + proc.stderr
