"""Policies read back from resources on the session's LocalStack, then judged.

LocalStack stores the policies it is given (it enforces none of them), which is exactly what the
read-back needs: create a queue, topic and bucket with the kit's module policies through boto3,
read them back, change one by hand, and see the verdicts follow."""

from __future__ import annotations

import json
import uuid

import pytest

from harness.access.paths import BucketRef, Consumer, Named, hop_requests
from harness.access.readback import AppliedResource, ReadbackError, read_applied
from harness.access.verdicts import AppliedPolicies, denied, judge
from harness.kinds.bucket.access import bucket_policy, read_bucket_policy
from harness.kinds.queue.access import queue_policy, read_queue_policy
from harness.kinds.topic.access import read_topic_policy, topic_policy

pytestmark = pytest.mark.localstack

A, B = "111111111111", "222222222222"


@pytest.fixture
def names() -> str:
    return f"hx-acc-{uuid.uuid4().hex[:8]}"


def make_queue(aws, account: str, region: str, name: str, policy: dict | None) -> Named:
    sqs = aws("sqs", account, region)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if policy is not None:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy(arn) if callable(policy) else policy)})
    return Named(name, arn), url


def test_queue_topic_bucket_policies_round_trip(aws, names: str) -> None:
    sns = aws("sns", A, "us-east-1")
    topic_arn = sns.create_topic(Name=f"{names}-orders")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=json.dumps(topic_policy(topic_arn, [B], [B])))
    queue, url = make_queue(aws, B, "eu-west-1", f"{names}-b-eu", lambda arn: queue_policy(arn, [topic_arn]))
    s3 = aws("s3", A, "us-east-1")
    bucket = f"{names}-payloads"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(f"arn:aws:s3:::{bucket}", [B], True)))

    q = read_queue_policy(aws("sqs", B, "eu-west-1"), url)
    t = read_topic_policy(sns, topic_arn)
    b = read_bucket_policy(s3, bucket)
    assert [s.sid for s in q.statements] == ["AllowSnsTopicsToDeliver"] and q.name == "queue policy"
    assert [s.sid for s in t.statements] == ["AllowCrossAccountSubscribe", "AllowCrossAccountPublish"]
    # AllowReaderAccountsToListPayloads since issue 10 item 3 (readers must see 404 for a missing key, not 403).
    assert [s.sid for s in b.statements] == [
        "DenyInsecureTransport", "AllowReaderAccountsToGetPayloads", "AllowReaderAccountsToListPayloads", "AllowReaderAccountsToDeletePayloads"
    ]

    resources = [
        AppliedResource("topic", topic_arn),
        AppliedResource("queue", queue.arn, url=url),
        AppliedResource("bucket", f"arn:aws:s3:::{bucket}", account=A, region="us-east-1"),
    ]
    policies = AppliedPolicies(read_applied(resources, aws))
    hops = hop_requests(
        A, topic=Named("orders", topic_arn), subscribed=[queue],
        bucket=BucketRef("payloads", f"arn:aws:s3:::{bucket}", A), consumers=[Consumer(queue.name, B, True)],
    )
    assert denied(judge(hops, policies)) == []

    # Drop the aws:SourceArn statement by hand: the delivery hop is now denied, with the reason.
    aws("sqs", B, "eu-west-1").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(queue_policy(queue.arn, [], [A]))})
    policies = AppliedPolicies(read_applied(resources, aws))
    bad = denied(judge(hops, policies))
    assert [v.line for v in bad] == [f"{queue.name}: SNS cannot deliver from topic orders: the queue policy has no statement allowing sqs:SendMessage to sns.amazonaws.com"]

    # Restore it; remove the reader account from the bucket policy instead.
    aws("sqs", B, "eu-west-1").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(queue_policy(queue.arn, [topic_arn]))})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(f"arn:aws:s3:::{bucket}", [], True)))
    bad = denied(judge(hops, AppliedPolicies(read_applied(resources, aws))))
    assert [(v.hop.kind.value, v.hop.subject) for v in bad] == [("get_payload", queue.name), ("delete_payload", queue.name)]
    assert bad[0].line == f"{queue.name}: account {B} cannot get the payload from bucket payloads: the bucket policy has no statement allowing s3:GetObject to account {B}"

    # Restore the reader; add an explicit deny for B's deletes: named, as an explicit deny.
    deny = bucket_policy(f"arn:aws:s3:::{bucket}", [B], True)
    deny["Statement"].append({"Sid": "NoDeletesFromB", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                              "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny))
    bad = denied(judge(hops, AppliedPolicies(read_applied(resources, aws))))
    assert [v.line for v in bad] == [
        f"{queue.name}: account {B} cannot delete the payload from bucket payloads: "
        f"bucket policy statement NoDeletesFromB denies s3:DeleteObject to account {B}"
    ]

    # Everything restored: every hop allowed again.
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(f"arn:aws:s3:::{bucket}", [B], True)))
    assert denied(judge(hops, AppliedPolicies(read_applied(resources, aws)))) == []


def test_missing_policies_mean_no_statements(aws, names: str) -> None:
    _, url = make_queue(aws, B, "eu-west-1", f"{names}-bare", None)
    q = read_queue_policy(aws("sqs", B, "eu-west-1"), url)
    assert not q.present and q.statements == ()
    s3 = aws("s3", A, "us-east-1")
    s3.create_bucket(Bucket=f"{names}-bare")
    b = read_bucket_policy(s3, f"{names}-bare")
    assert not b.present and b.statements == ()
    sns = aws("sns", A, "us-east-1")
    topic = sns.create_topic(Name=f"{names}-bare")["TopicArn"]
    t = read_topic_policy(sns, topic)  # SNS's default policy: present, owner-only
    assert t.present and t.statements


def test_unreadable_resources_raise_actionable_errors(aws, names: str) -> None:
    with pytest.raises(ReadbackError, match="is the run still applied"):
        read_bucket_policy(aws("s3", A, "us-east-1"), f"{names}-never-created")
    with pytest.raises(ReadbackError, match="cannot read the policy of topic"):
        read_topic_policy(aws("sns", A, "us-east-1"), f"arn:aws:sns:us-east-1:{A}:{names}-never-created")
    with pytest.raises(ReadbackError, match="an S3 ARN carries neither"):
        read_applied([AppliedResource("bucket", "arn:aws:s3:::x")], aws)
