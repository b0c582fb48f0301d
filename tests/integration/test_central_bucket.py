"""Issue 10 items 3 and 4 on a real LocalStack: a sender offloads into a central payload bucket that
a fourth account owns (``writers:``), and a consumer in another account reads the payload from it;
the bucket's payloads (SSE-KMS) and the consumer's queue are encrypted with customer-managed keys.

LocalStack enforces no key policy: that a reader removed from the key policy can no longer decrypt
is judged by the access evaluator, from the key policy read back from KMS."""

from __future__ import annotations

import io
import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.access.static import check_topology
from harness.errors import InputFileError
from harness.provision import lifecycle
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.scenario.execute.runner import ScenarioRunner
from harness.scenario.format.loader import load_scenario
from harness.scenario.judge.result import FAILED, PASSED
from harness.settings import Settings
from harness.topology.loader import load_topology

TOPOLOGY = Path(__file__).parent / "topologies" / "central-bucket.topology.yaml"
A, B, D = "111111111111", "222222222222", "444444444444"


@pytest.fixture(scope="module")
def applied(endpoint_url: str) -> Iterator[Manifest]:
    settings = Settings.from_env(os.environ)
    manifest = lifecycle.up(TOPOLOGY, Target("localstack", endpoint_url), settings, out=io.StringIO()).manifest
    yield manifest
    lifecycle.down(manifest.run_id, settings, out=io.StringIO())


def _scenario(tmp_path: Path, name: str, body: str):
    path = tmp_path / f"{name}.scenario.yaml"
    path.write_text(f"name: {name}\ntopology: {TOPOLOGY}\n" + textwrap.dedent(body))
    return load_scenario(path)


def test_the_modules_authorise_the_central_bucket_as_declared() -> None:
    assert check_topology(load_topology(TOPOLOGY)) == []


def test_writer_offloads_into_a_central_bucket_and_the_consumer_reads_it(applied: Manifest, tmp_path: Path, aws) -> None:
    central = applied.buckets["central"]
    assert central.account == "D" and central.account_id == D
    policy = aws("s3", D, "us-east-1").get_bucket_policy(Bucket=central.name)["Policy"]
    assert "AllowWriterAccountsToPutPayloads" in policy and f"arn:aws:iam::{A}:root" in policy

    sc = _scenario(tmp_path, "central-offload", """\
        send: {from: A/us-east-1, topic: orders, count: 2, size: 300KiB, offload: always, bucket: central}
        expect:
          - {queue: b-eu, within: 15s, intact: true, delete_payloads: true}
        """)
    result = ScenarioRunner(applied, Sessions.for_manifest(applied)).run(sc)
    assert result.status == PASSED, result.failures
    [path] = result.paths
    assert path.counts["intact"] == 2 and path.counts["received"] == 2
    # Every hop of the path was judged, the writer's put among them, and allowed by the writer grant.
    puts = [h for h in result.access if h["hop"] == "put_payload"]
    assert puts and all(h["verdict"] == "allowed" for h in puts), result.access
    assert puts[0]["principal"] == A and "AllowWriterAccountsToPutPayloads" in puts[0]["line"]
    # The consumer deleted the payloads: the central bucket is empty again.
    assert aws("s3", D, "us-east-1").list_objects_v2(Bucket=central.name).get("KeyCount", 0) == 0


def test_a_sender_that_is_not_a_writer_is_refused_with_what_to_write(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        _scenario(tmp_path, "not-a-writer", """\
            send: {from: C/us-east-1, queue: c-us, count: 1, size: 2MiB, bucket: central}
            expect:
              - {queue: c-us, within: 5s}
            """)
    [problem] = err.value.problems
    assert "which account D owns and only D, A may write, but the sender is C" in problem.message
    assert "add C to buckets.central.writers" in problem.message
    assert "give the bucket a writer" not in str(err.value)


OFFLOAD = """\
    send: {from: A/us-east-1, topic: orders, count: 2, size: 300KiB, offload: always, bucket: central}
    expect:
      - {queue: b-eu, within: 15s, intact: true}
    """


def test_kms_encrypted_queue_and_bucket_deliver_and_decrypt_across_accounts(applied: Manifest, tmp_path: Path, aws) -> None:
    payload_key, queue_key = applied.keys["payload-key"], applied.keys["queue-key"]
    assert (payload_key.account_id, payload_key.region) == (D, "us-east-1") and payload_key.arn.startswith(f"arn:aws:kms:us-east-1:{D}:key/")
    assert applied.buckets["central"].kms_key == "payload-key" and applied.queues["b-eu"].kms_key == "queue-key"
    b_eu = applied.queues["b-eu"]
    attrs = aws("sqs", B, "eu-west-1").get_queue_attributes(QueueUrl=b_eu.url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
    assert attrs["KmsMasterKeyId"] == queue_key.arn
    topic_attrs = aws("sns", A, "us-east-1").get_topic_attributes(TopicArn=applied.topics["orders"].arn)["Attributes"]
    assert topic_attrs["KmsMasterKeyId"] == applied.keys["topic-key"].arn
    # The key policies the kms module wrote: D administers its key, A may encrypt, B decrypt;
    # SNS may use B's queue key only for deliveries from topic orders.
    policy = json.loads(aws("kms", D, "us-east-1").get_key_policy(KeyId=payload_key.arn, PolicyName="default")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["EnableOwnAccountAdministration", "AllowAccountsToEncrypt", "AllowAccountsToDecrypt"]
    sns_stmt = json.loads(aws("kms", B, "eu-west-1").get_key_policy(KeyId=queue_key.arn, PolicyName="default")["Policy"])["Statement"][-1]
    assert sns_stmt["Principal"] == {"Service": "sns.amazonaws.com"}
    assert sns_stmt["Condition"]["ArnEquals"]["aws:SourceArn"] in (applied.topics["orders"].arn, [applied.topics["orders"].arn])

    result = ScenarioRunner(applied, Sessions.for_manifest(applied)).run(_scenario(tmp_path, "kms-offload", OFFLOAD))
    assert result.status == PASSED, result.failures
    assert result.paths[0].counts["intact"] == 2
    key_hops = {(h["hop"], h["subject"], h["principal"]) for h in result.access if h["hop"] in ("encrypt", "decrypt")}
    assert key_hops == {
        ("encrypt", "orders", A), ("decrypt", "orders", A),  # the topic's key, as the publisher
        ("encrypt", "b-eu", "sns.amazonaws.com"), ("decrypt", "b-eu", B),  # the queue's key
        ("encrypt", "central", A),  # the writer's SSE-KMS upload
    }, result.access
    assert all(h["verdict"] == "allowed" for h in result.access), result.access
    # The payloads were stored with SSE-KMS under D's key.
    s3 = aws("s3", D, "us-east-1")
    objects = s3.list_objects_v2(Bucket=applied.buckets["central"].name).get("Contents", [])
    assert objects
    head = s3.head_object(Bucket=applied.buckets["central"].name, Key=objects[0]["Key"])
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == payload_key.arn


def test_removing_the_reader_from_the_key_policy_fails_the_scenario_naming_the_key(applied: Manifest, tmp_path: Path, aws) -> None:
    key = applied.keys["payload-key"]
    kms = aws("kms", D, "us-east-1")
    original = kms.get_key_policy(KeyId=key.arn, PolicyName="default")["Policy"]
    changed = json.loads(original)
    changed["Statement"] = [s for s in changed["Statement"] if s.get("Sid") != "AllowAccountsToDecrypt"]
    kms.put_key_policy(KeyId=key.arn, PolicyName="default", Policy=json.dumps(changed))
    try:
        result = ScenarioRunner(applied, Sessions.for_manifest(applied)).run(_scenario(tmp_path, "kms-reader-dropped", OFFLOAD))
    finally:
        kms.put_key_policy(KeyId=key.arn, PolicyName="default", Policy=original)
    assert result.status == FAILED
    assert result.failures == [
        f"access denied: b-eu: account {B} cannot decrypt payloads of bucket central with KMS key payload-key: "
        f"the key policy has no statement allowing kms:Decrypt to account {B}"
    ], result.failures
    again = ScenarioRunner(applied, Sessions.for_manifest(applied)).run(_scenario(tmp_path, "kms-reader-restored", OFFLOAD))
    assert again.status == PASSED, again.failures
