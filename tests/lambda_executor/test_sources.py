"""(b) SNS in account A → function in account C; (c) SQS → event source mapping with partial batch failures.

LocalStack's Lambda service does the delivery (SNS's lambda protocol, the ESM poller, redrive by the
queue); the executor only runs the handler — which is what these tests check end to end."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import AwsClients
from tests.lambda_executor.conftest import REGION, A, C, FunctionFactory, Receipts, unique, wait_for

pytestmark = pytest.mark.localstack


def test_a_publish_in_account_a_reaches_the_function_in_account_c(
    aws: AwsClients, make_function: FunctionFactory, receipts: Receipts
) -> None:
    fn = make_function("sns_receipt", env={"RECEIPT_QUEUE_URL": receipts.url})
    sns_a = aws("sns", A, REGION)
    topic_arn = sns_a.create_topic(Name=unique("orders"))["TopicArn"]
    try:
        # As on AWS: the function's resource policy admits SNS for exactly this topic, then the topic's
        # owner subscribes the function of the other account.
        aws("lambda", C, REGION).add_permission(
            FunctionName=fn["FunctionName"], StatementId="sns-from-a", Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com", SourceArn=topic_arn,
        )
        sns_a.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=fn["FunctionArn"])
        correlation = str(uuid.uuid4())
        sns_a.publish(TopicArn=topic_arn, Message=correlation,
                      MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}})

        got = receipts.collect("the SNS-invoked handler's receipt", lambda seen: len(seen) >= 1, timeout=30)
    finally:
        sns_a.delete_topic(TopicArn=topic_arn)

    assert len(got) == 1, got
    receipt = got[0]
    assert receipt["event_source"] == "aws:sns"
    assert receipt["topic_arn"] == topic_arn and f":{A}:" in topic_arn
    assert receipt["message"] == correlation
    assert receipt["attributes"] == {"kind": "order"}
    assert receipt["identity"].startswith(f"arn:aws:sts::{C}:assumed-role/"), "the handler acts as C's execution role"


def test_an_sqs_batch_reaches_the_function_and_failed_items_are_redelivered(
    aws: AwsClients, make_function: FunctionFactory, receipts: Receipts
) -> None:
    sqs = aws("sqs", C, REGION)
    lam = aws("lambda", C, REGION)
    dlq_url = sqs.create_queue(QueueName=unique("work-dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=unique("work"), Attributes={
        "VisibilityTimeout": "2",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
    })["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    fn = make_function("sqs_batch", env={"RECEIPT_QUEUE_URL": receipts.url})
    # Queued before the mapping exists, so its first poll finds all four (a poller already waiting
    # may be woken by the first message alone, on AWS as here).
    bodies = ["ok-1", "fail-once-2", "ok-3", "fail-always-4"]
    sqs.send_message_batch(QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
    mapping = lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=fn["FunctionName"], BatchSize=10,
        MaximumBatchingWindowInSeconds=1, FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    try:

        def settled(seen: list[dict[str, Any]]) -> bool:
            # fail-once-2 came back once and succeeded; fail-always-4 was received twice (maxReceiveCount)
            counts = {(r["body"], r["receive_count"]) for r in seen}
            return {("fail-once-2", 2), ("fail-always-4", 2)} <= counts

        got = receipts.collect("redelivery of the failed items", settled, timeout=40)
        dead = wait_for("fail-always-4 in the dead-letter queue",
                        lambda: sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages"), timeout=20)
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
        sqs.delete_queue(QueueUrl=queue_url)
        sqs.delete_queue(QueueUrl=dlq_url)

    first = [r for r in got if r["receive_count"] == 1]
    assert sorted(r["body"] for r in first) == sorted(bodies), got
    assert len({tuple(r["batch"]) for r in first}) == 1 and len(first[0]["batch"]) == 4, \
        f"the four messages arrive as one batch: {got}"
    assert all(r["event_source"] == "aws:sqs" for r in got)
    redelivered = sorted(r["body"] for r in got if r["receive_count"] > 1)
    assert redelivered == ["fail-always-4", "fail-once-2"], f"only the reported failures come back: {got}"
    assert [m["Body"] for m in dead] == ["fail-always-4"]
