"""Issue 21 item 2: ``--report-dir DIR`` on ``run``, ``e2e``, ``change`` and ``accept`` puts the
reports under DIR instead of $HARNESS_REPORTS_DIR (the driver is replaced by a recorder: what it is
handed is what would be written to)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import harness.run
from harness import cli
from harness.paths import REFERENCE_TOPOLOGY, REPO_ROOT

CHANGES = REPO_ROOT / "scenarios" / "changes"


@pytest.fixture()
def handed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """The settings each driver entry point is handed (they do nothing else)."""
    got: dict[str, Any] = {}

    finished = SimpleNamespace(report=SimpleNamespace(status="passed", as_dict=lambda: {"scenarios": []}),
                               files={"json": tmp_path / "x" / "report.json"})

    def record(name: str, result: Any) -> Any:
        def fake(settings: Any, *args: Any, **kwargs: Any) -> Any:
            got[name] = settings
            if isinstance(kwargs.get("finished"), list):  # e2e hands back what it wrote
                kwargs["finished"].append(finished)
            return result

        return fake

    monkeypatch.setattr(harness.run, "e2e", record("e2e", 0))
    monkeypatch.setattr(harness.run, "accept", record("accept", 0))
    monkeypatch.setattr(harness.run, "change_run", record("change", 0))
    monkeypatch.setattr(harness.run, "run_scenarios", record("run", finished))
    monkeypatch.setattr("harness.report.console_summary", lambda report: "")
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HARNESS_REPORTS_DIR", str(tmp_path / "from-env"))
    return got


def _applied_run(state: Path) -> None:
    record = state / "runs" / "abc123" / "manifest.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({
        "run_id": "abc123", "target": "localstack", "endpoint_url": "http://127.0.0.1:1", "topology": "reference",
        "topology_file": str(REFERENCE_TOPOLOGY), "status": "applied", "provider_version": "3.39.0",
    }))


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("e2e", ["e2e"]),
        ("accept", ["accept", str(CHANGES / "base.topology.yaml"), str(CHANGES / "add-region.topology.yaml")]),
        ("change", ["change", "--to", str(CHANGES / "add-region.topology.yaml"), "--run-id", "abc123"]),
        ("run", ["run", str(REPO_ROOT / "scenarios" / "fanout-small.scenario.yaml"), "--run-id", "abc123"]),
    ],
)
def test_report_dir_wins_over_the_environment(handed: dict[str, Any], tmp_path: Path, name: str, argv: list[str]) -> None:
    _applied_run(tmp_path / "state")
    assert cli.main([*argv, "--report-dir", str(tmp_path / "mine")]) == 0
    assert handed[name].reports_dir == (tmp_path / "mine").resolve()
    handed.clear()
    assert cli.main(argv) == 0
    assert handed[name].reports_dir == (tmp_path / "from-env").resolve()  # without it: the environment, as before
