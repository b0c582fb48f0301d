"""The pure parts of topology changes: plan parsing, drift, path and access diffs, hazards, the
probe's attribute choice, the verdict — checked on the example changes in scenarios/changes/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from harness import paths
from harness.change.diff import NARROWED, WIDENED, access_diff, filter_direction, path_diff
from harness.change.hazards import hazards
from harness.change.outcome import ChangeOutcome
from harness.change.plan import DESTROYED, REPLACED, UPDATED, caused_modules, parse_plan, split_drift
from harness.change.probe import PathResult
from harness.topology.loader import load_topology
from harness.topology.passing import passing_attributes

CHANGES = paths.SCENARIOS_DIR / "changes"
BASE = load_topology(CHANGES / "base.topology.yaml")
EXAMPLES = yaml.safe_load((CHANGES / "examples.yaml").read_text())["examples"]


def _new(name: str):
    return load_topology(CHANGES / EXAMPLES[name]["new"])


def _rc(module: str, type_: str, actions: list[str], before=None, after=None, replace_paths=None) -> dict:
    return {
        "address": f"module.{module}.{type_}.this",
        "module_address": f"module.{module}",
        "mode": "managed",
        "type": type_,
        "name": "this",
        "change": {"actions": actions, "before": before, "after": after, "replace_paths": replace_paths},
    }


def test_plan_classifies_each_logical_resource_with_account_and_region() -> None:
    new = _new("fifo-jobs")
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            _rc("queue_b_jobs", "aws_sqs_queue", ["delete", "create"], {"fifo_queue": False}, {"fifo_queue": True}, [["fifo_queue"]]),
            _rc("queue_b_jobs", "aws_sqs_queue_policy", ["update"]),
            _rc("bucket_payloads", "aws_s3_bucket_policy", ["update"], {"policy": "a"}, {"policy": "b"}),
            _rc("topic_orders", "aws_sns_topic", ["no-op"]),
        ],
    }
    changes = {c.logical.name: c for c in parse_plan(plan, BASE, new)}
    assert set(changes) == {"b-jobs", "payloads"}
    jobs = changes["b-jobs"]
    assert (jobs.action, jobs.logical.kind, jobs.logical.account, jobs.logical.region) == (REPLACED, "queue", "B", "eu-west-1")
    assert jobs.replaced_by == ["fifo_queue"] and jobs.helpers == ["aws_sqs_queue_policy.this"]
    assert changes["payloads"].action == UPDATED


def test_destroyed_resources_are_named_from_base() -> None:
    plan = {"format_version": "1.2", "resource_changes": [_rc("queue_b_ap", "aws_sqs_queue", ["delete"])]}
    [change] = parse_plan(plan, _new("add-region"), BASE)  # NEW has b-ap, BASE has not: a removal
    assert (change.action, change.logical.name, change.logical.region) == (DESTROYED, "b-ap", "ap-southeast-2")


def test_drift_is_what_the_change_did_not_cause() -> None:
    base_calls = {"queue_a": {"x": 1}, "sub_t__a": {"q": "${module.queue_a.arn}"}, "bucket_b": {"r": 1}}
    new_calls = {"queue_a": {"x": 2}, "sub_t__a": {"q": "${module.queue_a.arn}"}, "bucket_b": {"r": 1}}
    assert caused_modules(base_calls, new_calls) == {"queue_a", "sub_t__a"}
    plan = {"format_version": "1.2", "resource_changes": [_rc("bucket_payloads", "aws_s3_bucket", ["update"])]}
    [drifted] = parse_plan(plan, BASE, BASE)
    assert split_drift([drifted], {"queue_b_eu"}) == ([], [drifted])


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [
        ({"kind": ["invoice", "refund"]}, {"kind": ["invoice"]}, NARROWED),
        ({"kind": ["invoice"]}, {"kind": ["invoice", "refund"]}, WIDENED),
        (None, {"kind": ["invoice"]}, NARROWED),
        ({"kind": ["invoice"]}, None, WIDENED),
        ({"kind": ["invoice"]}, {"kind": ["refund"]}, "changed"),
        ({"kind": ["a"]}, {"kind": ["a"]}, None),
    ],
)
def test_filter_direction(before, after, direction) -> None:
    assert filter_direction(before, after) == direction


def test_probe_attributes_pass_both_filters_or_none() -> None:
    assert passing_attributes({"kind": ["invoice", "refund"]}, {"kind": ["invoice"]}) == {"kind": "invoice"}
    assert passing_attributes(None, None) == {}
    assert passing_attributes({"kind": ["a"]}, {"kind": ["b"]}) is None
    assert passing_attributes({"size": [{"numeric": [">", 1]}]}) is None


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_path_and_access_diffs_and_hazards(name: str) -> None:
    spec, new = EXAMPLES[name], _new(name)
    diff, access = path_diff(BASE, new), access_diff(BASE, new)
    assert [p.label for p in diff.gained] == spec.get("paths_gained", [])
    assert [f.path.label for f in diff.filter_changed if f.direction == NARROWED] == spec.get("paths_filter_narrowed", [])
    assert [a.line for a in access if a.change == "lost"] == spec.get("access_lost", [])
    # resource hazards come from the plan; the pure part covers paths and access
    pure = [h.token for h in hazards([], diff, access)]
    assert pure == [t for t in spec["hazards"] if not t.startswith(("replace:", "destroy:"))]


def _outcome(**kw) -> ChangeOutcome:
    return ChangeOutcome("r1", "localstack", {"name": "b", "file": "b.yaml"}, {"name": "n", "file": "n.yaml"}, **kw)


def test_verdict_reasons() -> None:
    diff = path_diff(BASE, _new("tighten-filter"))
    found = hazards([], diff, [])
    assert _outcome(hazards=found).verdict == "rejected"
    assert _outcome(hazards=found, allowed=frozenset({"filter:orders->c-us"})).verdict == "accepted"
    lossy = PathResult(diff.kept[0], sent=10, received=7, lost=3)
    reasons = _outcome(probe=[lossy]).reasons()
    assert reasons == [f"probe lost 3 of 10 message(s) on surviving path {diff.kept[0].label}"]
    assert "acknowledges no hazard" in _outcome(allowed=frozenset({"replace:nope"})).reasons()[0]


def test_examples_file_names_existing_topologies() -> None:
    for spec in EXAMPLES.values():
        assert Path(CHANGES / spec["new"]).is_file()
        assert spec["verdict"] in ("accepted", "rejected")


def test_driver_files_a_changed_run_under_its_new_topology_and_keeps_ownership(tmp_path: Path) -> None:
    """After `harness accept`'s change the run names NEW; the driver that applied BASE still
    destroys it (owned), and scenarios of NEW find it instead of applying NEW afresh."""
    from harness.provision.manifest import STATUS_APPLIED, Manifest
    from harness.run import Driver, _Run
    from harness.settings import Settings

    settings = Settings.from_env({"HARNESS_STATE_DIR": str(tmp_path)})
    manifest = Manifest("r1", "localstack", "http://127.0.0.1:1", "change-base", str(CHANGES / "base.topology.yaml"), STATUS_APPLIED, "3.39.0")
    driver = Driver(settings, out=io.StringIO())
    driver._track(manifest, owned=True)
    manifest.topology_file = str(CHANGES / "visibility.topology.yaml")
    driver.adopt(manifest)
    runs: dict[str, _Run] = driver._runs
    assert list(runs) == [manifest.topology_file] and runs[manifest.topology_file].owned
