"""Issue 11 end to end on LocalStack: scenarios judge access from the policies applied *now*.

LocalStack enforces no policy, so every failure here comes from the harness's verdict over the
read-back policies: a policy changed by hand through boto3 fails the affected scenario with the
hop and the reason while the others still pass, and restoring it makes it pass again.
``expect_denied`` passes when refused and fails naming the granting statement when allowed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import paths
from harness.provision import lifecycle
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.scenario.execute.runner import ScenarioRunner
from harness.scenario.format.loader import load_scenario
from harness.scenario.judge.result import FAILED, PASSED, ScenarioResult
from harness.settings import Settings

pytestmark = pytest.mark.localstack

SCENARIOS = {
    # A → b-eu directly, payload through S3; B's consumer reads it
    "offload-to-b": """
send: {from: A/us-east-1, queue: b-eu, count: 1, size: 1KiB, offload: always}
expect: [{queue: b-eu, within: 10s}]
""",
    # A → orders → b-ap (SNS delivery by aws:SourceArn)
    "fanout-to-b-ap": """
send: {from: A/us-east-1, topic: orders, count: 1, size: 1KiB, attributes: {kind: bulk}}
expect: [{queue: b-ap, within: 10s}]
""",
    # B → c-us directly (cross account)
    "b-sends-to-c": """
send: {from: B/eu-west-1, queue: c-us, count: 1, size: 1KiB}
expect: [{queue: c-us, within: 10s}]
""",
    "publish-over-http-refused": """
expect_denied: [{from: A/us-east-1, action: publish, topic: orders, via: http}]
""",
    "c-may-not-read-over-http": """
expect_denied:
  - {from: C/us-east-1, action: read_payloads, bucket: payloads, via: http}
  - {from: "999999999999/us-east-1", action: send, queue: b-eu}
""",
}


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("access-scenarios")
    out = {}
    for name, body in SCENARIOS.items():
        path = folder / f"{name}.scenario.yaml"
        path.write_text(f"name: {name}\ntopology: {paths.REFERENCE_TOPOLOGY}\n{body}")
        out[name] = path
    return out


@pytest.fixture(scope="module")
def applied(endpoint_url: str, settings: Settings) -> Iterator[Manifest]:
    result = lifecycle.up(paths.REFERENCE_TOPOLOGY, Target("localstack", endpoint_url), settings, out=io.StringIO())
    try:
        yield result.manifest
    finally:
        lifecycle.down(result.manifest.run_id, settings, out=io.StringIO())


@pytest.fixture(scope="module")
def run(applied: Manifest, scenario_files: dict[str, Path]):
    runner = ScenarioRunner(applied, Sessions.for_manifest(applied))

    def run_one(name: str) -> ScenarioResult:
        return runner.run(load_scenario(scenario_files[name]))

    return run_one


def _queue_policy(aws: Any, entry: Any) -> dict:
    attrs = aws("sqs", entry.account_id, entry.region).get_queue_attributes(QueueUrl=entry.url, AttributeNames=["Policy"])
    return json.loads(attrs["Attributes"]["Policy"])


def _set_queue_policy(aws: Any, entry: Any, policy: dict) -> None:
    aws("sqs", entry.account_id, entry.region).set_queue_attributes(QueueUrl=entry.url, Attributes={"Policy": json.dumps(policy)})


def _assert_passes(result: ScenarioResult) -> None:
    assert result.status == PASSED, result.failures
    assert result.access and all(h["verdict"] == "allowed" for h in result.access)


def test_every_reference_path_is_allowed_and_reported(run) -> None:
    result = run("offload-to-b")
    _assert_passes(result)
    kinds = [h["hop"] for h in result.access]
    assert kinds == ["send", "put_payload", "get_payload"]
    assert result.access[-1]["statement"]["sid"] == "AllowReaderAccountsToGetPayloads"
    assert result.as_dict()["access"] == result.access


def test_dropping_the_source_arn_statement_fails_only_that_path(run, applied: Manifest, aws) -> None:
    entry = applied.queues["b-ap"]
    original = _queue_policy(aws, entry)
    changed = {**original, "Statement": [s for s in original["Statement"] if s.get("Sid") != "AllowSnsTopicsToDeliver"]}
    _set_queue_policy(aws, entry, changed)
    try:
        result = run("fanout-to-b-ap")
        assert result.status == FAILED
        [line] = result.failures
        topic_arn = applied.topics["orders"].arn
        assert line.startswith("access denied: b-ap: SNS cannot deliver from topic orders: ")
        assert topic_arn in line or "no statement allowing sqs:SendMessage to sns.amazonaws.com" in line
        assert "nothing sent" in " ".join(result.notes) and result.paths == []
        _assert_passes(run("b-sends-to-c"))
        _assert_passes(run("offload-to-b"))
    finally:
        _set_queue_policy(aws, entry, original)
    _assert_passes(run("fanout-to-b-ap"))


def test_removing_a_reader_from_the_bucket_policy_fails_its_consumer(run, applied: Manifest, aws) -> None:
    bucket = applied.buckets["payloads"]
    s3 = aws("s3", bucket.account_id, bucket.region)
    original = json.loads(s3.get_bucket_policy(Bucket=bucket.name)["Policy"])
    b_root = f"arn:aws:iam::{applied.accounts['B']}:root"

    def without_b(statement: dict) -> dict:
        principal = statement.get("Principal")
        if isinstance(principal, dict) and isinstance(principal.get("AWS"), list):
            return {**statement, "Principal": {"AWS": [p for p in principal["AWS"] if p != b_root]}}
        return statement

    s3.put_bucket_policy(Bucket=bucket.name, Policy=json.dumps({**original, "Statement": [without_b(s) for s in original["Statement"]]}))
    try:
        result = run("offload-to-b")
        assert result.status == FAILED
        [line] = result.failures
        assert line.startswith(f"access denied: b-eu: account {applied.accounts['B']} cannot get the payload from bucket payloads: ")
        _assert_passes(run("b-sends-to-c"))
    finally:
        s3.put_bucket_policy(Bucket=bucket.name, Policy=json.dumps(original))
    _assert_passes(run("offload-to-b"))


def test_an_explicit_deny_names_its_statement(run, applied: Manifest, aws) -> None:
    entry = applied.queues["c-us"]
    original = _queue_policy(aws, entry)
    deny = {"Sid": "HandAddedDeny", "Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": entry.arn}
    _set_queue_policy(aws, entry, {**original, "Statement": [*original["Statement"], deny]})
    try:
        result = run("b-sends-to-c")
        assert result.status == FAILED
        assert "queue policy statement HandAddedDeny denies sqs:SendMessage" in result.failures[0]
        _assert_passes(run("fanout-to-b-ap"))
    finally:
        _set_queue_policy(aws, entry, original)
    _assert_passes(run("b-sends-to-c"))


def test_expect_denied_fails_naming_the_grant_then_passes_once_refused(run, applied: Manifest, aws) -> None:
    before = run("publish-over-http-refused")
    assert before.status == FAILED
    [line] = before.failures
    assert "expected to be refused, but account 111111111111 may publish to topic orders" in line
    assert "HarnessCallerFullAccess grants it" in line  # the owner's own identity policy
    topic = applied.topics["orders"]
    sns = aws("sns", topic.account_id, topic.region)
    original = sns.get_topic_attributes(TopicArn=topic.arn)["Attributes"]["Policy"]
    deny = {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": topic.arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    policy = json.loads(original)
    sns.set_topic_attributes(TopicArn=topic.arn, AttributeName="Policy", AttributeValue=json.dumps({**policy, "Statement": [*policy["Statement"], deny]}))
    try:
        after = run("publish-over-http-refused")
        assert after.status == PASSED, after.failures
        [denial] = after.expect_denied
        assert denial["verdict"] == "explicit_deny" and denial["statement"]["sid"] == "DenyInsecureTransport"
        _assert_passes(run("fanout-to-b-ap"))  # over TLS the deny does not apply
    finally:
        sns.set_topic_attributes(TopicArn=topic.arn, AttributeName="Policy", AttributeValue=original)


def test_reader_over_http_and_outsider_are_refused(run) -> None:
    result = run("c-may-not-read-over-http")
    assert result.status == PASSED, result.failures
    assert [d["verdict"] for d in result.expect_denied] == ["explicit_deny", "implicit_deny"]
    assert result.expect_denied[0]["statement"]["sid"] == "DenyInsecureTransport"
    assert result.paths == [] and result.access == []


def test_access_command_reads_the_applied_run(applied: Manifest, aws, capsys: pytest.CaptureFixture[str]) -> None:
    from harness import cli

    entry = applied.queues["c-us"]
    original = _queue_policy(aws, entry)
    _set_queue_policy(aws, entry, {**original, "Statement": [s for s in original["Statement"] if s.get("Sid") != "AllowProducerAccountsToSend"]})
    try:
        assert cli.main(["access", "--run-id", applied.run_id, "--outsider", "999999999999"]) == 0
    finally:
        _set_queue_policy(aws, entry, original)
    out = capsys.readouterr().out
    assert f"access matrix of run {applied.run_id} (localstack), from the policies read back now:" in out
    row = next(line for line in out.splitlines() if line.startswith("queue c-us") and " send " in line)
    assert row.split()[3:] == ["-", "-", "yes", "-"]  # B's grant is gone from what is applied now


def test_run_report_carries_verdicts_denials_and_the_matrix(applied: Manifest, scenario_files: dict[str, Path], settings: Settings, tmp_path: Path) -> None:
    from harness.run import run_scenarios

    scenarios = [load_scenario(scenario_files[n]) for n in ("offload-to-b", "c-may-not-read-over-http")]
    finished = run_scenarios(settings.replace(reports_dir=tmp_path), applied, scenarios, io.StringIO())
    data = json.loads(finished.files["json"].read_text())
    assert data["schema"] == "harness-report/2" and data["status"] == "passed"
    offload, denial = data["scenarios"]
    assert [h["verdict"] for h in offload["access"]] == ["allowed"] * 3 and offload["paths"]
    assert [d["judged_by"] for d in denial["expect_denied"]] == ["evaluator", "evaluator"]
    assert data["access"]["accounts"] == ["A", "B", "C", "999999999999"]  # the outsider named by expect_denied
    md = finished.files["markdown"].read_text()
    assert "## Access matrix of the run" in md and "AllowReaderAccountsToGetPayloads" in md
