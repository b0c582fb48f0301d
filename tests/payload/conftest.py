"""LocalStack fixtures of the payload tests: a cross-account, cross-region layout per test.

Topic and payload bucket live in account A (111111111111) in us-east-1; the queues in account B
(222222222222) in eu-west-1: one subscribed with RawMessageDelivery=true, one with raw delivery off
(SNS envelope), one for direct sends. Names are unique per test; everything is deleted afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from harness import retry
from harness.payload import (
    Consumer,
    ConsumeSettings,
    Publisher,
    PublishSettings,
    ReceivedMessage,
)

A, B = "111111111111", "222222222222"
TOPIC_REGION, QUEUE_REGION = "us-east-1", "eu-west-1"
QUEUE_ATTRIBUTES = {"MaximumMessageSize": "1048576", "VisibilityTimeout": "60"}


class HarnessClients:
    """boto3 clients as the harness should build them: botocore retries off (retry.client_config)."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url
        self._cache: dict[tuple[str, str, str], Any] = {}

    def __call__(self, service: str, account: str, region: str) -> Any:
        key = (service, account, region)
        if key not in self._cache:
            session = boto3.session.Session(aws_access_key_id=account, aws_secret_access_key="test", region_name=region)
            self._cache[key] = session.client(service, endpoint_url=self.endpoint_url, config=retry.client_config())
        return self._cache[key]


@pytest.fixture(scope="session")
def hx(endpoint_url: str) -> HarnessClients:
    return HarnessClients(endpoint_url)


@dataclass
class Layout:
    clients: HarnessClients
    bucket: str
    topic_arn: str
    raw_queue: str
    envelope_queue: str
    direct_queue: str
    extra_queues: list[str] = field(default_factory=list)

    def publisher(self, **settings: Any) -> Publisher:
        """Publishing as account A: S3 and SNS in us-east-1, SQS client for the queue's region."""
        settings.setdefault("bucket", self.bucket)
        return Publisher(
            self.clients("s3", A, TOPIC_REGION),
            PublishSettings(**settings),
            sqs=self.clients("sqs", A, QUEUE_REGION),
            sns=self.clients("sns", A, TOPIC_REGION),
        )

    def consumer(self, queue_url: str, **settings: Any) -> Consumer:
        """Consuming as account B in eu-west-1, reading the payload bucket of account A."""
        settings.setdefault("wait_seconds", 1)
        return Consumer(
            self.clients("sqs", B, QUEUE_REGION), self.clients("s3", B, TOPIC_REGION), queue_url, ConsumeSettings(**settings)
        )

    def s3(self) -> Any:
        return self.clients("s3", A, TOPIC_REGION)


def receive_one(consumer: Consumer, timeout: float = 15.0) -> ReceivedMessage:
    """The single message expected on the queue (fails if none arrives or more than one does)."""
    deadline = time.monotonic() + timeout
    got: list[ReceivedMessage] = []
    while time.monotonic() < deadline and not got:
        got = consumer.receive(max_messages=10, wait_seconds=1)
    assert len(got) == 1, f"expected one message, got {len(got)}"
    return got[0]


def queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def empty_and_delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    s3.delete_bucket(Bucket=bucket)


@pytest.fixture
def layout(hx: HarnessClients, aws: Any) -> Iterator[Layout]:
    name = f"pl-{uuid.uuid4().hex[:12]}"
    s3, sns, sqs = aws("s3", A, TOPIC_REGION), aws("sns", A, TOPIC_REGION), aws("sqs", B, QUEUE_REGION)
    s3.create_bucket(Bucket=name)
    topic = sns.create_topic(Name=name)["TopicArn"]
    queues = [sqs.create_queue(QueueName=f"{name}-{k}", Attributes=QUEUE_ATTRIBUTES)["QueueUrl"] for k in ("raw", "env", "direct")]
    subs = [
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=queue_arn(sqs, url),
            Attributes={"RawMessageDelivery": raw},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        for url, raw in ((queues[0], "true"), (queues[1], "false"))
    ]
    lay = Layout(hx, name, topic, *queues)
    try:
        yield lay
    finally:
        for sub in subs:
            sns.unsubscribe(SubscriptionArn=sub)
        sns.delete_topic(TopicArn=topic)
        for url in queues + lay.extra_queues:
            sqs.delete_queue(QueueUrl=url)
        empty_and_delete_bucket(s3, name)
