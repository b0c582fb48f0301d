"""expect_denied in scenario files, the static access check where topologies are validated, the
access parts of the reports, and ``harness access --topology`` (no LocalStack needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness import cli, paths
from harness.errors import InputFileError
from harness.report import html_report, markdown_report
from harness.scenario.expectations import ExpectDenied
from harness.scenario.format.loader import load_scenario
from harness.scenario.judge.result import RunReport, ScenarioResult

HEAD = "name: x\ntopology: reference.topology.yaml\n"

# (id, expect_denied entry, expected field, a fragment of the message)
CASES = [
    ("unknown-account", '{from: D/us-east-1, action: send, queue: b-eu}', "expect_denied[0].from", "quoted 12-digit id"),
    ("short-id", '{from: "99999/us-east-1", action: send, queue: b-eu}', "expect_denied[0].from", "unknown account"),
    ("bad-region", '{from: C/us-west-2, action: send, queue: b-eu}', "expect_denied[0].from", "not in the topology's regions"),
    ("unknown-action", '{from: C/us-east-1, action: sned, queue: b-eu}', "expect_denied[0].action", "did you mean 'send'"),
    ("publish-needs-topic", '{from: C/us-east-1, action: publish, queue: b-eu}', "expect_denied[0].queue", "does not take queue"),
    ("subscribe-needs-queue", '{from: C/us-east-1, action: subscribe, topic: orders}', "expect_denied[0].queue", "needs queue"),
    ("unknown-queue", '{from: C/us-east-1, action: send, queue: b-ue}', "expect_denied[0].queue", "did you mean"),
    ("deliver-has-no-from", '{from: A/us-east-1, action: deliver, topic: orders, queue: b-eu}', "expect_denied[0].from", "SNS is the caller"),
    ("bad-via", '{from: C/us-east-1, action: send, queue: b-eu, via: ftp}', "expect_denied[0].via", "via: http"),
    ("within-not-deliver", '{from: C/us-east-1, action: send, queue: b-eu, within: 2s}', "expect_denied[0].within", "only to action deliver"),
    ("missing-from", '{action: send, queue: b-eu}', "expect_denied[0].from", "missing required field"),
]


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    shutil.copy(paths.REFERENCE_TOPOLOGY, tmp_path / "reference.topology.yaml")
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_entries_are_one_line_each(workdir: Path, case: tuple) -> None:
    ident, entry, field, fragment = case
    path = workdir / f"{ident}.scenario.yaml"
    path.write_text(HEAD + f"expect_denied:\n  - {entry}\n")
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    lines = str(err.value).splitlines()
    matching = [line for line in lines if line.startswith(f"{path}:4: {field}: ")]
    assert matching and any(fragment in line for line in matching), lines


def test_a_scenario_may_only_expect_denials(workdir: Path) -> None:
    path = workdir / "only.scenario.yaml"
    path.write_text(
        HEAD + 'expect_denied:\n  - {from: "999999999999/us-east-1", action: send, queue: b-eu}\n'
        "  - {from: C/us-east-1, action: read_payloads, via: http}\n  - {action: deliver, topic: orders, queue: b-eu-dlq, within: 3s}\n"
    )
    sc = load_scenario(path)
    assert sc.send is None and sc.expect == ()
    outsider, reader, deliver = sc.expect_denied
    assert outsider == ExpectDenied("999999999999", "us-east-1", "send", queue="b-eu", line=4)
    assert reader.bucket == "payloads" and not reader.secure_transport  # the only bucket by default
    assert deliver.within == 3.0 and deliver.label == "SNS deliver topic orders queue b-eu-dlq"


def test_expectations_without_send_are_refused(workdir: Path) -> None:
    path = workdir / "nosend.scenario.yaml"
    path.write_text(HEAD + "expect_denied:\n  - {from: C/us-east-1, action: send, queue: b-eu}\nexpect:\n  - {queue: b-eu, within: 1s}\n")
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    assert f"{path}:5: expect: expect checks the messages of send:" in str(err.value)


def test_neither_send_nor_expect_denied(workdir: Path) -> None:
    path = workdir / "empty.scenario.yaml"
    path.write_text(HEAD)
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    assert f"{path}:1: send: missing required field 'send'" in str(err.value) and "expect_denied" in str(err.value)


def _opt_in_topology(workdir: Path) -> Path:
    """The reference topology with its topics in af-south-1, where SNS delivers as
    sns.af-south-1.amazonaws.com and the queue module admits only sns.amazonaws.com."""
    path = workdir / "reference.topology.yaml"
    text = path.read_text().replace("regions: [us-east-1, eu-west-1, ap-southeast-2]", "regions: [us-east-1, eu-west-1, ap-southeast-2, af-south-1]")
    text = text.replace("    account: A\n    region: us-east-1\n", "    account: A\n    region: af-south-1\n")
    text = text.replace("  b-sub-dlq:\n    account: B\n    region: us-east-1", "  b-sub-dlq:\n    account: B\n    region: af-south-1")
    text = text.replace("    account: C\n    region: us-east-1\n    reads:", "    account: C\n    region: af-south-1\n    reads:")  # c-fn, with its topic
    text = text.replace("  c-fn-failed:\n    account: C\n    region: us-east-1", "  c-fn-failed:\n    account: C\n    region: af-south-1")  # and its destination
    path.write_text(text)
    return path


def test_scenario_on_a_topology_its_modules_would_refuse(workdir: Path) -> None:
    topology = _opt_in_topology(workdir)
    path = workdir / "x.scenario.yaml"
    path.write_text(HEAD + 'expect_denied:\n  - {from: "999999999999/us-east-1", action: send, queue: b-eu}\n')
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    assert f"{path}:2: topology: topology \"reference.topology.yaml\" declares access its own modules would not authorise" in str(err.value)
    with pytest.raises(InputFileError) as err2:
        cli._load_authorised(str(topology))
    first = str(err2.value).splitlines()[0]
    assert first.startswith(f"{topology}:") and ": subscriptions[orders->b-eu]: b-eu: SNS cannot deliver from topic orders" in first


@pytest.mark.parametrize("command", ["validate", "up"])
def test_validate_and_up_refuse_it_too(workdir: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    topology = _opt_in_topology(workdir)
    assert cli.main([command, "--topology", str(topology)]) != 0  # up: before any endpoint is looked for
    err = capsys.readouterr().err
    assert "sns.af-south-1.amazonaws.com" in err and "Traceback" not in err


def test_access_command_prints_the_static_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "m.json"
    rc = cli.main(["access", "--topology", str(paths.REFERENCE_TOPOLOGY), "--outsider", "999999999999", "--json", str(out_json)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "queue c-us           send       -    yes  yes  -" in text
    assert "SNS may deliver: orders -> b-eu" in text
    data = json.loads(out_json.read_text())
    assert data["accounts"] == ["A", "B", "C", "999999999999"]
    assert cli.main(["access", "--topology", str(paths.REFERENCE_TOPOLOGY), "--outsider", "12"]) != 0


def _report() -> dict:
    sc = ScenarioResult("s", "s.scenario.yaml", status="failed", failures=["access denied: b-eu: SNS cannot deliver from topic orders: …"])
    sc.access = [
        {"hop": "publish", "subject": "orders", "principal": "111111111111", "action": "sns:Publish", "resource": "arn", "verdict": "allowed",
         "statement": {"policy": "caller identity policy", "sid": "HarnessCallerFullAccess", "index": 0}, "reason": "r", "line": "l"},
        {"hop": "deliver", "subject": "b-eu", "principal": "sns.amazonaws.com", "action": "sqs:SendMessage", "resource": "arn",
         "verdict": "implicit_deny", "statement": None, "reason": "the queue policy has no statement whose aws:SourceArn matches x", "line": "l"},
    ]
    sc.expect_denied = [{"from": "C/us-east-1", "action": "read_payloads", "topic": None, "queue": None, "bucket": "payloads", "via": "http",
                         "status": "passed", "judged_by": "evaluator", "aws_error": None, "verdict": "explicit_deny",
                         "statement": {"policy": "bucket policy", "sid": "DenyInsecureTransport", "index": 0}, "reason": "r", "line": "refused"}]
    report = RunReport("r1", "localstack", None, "reference", scenarios=[sc])
    report.access = {"accounts": ["A"], "cells": [{"kind": "queue", "resource": "b-eu", "capability": "send", "account": "A", "verdict": "allowed",
                                                   "statement": None, "reason": "r"}], "deliveries": [{"topic": "orders", "queue": "b-eu", "verdict": "allowed"}]}
    return report.as_dict()


def test_reports_show_each_hop_with_its_deciding_statement() -> None:
    data = _report()
    assert data["schema"] == "harness-report/2" and data["access"]["accounts"] == ["A"]
    assert data["scenarios"][0]["access"][1]["verdict"] == "implicit_deny"
    md = markdown_report(data)
    assert "| s | publish | orders | 111111111111 sns:Publish | allowed | caller identity policy HarnessCallerFullAccess |" in md
    assert "| s | deliver | b-eu | sns.amazonaws.com sqs:SendMessage | implicit_deny | the queue policy has no statement whose aws:SourceArn matches x |" in md
    assert "| s | C/us-east-1 read_payloads bucket payloads via http | passed | evaluator | refused |" in md
    assert "| queue b-eu | send | yes |" in md and "SNS may deliver: orders → b-eu" in md
    page = html_report(data)
    assert "HarnessCallerFullAccess" in page and "Access matrix" in page and "expect_denied" in page


def test_a_result_without_access_keeps_the_old_fields() -> None:
    d = ScenarioResult("s", "f").as_dict()
    assert set(d) == {"name", "file", "description", "status", "duration_s", "failures", "objectives", "notes", "paths", "access", "expect_denied"}
    assert "access" not in RunReport("r", "localstack", None, "t").as_dict()
