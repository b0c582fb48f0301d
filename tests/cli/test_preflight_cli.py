"""Issue 21, how it is checked, through the real ``harness`` command: ``validate`` refuses the missing
reader and delete grants before anything is applied (file:line and the fix), accepts a top-level
``$or``, says one line for a file of the other kind, prints each problem once, and speaks
``--output github`` (workflow commands) and ``--output json`` (one document); warnings never change
the exit status; ``access --json -`` is stdout; ``runs``, ``cost`` and ``compare`` take ``--output``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import REPO, TOPOLOGY, harness

TOPO = """\
name: shop
accounts:
  A: {id: "111111111111"}
  B: {id: "222222222222"}
  C: {id: "333333333333"}
regions: [us-east-1, eu-west-1]
topics:
  orders: {account: A, region: us-east-1, publishers: [A]}
queues:
  b-orders: {account: B, region: eu-west-1}
  c-orders: {account: C, region: us-east-1}
buckets:
  payloads: {account: A, region: us-east-1, readers: [B]}
subscriptions:
  - topic: orders
    queue: b-orders
    raw_delivery: true
    filter_policy: {"$or": [{kind: [invoice]}, {region: [eu]}]}
  - {topic: orders, queue: c-orders, raw_delivery: true}
"""
SCENARIO = """\
name: shop
topology: shop.topology.yaml
send:
  from: A/us-east-1
  topic: orders
  sizes: [1KiB, 5MiB]
  attributes: {kind: invoice}
expect:
  - {queue: b-orders, within: 30s, delete_payloads: true}
  - {queue: c-orders, within: 30s}
"""
ANNOTATION = re.compile(r"^::(?P<level>error|warning) file=(?P<file>[^,]+),line=(?P<line>\d+),title=(?P<title>[^:]+)::(?P<message>.+)$")


def _files(tmp: Path, scenario: str = SCENARIO, topology: str = TOPO) -> tuple[Path, Path]:
    (tmp / "shop.topology.yaml").write_text(topology)
    (tmp / "shop.scenario.yaml").write_text(scenario)
    return tmp / "shop.topology.yaml", tmp / "shop.scenario.yaml"


def _in(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``harness`` run in ``cwd``, so files can be named relative to it as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(HARNESS_STATE_DIR=str(cwd / "state"), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_missing_reader_and_delete_grants_are_refused_before_anything_is_applied(tmp_path: Path) -> None:
    topo, scenario = _files(tmp_path)
    proc = harness(tmp_path, "validate", "--topology", str(topo), str(scenario))
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if ": warning: " not in line]
    assert errors == [
        f"{scenario}:9: expect[0].delete_payloads: access denied: b-orders: account 222222222222 cannot delete the payload from bucket "
        "payloads: the bucket policy has no statement allowing s3:DeleteObject to account 222222222222; set "
        "buckets.payloads.readers_may_delete: true in the topology, or remove delete_payloads here",
        f"{scenario}:10: expect[1].queue: access denied: c-orders: account 333333333333 cannot get the payload from bucket payloads: "
        "the bucket policy has no statement allowing s3:GetObject to account 333333333333; add C to buckets.payloads.readers in the topology",
    ]
    assert not (tmp_path / "runs").exists()  # nothing applied, no run recorded
    fixed = _files(tmp_path, topology=TOPO.replace("readers: [B]}", "readers: [B, C], readers_may_delete: true}"))[1]
    again = harness(tmp_path, "validate", str(fixed))
    assert again.returncode == 0, again.stderr


def test_a_top_level_or_filter_policy_is_accepted_and_the_routes_are_said(tmp_path: Path) -> None:
    topo, scenario = _files(tmp_path, SCENARIO.replace("delete_payloads: true", "delete_payloads: false").replace(
        "  - {queue: c-orders, within: 30s}\n", ""))
    proc = harness(tmp_path, "validate", "--topology", str(topo), str(scenario))
    assert proc.returncode == 0, proc.stderr
    assert f"{scenario}: ok — scenario 'shop'" in proc.stdout
    assert "  send (A/us-east-1 → topic orders): 1KiB inline; 5MiB through S3 (bucket payloads, A/us-east-1)" in proc.stdout


def test_a_warning_is_said_and_never_changes_the_exit_status(tmp_path: Path) -> None:
    topo, _ = _files(tmp_path)
    proc = harness(tmp_path, "validate", "--topology", str(topo))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        f"{topo}:8: topics.orders.publishers[0]: warning: \"A\" owns this topic and already has access; remove it from this list (nothing changes)"
    ]


@pytest.mark.parametrize("where", ["positional", "--topology"])
def test_a_file_of_the_other_kind_is_one_line_saying_where_it_goes(tmp_path: Path, where: str) -> None:
    topo, scenario = _files(tmp_path)
    args = ["validate", str(topo)] if where == "positional" else ["validate", "--topology", str(scenario)]
    proc = harness(tmp_path, *args)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    if where == "positional":
        assert line.startswith(f"{topo}:1: (file): this is a topology file") and f"--topology {topo}" in line
    else:
        assert line.startswith(f"{scenario}:1: (file): this is a scenario file") and "without --topology" in line


def test_each_problem_prints_once_when_the_topology_is_given_and_named(tmp_path: Path) -> None:
    """--topology spelled relative to the working directory, the scenario naming it relative to itself."""
    (tmp_path / "mine").mkdir()
    _files(tmp_path / "mine", topology=TOPO.replace("{account: C, region: us-east-1}", "{account: Z, region: us-east-1}"))
    proc = _in(tmp_path, "validate", "--topology", "mine/shop.topology.yaml", "mine/shop.scenario.yaml")
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    unknown = [line for line in lines if "unknown account" in line]
    assert len(unknown) == 1 and unknown[0].startswith("mine/shop.topology.yaml:11: queues.c-orders.account"), lines
    assert len(lines) == len(set(lines)) == 3, lines  # the warning, the unknown account, the scenario's pointer to it


def test_output_github_prints_workflow_commands_at_file_and_line(tmp_path: Path) -> None:
    _files(tmp_path)
    proc = _in(tmp_path, "validate", "--output", "github", "--topology", "shop.topology.yaml", "shop.scenario.yaml")
    assert proc.returncode == 2 and proc.stderr == "", proc.stderr
    found = [ANNOTATION.match(line) for line in proc.stdout.splitlines()]
    assert all(found), proc.stdout
    assert [(m["level"], m["file"], m["line"], m["title"]) for m in found if m] == [
        ("warning", "shop.topology.yaml", "8", "topics.orders.publishers[0]"),
        ("error", "shop.scenario.yaml", "9", "expect[0].delete_payloads"),
        ("error", "shop.scenario.yaml", "10", "expect[1].queue"),
    ]
    assert all("%0A" not in (m["message"] if m else "") for m in found)


def test_output_json_is_one_document_with_every_problem(tmp_path: Path) -> None:
    topo, scenario = _files(tmp_path)
    proc = harness(tmp_path, "validate", "--output", "json", "--topology", str(topo), str(scenario))
    assert proc.returncode == 2 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["command"] == "validate" and doc["ok"] is False
    assert [(p["file"], p["line"], p["field"], p["level"]) for p in doc["problems"]] == [
        (str(topo), 8, "topics.orders.publishers[0]", "warning"),
        (str(scenario), 9, "expect[0].delete_payloads", "error"),
        (str(scenario), 10, "expect[1].queue", "error"),
    ]
    assert all(p["message"] for p in doc["problems"])
    good = harness(tmp_path, "validate", "--output", "json", str(REPO / "scenarios" / "offload-5mib.scenario.yaml"))
    data = json.loads(good.stdout)
    assert good.returncode == 0 and data["ok"] is True and data["problems"] == []
    [sc] = data["scenarios"]
    assert sc["name"] == "offload-5mib" and sc["sends"][0]["bucket"] == "payloads"
    assert {s["route"] for s in sc["sends"][0]["sizes"]} == {"s3"}


def test_json_and_github_say_an_error_that_is_not_about_a_file(tmp_path: Path) -> None:
    proc = harness(tmp_path, "validate", "--output", "json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"command": "validate", "ok": False, "problems": [],
                                       "error": "nothing to validate: give --topology FILE and/or scenario files.", "exit_status": 1}
    gh = harness(tmp_path, "validate", "--output", "github")
    assert gh.stdout.startswith("::error title=harness validate::nothing to validate")


def test_access_json_dash_is_stdout(tmp_path: Path) -> None:
    proc = _in(tmp_path, "access", "--topology", str(TOPOLOGY), "--json", "-")
    assert proc.returncode == 0, proc.stderr
    assert "cells" in json.loads(proc.stdout) and not (tmp_path / "-").exists()
    doc = json.loads(harness(tmp_path, "access", "--topology", str(TOPOLOGY), "--output", "json").stdout)
    assert doc["command"] == "access" and doc["source"] == {"topology": str(TOPOLOGY)} and doc["matrix"]["cells"]


def test_runs_cost_and_compare_take_output_json(tmp_path: Path) -> None:
    runs = json.loads(harness(tmp_path, "runs", "--output", "json").stdout)
    assert runs == {"command": "runs", "ok": True, "problems": [], "runs": []}
    offload = str(REPO / "scenarios" / "offload-5mib.scenario.yaml")
    cost = json.loads(harness(tmp_path, "cost", offload, "--output", "json").stdout)
    assert cost["ok"] is True and cost["estimates"][0]["scenario"] == "offload-5mib" and cost["total_usd"] > 0
    report = {"schema": "harness-report/1", "run_id": "r", "status": "passed",
              "scenarios": [{"name": "s", "status": "passed", "failures": [], "paths": []}]}
    for name in ("old", "new"):
        (tmp_path / f"{name}.json").write_text(json.dumps({**report, "run_id": name}))
    compared = json.loads(harness(tmp_path, "compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--output", "json").stdout)
    assert compared["command"] == "compare" and compared["regressed"] is False and compared["new_run"] == "new"
