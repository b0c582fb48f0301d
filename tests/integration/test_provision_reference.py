"""Apply the reference topology to a real LocalStack, check it through boto3, destroy it, and check
that nothing carrying the run id is left in any account or region."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import pytest

from harness import paths
from harness.provision import lifecycle
from harness.provision.manifest import STATUS_APPLIED, STATUS_DESTROYED, Manifest
from harness.provision.naming import TAG_RUN_ID
from harness.provision.targets import Target
from harness.settings import Settings
from harness.topology.loader import load_topology

TOPOLOGY = load_topology(paths.REFERENCE_TOPOLOGY)
A, B, C = (TOPOLOGY.accounts[n].id for n in ("A", "B", "C"))


@pytest.fixture(scope="module")
def applied(endpoint_url: str, settings: Settings) -> Iterator[Manifest]:
    out = io.StringIO()
    result = lifecycle.up(paths.REFERENCE_TOPOLOGY, Target("localstack", endpoint_url), settings, out=out)
    assert "created" in out.getvalue(), "apply showed no per-resource progress"
    yield result.manifest
    if Manifest.load(result.manifest.run_id, settings).status != STATUS_DESTROYED:
        lifecycle.down(result.manifest.run_id, settings, out=io.StringIO())


def _arn_parts(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[4], parts[3]  # account, region


def test_manifest_lists_every_logical_resource(applied: Manifest, settings: Settings) -> None:
    assert applied.status == STATUS_APPLIED
    assert set(applied.topics) == set(TOPOLOGY.topics)
    assert set(applied.queues) == set(TOPOLOGY.queues)
    assert set(applied.buckets) == set(TOPOLOGY.buckets)
    on_disk = Manifest.load(applied.run_id, settings)
    assert on_disk.queues["b-eu"].url == applied.queues["b-eu"].url
    assert applied.run_id in applied.queues["b-eu"].name


def test_queues_exist_in_their_declared_account_and_region(applied: Manifest, aws) -> None:
    for name, queue in TOPOLOGY.queues.items():
        entry = applied.queues[name]
        sqs = aws("sqs", entry.account_id, queue.region)
        url = sqs.get_queue_url(QueueName=entry.name, QueueOwnerAWSAccountId=entry.account_id)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert _arn_parts(attrs["QueueArn"]) == (TOPOLOGY.account_id(queue.account), queue.region), name
        assert attrs["QueueArn"] == entry.arn
        assert attrs.get("FifoQueue", "false") == ("true" if queue.fifo else "false")
        assert int(attrs["VisibilityTimeout"]) == queue.visibility_timeout
        assert int(attrs["MessageRetentionPeriod"]) == queue.retention
        assert int(attrs["MaximumMessageSize"]) == 1048576
        tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
        assert tags.get(TAG_RUN_ID) == applied.run_id


def test_queue_dead_letter_redrive(applied: Manifest, aws) -> None:
    entry = applied.queues["b-eu"]
    attrs = aws("sqs", B, "eu-west-1").get_queue_attributes(QueueUrl=entry.url, AttributeNames=["RedrivePolicy"])
    redrive = json.loads(attrs["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == applied.queues["b-eu-dlq"].arn
    assert int(redrive["maxReceiveCount"]) == 3


def test_topics_exist_in_their_declared_account_and_region(applied: Manifest, aws) -> None:
    for name, topic in TOPOLOGY.topics.items():
        entry = applied.topics[name]
        assert _arn_parts(entry.arn) == (TOPOLOGY.account_id(topic.account), topic.region)
        attrs = aws("sns", entry.account_id, topic.region).get_topic_attributes(TopicArn=entry.arn)["Attributes"]
        assert attrs["TopicArn"] == entry.arn
        assert attrs.get("FifoTopic", "false") == ("true" if topic.fifo else "false")


def test_topic_policy_grants_subscribe_to_subscriber_accounts(applied: Manifest, aws) -> None:
    entry = applied.topics["orders"]
    policy = json.loads(aws("sns", A, "us-east-1").get_topic_attributes(TopicArn=entry.arn)["Attributes"]["Policy"])
    subscribe = [s for s in policy["Statement"] if "sns:Subscribe" in json.dumps(s["Action"])]
    assert subscribe, policy
    principals = json.dumps(subscribe[0]["Principal"])
    assert f"arn:aws:iam::{B}:root" in principals and f"arn:aws:iam::{C}:root" in principals
    assert f"arn:aws:iam::{A}:root" not in principals


def _queue_policy(aws, entry) -> dict:
    attrs = aws("sqs", entry.account_id, entry.region).get_queue_attributes(QueueUrl=entry.url, AttributeNames=["Policy"])
    return json.loads(attrs["Attributes"]["Policy"])


def _sns_statement(policy: dict) -> dict:
    [stmt] = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "sns.amazonaws.com"}]
    return stmt


def test_queue_policies_admit_sns_only_from_feeding_topics(applied: Manifest, aws) -> None:
    orders = applied.topics["orders"].arn
    for queue in ("b-eu", "b-ap", "c-us", "b-sub-dlq"):
        stmt = _sns_statement(_queue_policy(aws, applied.queues[queue]))
        assert stmt["Effect"] == "Allow" and stmt["Action"] in ("sqs:SendMessage", ["sqs:SendMessage"])
        assert stmt["Resource"] == applied.queues[queue].arn
        source = stmt["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert (source if isinstance(source, list) else [source]) == [orders], queue
    fifo_stmt = _sns_statement(_queue_policy(aws, applied.queues["b-eu-fifo"]))
    source = fifo_stmt["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert (source if isinstance(source, list) else [source]) == [applied.topics["orders-fifo"].arn]


def test_direct_producer_accounts_are_listed_in_queue_policy(applied: Manifest, aws) -> None:
    policy = _queue_policy(aws, applied.queues["c-us"])
    producers = [s for s in policy["Statement"] if "AWS" in (s.get("Principal") or {})]
    assert producers and f"arn:aws:iam::{B}:root" in json.dumps(producers[0]["Principal"])
    dlq_attrs = aws("sqs", B, "eu-west-1").get_queue_attributes(
        QueueUrl=applied.queues["b-eu-dlq"].url, AttributeNames=["All"]
    )["Attributes"]
    assert "Policy" not in dlq_attrs, "a queue nothing feeds must not get a policy"


def test_payload_bucket_policy_readers_tls_and_access_block(applied: Manifest, aws) -> None:
    entry = applied.buckets["payloads"]
    s3 = aws("s3", A, "us-east-1")
    s3.head_bucket(Bucket=entry.name)
    assert entry.account_id == A and entry.region == "us-east-1"
    policy = json.loads(s3.get_bucket_policy(Bucket=entry.name)["Policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    deny = by_sid["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    for sid, action in (("AllowReaderAccountsToGetPayloads", "s3:GetObject"), ("AllowReaderAccountsToDeletePayloads", "s3:DeleteObject")):
        stmt = by_sid[sid]
        assert action in json.dumps(stmt["Action"])
        principals = json.dumps(stmt["Principal"])
        assert f"arn:aws:iam::{B}:root" in principals and f"arn:aws:iam::{C}:root" in principals
    block = s3.get_public_access_block(Bucket=entry.name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=entry.name)["TagSet"]}
    assert tags[TAG_RUN_ID] == applied.run_id


def test_subscriptions_carry_declared_settings(applied: Manifest, aws) -> None:
    sns = aws("sns", A, "us-east-1")  # LocalStack: the topic's account created them
    for sub in TOPOLOGY.subscriptions:
        [entry] = [s for s in applied.subscriptions if s.topic == sub.topic and s.endpoint == sub.endpoint]
        attrs = sns.get_subscription_attributes(SubscriptionArn=entry.arn)["Attributes"]
        assert attrs["Protocol"] == sub.protocol
        assert attrs["Endpoint"] == (applied.functions[sub.function].arn if sub.function else applied.queues[sub.queue].arn)
        assert attrs["TopicArn"] == applied.topics[sub.topic].arn
        assert attrs.get("RawMessageDelivery", "false") == ("true" if sub.raw_delivery else "false"), sub.key
        if sub.filter_policy is None:
            assert "FilterPolicy" not in attrs
        else:
            assert json.loads(attrs["FilterPolicy"]) == sub.filter_policy
        if sub.dead_letter_queue:
            redrive = json.loads(attrs["RedrivePolicy"])
            assert redrive["deadLetterTargetArn"] == applied.queues[sub.dead_letter_queue].arn


def _receive(aws, entry, want: int = 1, timeout: float = 15.0) -> list[dict]:
    sqs = aws("sqs", entry.account_id, entry.region)
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        resp = sqs.receive_message(
            QueueUrl=entry.url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        for m in resp.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=entry.url, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_message_published_in_a_arrives_cross_account_and_cross_region(applied: Manifest, aws) -> None:
    sns = aws("sns", A, "us-east-1")
    body = f"hello from A/us-east-1 run {applied.run_id}"
    sns.publish(
        TopicArn=applied.topics["orders"].arn,
        Message=body,
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "invoice"}},
    )
    [in_b] = _receive(aws, applied.queues["b-eu"])  # B / eu-west-1, raw delivery
    assert in_b["Body"] == body
    assert in_b["MessageAttributes"]["kind"]["StringValue"] == "invoice"
    [in_c] = _receive(aws, applied.queues["c-us"])  # C / us-east-1, filter matches
    assert in_c["Body"] == body
    [in_b_ap] = _receive(aws, applied.queues["b-ap"])  # B / ap-southeast-2, SNS envelope
    envelope = json.loads(in_b_ap["Body"])
    assert envelope["Message"] == body and envelope["TopicArn"] == applied.topics["orders"].arn


def test_filter_policy_keeps_other_kinds_out_of_c(applied: Manifest, aws) -> None:
    aws("sns", A, "us-east-1").publish(
        TopicArn=applied.topics["orders"].arn,
        Message="not an invoice",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "refund"}},
    )
    assert len(_receive(aws, applied.queues["b-eu"])) == 1
    assert _receive(aws, applied.queues["c-us"], timeout=3.0) == []
    _receive(aws, applied.queues["b-ap"])


def _leftovers(aws, run_id: str) -> list[str]:
    found = []
    for account in (A, B, C):
        for region in TOPOLOGY.regions:
            for url in aws("sqs", account, region).list_queues(QueueNamePrefix=f"hx-{run_id}").get("QueueUrls", []):
                found.append(f"queue {url} ({account}/{region})")
            for t in aws("sns", account, region).list_topics().get("Topics", []):
                if run_id in t["TopicArn"]:
                    found.append(f"topic {t['TopicArn']}")
            for s in aws("sns", account, region).list_subscriptions().get("Subscriptions", []):
                if run_id in s["TopicArn"] or run_id in s.get("Endpoint", ""):
                    found.append(f"subscription {s['SubscriptionArn']}")
        for b in aws("s3", account, "us-east-1").list_buckets().get("Buckets", []):
            if run_id in b["Name"]:
                found.append(f"bucket {b['Name']} ({account})")
    return found


def test_zz_down_leaves_nothing_carrying_the_run_id(applied: Manifest, aws, settings: Settings) -> None:
    # Leave an offloaded payload in the bucket: `down` must still remove the bucket.
    aws("s3", A, "us-east-1").put_object(Bucket=applied.buckets["payloads"].name, Key="leftover", Body=b"x" * 1024)
    assert _leftovers(aws, applied.run_id), "sanity: the run's resources should be visible before down"
    manifest = lifecycle.down(applied.run_id, settings, out=io.StringIO())
    assert manifest.status == STATUS_DESTROYED
    assert Manifest.load(applied.run_id, settings).status == STATUS_DESTROYED
    assert _leftovers(aws, applied.run_id) == []
