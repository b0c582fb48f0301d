"""Issue 13 on LocalStack: the example changes of scenarios/changes/ are accepted or rejected for
the right reason.

One BASE run serves every example: the ones judged from the plan (classification, path and access
diffs, hazards, the exit code of ``harness change --plan-only``) leave it as it is; then two are
applied under probe traffic — the in-place visibility change (no probe loss, accepted), then the
FIFO switch on top of it (the queue is replaced: the probe must count lost messages, rejected).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import yaml

from harness import paths
from harness.change.probe import ProbeSettings
from harness.provision import lifecycle
from harness.provision.manifest import STATUS_APPLIED, STATUS_DESTROYED, Manifest
from harness.provision.targets import Target
from harness.run import ChangeOptions, change_run
from harness.settings import Settings

pytestmark = pytest.mark.localstack

CHANGES = paths.SCENARIOS_DIR / "changes"
EXAMPLES = yaml.safe_load((CHANGES / "examples.yaml").read_text())["examples"]
PROBE = ProbeSettings(rate=8.0, warmup_seconds=1.0, settle_seconds=1.5, drain_seconds=8.0)


@pytest.fixture(scope="module")
def change_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings.replace(reports_dir=tmp_path_factory.mktemp("change-reports"))


@pytest.fixture(scope="module")
def base_run(endpoint_url: str, change_settings: Settings) -> Iterator[Manifest]:
    up = lifecycle.up(CHANGES / "base.topology.yaml", Target("localstack", endpoint_url), change_settings, out=io.StringIO())
    yield up.manifest
    if Manifest.load(up.manifest.run_id, change_settings).status != STATUS_DESTROYED:
        lifecycle.down(up.manifest.run_id, change_settings, out=io.StringIO())


def _plan_only(name: str, manifest: Manifest, settings: Settings) -> tuple[int, dict]:
    """``harness change --plan-only`` of example ``name`` on BASE: its exit code and change.json."""
    spec, out = EXAMPLES[name], io.StringIO()
    options = ChangeOptions(frozenset(spec.get("allow", [])), plan_only=True)
    code = change_run(settings, manifest, CHANGES / spec["new"], CHANGES, options, out)
    assert Manifest.load(manifest.run_id, settings).status == STATUS_APPLIED and manifest.topology_file.endswith("base.topology.yaml")
    return code, json.loads((settings.reports_dir / manifest.run_id / "change.json").read_text())


@pytest.mark.parametrize("name", ["add-region", "tighten-filter", "drop-reader"])
def test_plan_of_example(name: str, base_run: Manifest, change_settings: Settings) -> None:
    spec = EXAMPLES[name]
    code, report = _plan_only(name, base_run, change_settings)
    for action in ("created", "updated", "replaced"):
        assert [f"{c['kind']} {c['name']}" for c in report["changes"] if c["action"] == action] == spec.get(action, []), action
    assert [p["label"] for p in report["paths"]["gained"]] == spec.get("paths_gained", [])
    assert [p["label"] for p in report["paths"]["filter_changed"] if p["direction"] == "narrowed"] == spec.get("paths_filter_narrowed", [])
    lost = [f"{a['account']} loses {a['capability']} on {a['kind']} {a['resource']}" for a in report["access"] if a["change"] == "lost"]
    assert lost == spec.get("access_lost", [])
    assert [h["token"] for h in report["hazards"]] == spec["hazards"]
    assert report["verdict"] == spec["verdict"] and code == (0 if spec["verdict"] == "accepted" else 1), report["reasons"]
    assert not report["applied"] and not report["probe"] and not report["scenarios_run"]
    if name == "drop-reader":  # the report says what the hazard costs and how to acknowledge it
        assert report["schema"] == "harness-change/1"
        assert report["hazards"] == [
            {"token": "revoke:payloads:read:C", "subject": "C loses read on bucket payloads",
             "cost": "offloaded payloads become unreadable for it", "acknowledged": False}
        ]
        assert "`--allow revoke:payloads:read:C`" in (change_settings.reports_dir / base_run.run_id / "change.md").read_text()


def _apply(name: str, manifest: Manifest, settings: Settings) -> tuple[int, dict]:
    spec, out = EXAMPLES[name], io.StringIO()
    options = ChangeOptions(frozenset(spec.get("allow", [])), PROBE)
    code = change_run(settings, manifest, CHANGES / spec["new"], CHANGES, options, out)
    report = json.loads((settings.reports_dir / manifest.run_id / "change.json").read_text())
    return code, report


def test_in_place_change_under_probe_traffic_loses_nothing(base_run: Manifest, change_settings: Settings) -> None:
    code, report = _apply("visibility", base_run, change_settings)
    assert [(c["kind"], c["name"], c["action"]) for c in report["changes"]] == [("queue", "b-eu", "updated")]
    assert report["applied"] and report["hazards"] == []
    assert len(report["probe"]) == 3 and all(p["sent"] > 0 for p in report["probe"])
    assert [p["lost"] for p in report["probe"]] == [0, 0, 0], report["probe"]
    assert [s["status"] for s in report["scenarios"]] == ["passed"]
    assert code == 0 and report["verdict"] == "accepted", report["reasons"]
    after = Manifest.load(base_run.run_id, change_settings)
    assert after.topology_file == str(CHANGES / "visibility.topology.yaml") and after.status == STATUS_APPLIED


def test_fifo_switch_replaces_the_queue_and_the_probe_counts_the_loss(base_run: Manifest, change_settings: Settings) -> None:
    before = Manifest.load(base_run.run_id, change_settings).queues["b-jobs"].url
    code, report = _apply("fifo-jobs", base_run, change_settings)
    replaced = [(c["kind"], c["name"]) for c in report["changes"] if c["action"] == "replaced"]
    assert replaced == [("queue", "b-jobs")]
    assert [h["token"] for h in report["hazards"]] == ["replace:b-jobs"]
    jobs = next(p for p in report["probe"] if p["to"]["queue"] == "b-jobs")
    assert jobs["lost"] > 0, f"the queue was replaced under traffic, yet the probe reports a clean migration: {jobs}"
    assert code == 1 and report["verdict"] == "rejected"
    assert any(r.startswith("probe lost") and "b-jobs" in r for r in report["reasons"])
    assert any(r.startswith("hazard not acknowledged") and "replace:b-jobs" in r for r in report["reasons"])
    after = Manifest.load(base_run.run_id, change_settings).queues["b-jobs"]
    assert after.fifo and after.url != before
