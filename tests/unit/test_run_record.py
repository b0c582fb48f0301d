"""The applied run is one record: the validated topology is snapshotted into it at ``up``, what reads
the run later judges that snapshot (and says when the file changed since), and the record's status
moves only along the declared transitions."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from harness.provision import run_state
from harness.provision.manifest import Manifest
from harness.provision.run_state import APPLIED, APPLYING, DESTROYED, FAILED, GONE, RunStateError
from harness.run import run_scenarios
from harness.scenario import cost
from harness.scenario.cost import CostLimitError
from harness.scenario.format.loader import load_scenario
from harness.settings import Settings
from harness.topology.loader import load_topology
from harness.topology.model import Topology

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "reference.topology.yaml"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, state_dir=tmp_path / "state", reports_dir=tmp_path / "reports")


def _applied(tmp_path: Path, settings: Settings, target: str = "localstack") -> tuple[Manifest, Path]:
    topo_file = tmp_path / "t.topology.yaml"
    topo_file.write_text(REFERENCE.read_text())
    manifest = Manifest("r1", target, None, "reference", str(topo_file), APPLYING, "3.39.0")
    manifest.record_topology(load_topology(topo_file))
    manifest.save(settings)
    manifest.transition(APPLIED, settings)
    return manifest, topo_file


def test_the_snapshot_is_canonical_and_reads_back_to_the_same_topology(tmp_path: Path, settings: Settings) -> None:
    manifest, topo_file = _applied(tmp_path, settings)
    again = Manifest.load("r1", settings)
    assert again.topology_sha256 == load_topology(topo_file).sha256() == manifest.topology_sha256
    applied = again.applied_topology()
    original = load_topology(topo_file)
    assert (applied.accounts, applied.regions, applied.resources) == (original.accounts, original.regions, original.resources)
    moved = tmp_path / "elsewhere.topology.yaml"
    moved.write_text(topo_file.read_text())
    assert load_topology(moved).sha256() == manifest.topology_sha256, "the same topology from another path is the same snapshot"
    assert Topology.from_snapshot(original.snapshot(), "x").sha256() == original.sha256()


def test_an_edited_file_is_said_and_the_snapshot_is_what_is_judged(tmp_path: Path, settings: Settings) -> None:
    manifest, topo_file = _applied(tmp_path, settings)
    assert manifest.topology_drift() is None
    topo_file.write_text(topo_file.read_text().replace("visibility_timeout: 30", "visibility_timeout: 31", 1) + "\n")
    drift = manifest.topology_drift()
    assert drift is not None and "has changed since run r1 applied it" in drift and "snapshot" in drift
    topo_file.write_text("name: broken\n")
    assert "no longer validates" in (manifest.topology_drift() or "")
    assert "b-eu" in manifest.applied_topology().queues


def test_the_aws_cost_guard_of_harness_run_judges_the_applied_snapshot(tmp_path: Path, settings: Settings) -> None:
    manifest, topo_file = _applied(tmp_path, settings, target="aws")
    scenario_file = tmp_path / "s.scenario.yaml"
    scenario_file.write_text(
        f"name: s\ntopology: {topo_file}\nsend: {{from: A/us-east-1, topic: orders, count: 200, size: 100MiB}}\n"
        "expect: [{queue: b-eu, within: 60s}]\n"
    )
    scenario = load_scenario(scenario_file)
    applied = cost.estimate(scenario, load_topology(topo_file)).usd
    # After `up`, someone drops the queue subscriptions from the file: costed from the file, the
    # scenario would look far cheaper than what the applied run will really do.
    text = topo_file.read_text()
    # (c-fn keeps its own: its on-failure settings need a topic that invokes it)
    topo_file.write_text(text[: text.index("subscriptions:")] + "subscriptions:\n  - {topic: orders, function: c-fn, filter_policy: {route: [functions]}}\n")
    edited = cost.estimate(scenario, load_topology(topo_file)).usd
    assert edited < applied / 2
    out = io.StringIO()
    limit = (applied + edited) / 2
    with pytest.raises(CostLimitError, match=f"about \\${applied:.2f} on AWS"):
        run_scenarios(settings, manifest, [scenario], out, max_cost_usd=limit)  # refused before anything is sent
    assert "has changed since run r1 applied it" in out.getvalue()


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (None, APPLYING, True), (None, APPLIED, False), (APPLYING, APPLIED, True), (APPLYING, FAILED, True),
        (APPLIED, APPLYING, True), (FAILED, DESTROYED, True), (FAILED, APPLIED, False), (DESTROYED, APPLIED, False),
        (DESTROYED, DESTROYED, False), (GONE, APPLYING, False), (APPLIED, GONE, True),
    ],
)
def test_the_record_moves_only_along_declared_transitions(old: str | None, new: str, allowed: bool) -> None:
    assert (new in run_state.TRANSITIONS[old]) is allowed
    if allowed:
        run_state.check_transition("r1", old, new)
    else:
        with pytest.raises(RunStateError, match=f"cannot go from .* to {new}"):
            run_state.check_transition("r1", old, new)


def test_a_save_checks_the_move_from_what_is_on_disk(tmp_path: Path, settings: Settings) -> None:
    manifest, _ = _applied(tmp_path, settings)
    manifest.transition(DESTROYED, settings)
    stale = Manifest.load("r1", settings)
    with pytest.raises(RunStateError, match="cannot go from destroyed to applied"):
        stale.transition(APPLIED, settings)
    assert Manifest.load("r1", settings).status == DESTROYED, "a refused move writes nothing"
