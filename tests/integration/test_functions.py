"""Lambda functions as consumers, on the session's LocalStack (no Docker: the kit's host executor):
SNS → function across accounts and SQS → function through an event source mapping, judged from the
functions' receipts; a partial batch failure ending in the queue's DLQ; failed SNS invocations
recorded in an on-failure destination of another account; a role that lost its bucket grant (or its
grant to send failure records); a topic over 256 KiB on the emulator. One topology, applied once
for the module."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.provision.manifest import Manifest
from harness.scenario.judge.measure import FUNCTION
from harness.scenario.judge.objectives import NOT_OBSERVABLE
from harness.scenario.judge.result import FAILED, INCONCLUSIVE, PASSED
from tests.conftest import AwsClients
from tests.scenarios.kit import applied_run, run_scenario, write_scenario

pytestmark = pytest.mark.localstack

TOPOLOGY = textwrap.dedent("""\
    name: functions
    accounts:
      A: {id: "111111111111"}
      B: {id: "222222222222"}
      C: {id: "333333333333"}
    regions: [us-east-1, eu-west-1]
    topics:
      orders: {account: A, region: us-east-1}
      big: {account: A, region: us-east-1, max_message_size: 1MiB}
    queues:
      b-fn-in:
        account: B
        region: eu-west-1
        visibility_timeout: 5
        dead_letter: {queue: b-fn-dlq, max_receive_count: 2}
      b-fn-dlq: {account: B, region: eu-west-1}
      c-failed: {account: B, region: us-east-1}
      big-q: {account: A, region: us-east-1}
    buckets:
      payloads: {account: A, region: us-east-1, readers: [B, C], writers: [B], readers_may_delete: true}
    functions:
      c-fn: {account: C, region: us-east-1, reads: [payloads], max_retry_attempts: 0, on_failure: c-failed}
      b-fn: {account: B, region: eu-west-1, queue: b-fn-in, batching_window: 1, timeout: 5, reads: [payloads]}
    subscriptions:
      - {topic: orders, function: c-fn}
      - {topic: orders, queue: b-fn-in, raw_delivery: true}
      - {topic: big, queue: big-q, raw_delivery: true}
    """)


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("functions") / "functions.topology.yaml"
    path.write_text(TOPOLOGY)
    return path


@pytest.fixture(scope="module")
def applied(topology: Path, endpoint_url: str) -> Iterator[Manifest]:
    with applied_run(topology, endpoint_url) as manifest:
        yield manifest


def test_both_functions_receive_large_payloads_with_per_hop_figures(applied: Manifest, topology: Path, tmp_path: Path, localstack) -> None:
    sc = write_scenario(tmp_path, topology, "to-functions", """\
        send: {from: A/us-east-1, topic: orders, count: 4, sizes: [1KiB, 2MiB]}
        expect:
          - {function: c-fn, within: 30s, latency: {p99: 20s}}
          - {function: b-fn, within: 30s}
        """)
    result = run_scenario(applied, sc)
    assert result.status == PASSED, result.failures
    paths = {p.key.queue: p for p in result.paths}
    assert {k.to_kind for k in (p.key for p in result.paths)} == {FUNCTION}
    c, b = paths["c-fn"], paths["b-fn"]
    assert c.key.through == "" and b.key.through == "b-fn-in"
    for p in (c, b):
        assert p.counts["intact"] == 4 and p.counts["lost"] == 0, p.counts
        assert p.inline == 2 and sum(p.through_s3.values()) == 2
        assert p.percentiles_ms()["p99"] is not None
    assert c.hops["sns_to_invoke"].get_total_count() == 4 and c.hops["function_duration"].get_total_count() == 4
    assert b.hops["sqs_to_batch"].get_total_count() == 4 and b.hops["sns_to_invoke"].get_total_count() == 0
    assert c.as_dict()["to"] == {"account": "C", "region": "us-east-1", "kind": "function", "function": "c-fn"}
    hops = {(a["hop"], a["subject"]) for a in result.access}
    assert {("invoke", "c-fn"), ("deliver", "b-fn-in"), ("poll", "b-fn"), ("get_payload", "c-fn"), ("get_payload", "b-fn")} <= hops, hops
    # No image, no container: the kit's executor ran them (LocalStack names it at start-up).
    log = Path(localstack.log_file).read_text()
    assert "Lambda runtime executor harness-host-python" in log and 'Falling back to "docker"' not in log


def test_failed_batch_items_and_only_they_end_in_the_dlq(applied: Manifest, topology: Path, tmp_path: Path) -> None:
    sc = write_scenario(tmp_path, topology, "partial-batch", """\
        send: {from: B/eu-west-1, queue: b-fn-in, count: 6, size: 1KiB}
        dead_letter: {function: b-fn, fail_every: 2, within: 40s}
        """)
    result = run_scenario(applied, sc)
    assert result.status == PASSED, result.failures
    dlq = next(p for p in result.paths if p.key.queue == "b-fn-dlq")
    fn = next(p for p in result.paths if p.key.queue == "b-fn")
    assert dlq.counts["sent"] == 3 and dlq.counts["received"] == 3 and dlq.counts["intact"] == 3
    assert fn.counts["sent"] == 3 and fn.counts["received"] == 3 and fn.counts["duplicate"] == 0
    met = {o.what for o in result.objectives if o.result == "met"}
    assert "moved only after 2 failed receives" in met and "batches with failed and acknowledged items (partial batch response)" in met


def test_failed_sns_invocations_are_recorded_at_the_on_failure_destination_in_another_account(
    applied: Manifest, topology: Path, tmp_path: Path, aws: AwsClients
) -> None:
    started = time.monotonic()
    result = run_scenario(applied, write_scenario(tmp_path, topology, "on-failure", """\
        send: {from: A/us-east-1, topic: orders, count: 4, sizes: [1KiB, 2MiB]}
        dead_letter: {function: c-fn, fail_every: 2, within: 40s}
        """))
    took = time.monotonic() - started
    assert result.status == PASSED, result.failures
    # max_retry_attempts 0 honoured: the records came without Lambda's retry a minute later
    assert took < 40, f"{took:.0f}s: LocalStack retried although max_retry_attempts is 0"
    dest = next(p for p in result.paths if p.key.queue == "c-failed")
    fn = next(p for p in result.paths if p.key.queue == "c-fn")
    assert dest.counts["sent"] == 2 and dest.counts["received"] == 2 and dest.counts["intact"] == 2, dest.counts
    # sizes alternate: the failing (odd) messages are the 2 MiB ones, recovered from the records' SNS events and read from S3
    assert sum(dest.through_s3.values()) == 2 and fn.inline == 2, (dest.through_s3, fn.inline)
    assert fn.counts["sent"] == 2 and fn.counts["received"] == 2 and fn.counts["duplicate"] == 0, fn.counts
    met = {o.what for o in result.objectives if o.result == "met"}
    assert {"failed events recorded at the on-failure destination within 40s", "tried 1× before the record (max_retry_attempts 0)",
            "each record names the function and why it failed (requestContext)"} <= met, met
    assert any("RetriesExhausted" in n and "2/2 recorded in c-failed" in n for n in result.notes), result.notes
    assert ("on_failure", "c-fn") in {(a["hop"], a["subject"]) for a in result.access}
    # Across accounts B's queue policy names C's function role, for SendMessage only.
    queue = applied.queues["c-failed"]
    policy = json.loads(aws("sqs", queue.account_id, queue.region).get_queue_attributes(QueueUrl=queue.url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    [grant] = [s for s in policy["Statement"] if s["Sid"] == "AllowFunctionRolesToSendFailureRecords"]
    principals = grant["Principal"]["AWS"]
    assert (principals if isinstance(principals, list) else [principals]) == [applied.functions["c-fn"].role_arn]
    assert grant["Action"] == "sqs:SendMessage"
    assert applied.functions["c-fn"].role_arn.endswith(":role/hx/" + applied.functions["c-fn"].name)
    config = aws("lambda", applied.functions["c-fn"].account_id, "us-east-1").get_function_event_invoke_config(FunctionName=applied.functions["c-fn"].name)
    assert config["MaximumRetryAttempts"] == 0 and config["DestinationConfig"]["OnFailure"]["Destination"] == queue.arn


def test_a_role_without_its_grant_to_send_failure_records_fails_before_sending(
    applied: Manifest, topology: Path, tmp_path: Path, aws: AwsClients
) -> None:
    fn = applied.functions["c-fn"]
    iam = aws("iam", fn.account_id, fn.region)
    original = iam.get_role_policy(RoleName=fn.role_name, PolicyName="least-privilege")["PolicyDocument"]
    document = original if isinstance(original, dict) else json.loads(original)
    broken = {**document, "Statement": [s for s in document["Statement"] if s.get("Sid") != "SendFailureRecords"]}
    iam.put_role_policy(RoleName=fn.role_name, PolicyName="least-privilege", PolicyDocument=json.dumps(broken))
    try:
        result = run_scenario(applied, write_scenario(tmp_path, topology, "no-record-grant", """\
            send: {from: A/us-east-1, topic: orders, count: 2, size: 1KiB}
            dead_letter: {function: c-fn, fail_every: 2, within: 40s}
            """))
    finally:
        iam.put_role_policy(RoleName=fn.role_name, PolicyName="least-privilege", PolicyDocument=json.dumps(document))
    assert result.status == FAILED
    [line] = [f for f in result.failures if f.startswith("access denied:")]
    assert "function c-fn's role cannot send the records of failed invocations to queue c-failed" in line, line
    assert result.sent == 0


def test_a_function_rejects_takes_its_time_and_deletes_payloads_as_the_scenario_asks(applied: Manifest, topology: Path, tmp_path: Path) -> None:
    rejecting = run_scenario(applied, write_scenario(tmp_path, topology, "reject-once", """\
        send: {from: B/eu-west-1, queue: b-fn-in, count: 2, size: 1KiB}
        expect:
          - {function: b-fn, within: 30s, reject: 1, slow: 300ms}
        """))
    assert rejecting.status == PASSED, rejecting.failures
    assert "rejected 1× before it was acknowledged" in {o.what for o in rejecting.objectives if o.result == "met"}
    [path] = rejecting.paths
    assert path.counts["received"] == 2 and path.counts["duplicate"] == 0
    assert path.hops["function_duration"].get_min_value() >= 299_000  # µs (3 significant digits): slow applies to each message
    assert any("rejects each message 1×, takes 300 ms per message" in n for n in rejecting.notes), rejecting.notes

    deleting = run_scenario(applied, write_scenario(tmp_path, topology, "delete-on-ack", """\
        send: {from: B/eu-west-1, queue: b-fn-in, count: 1, size: 2MiB}
        expect:
          - {function: b-fn, within: 20s, delete_payloads: true}
        payload_deleted_after_ack: true
        """))
    assert deleting.status == PASSED, deleting.failures
    assert "payload objects gone after ack" in {o.what for o in deleting.objectives if o.result == "met"}


def test_a_role_without_its_bucket_grant_fails_naming_the_function_the_bucket_and_the_grant(
    applied: Manifest, topology: Path, tmp_path: Path, aws: AwsClients
) -> None:
    fn = applied.functions["c-fn"]
    iam = aws("iam", fn.account_id, fn.region)
    original = iam.get_role_policy(RoleName=fn.role_name, PolicyName="least-privilege")["PolicyDocument"]
    document = original if isinstance(original, dict) else json.loads(original)
    broken = {**document, "Statement": [s for s in document["Statement"] if s.get("Sid") != "ReadPayloads"]}
    iam.put_role_policy(RoleName=fn.role_name, PolicyName="least-privilege", PolicyDocument=json.dumps(broken))
    try:
        sc = write_scenario(tmp_path, topology, "broken-grant", """\
            send: {from: A/us-east-1, topic: orders, count: 1, size: 2MiB}
            expect:
              - {function: c-fn, within: 10s}
            """)
        result = run_scenario(applied, sc)
    finally:
        iam.put_role_policy(RoleName=fn.role_name, PolicyName="least-privilege", PolicyDocument=json.dumps(document))
    assert result.status == FAILED
    [line] = [f for f in result.failures if f.startswith("access denied:")]
    assert "function c-fn's role cannot get the payload from bucket payloads" in line, line
    assert "no identity policy of the caller allows s3:GetObject" in line, line
    assert result.sent == 0, "nothing is sent when a hop is denied"


def test_a_topic_over_256_kib_is_not_observable_on_the_emulator(applied: Manifest, topology: Path, tmp_path: Path) -> None:
    sc = write_scenario(tmp_path, topology, "big-topic", """\
        send: {from: A/us-east-1, topic: big, count: 1, size: 512KiB}
        expect:
          - {queue: big-q, within: 10s}
        """)
    result = run_scenario(applied, sc)
    assert result.status == INCONCLUSIVE, (result.status, result.failures)
    [objective] = [o for o in result.objectives if o.result == NOT_OBSERVABLE]
    assert objective.what.startswith("carried inline up to the topic's max_message_size")
    assert "256 KiB" in objective.reason
    [path] = result.paths
    assert path.counts["intact"] == 1 and sum(path.through_s3.values()) == 1, "delivered, through S3 on the emulator"
