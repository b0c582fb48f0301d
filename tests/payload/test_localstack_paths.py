"""Payloads of every interesting size through every path, cross-account and cross-region, on LocalStack."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

from harness.payload import BodyKind, Expected, GeneratedPayload, Outcome, wire
from harness.payload.transfer import MiB
from tests.payload.conftest import QUEUE_ATTRIBUTES, QUEUE_REGION, TOPIC_REGION, A, B, Layout, queue_arn, receive_one

pytestmark = pytest.mark.localstack

KiB = 1024
SIZES = [0, 1, 256 * KiB - 1, 256 * KiB, 256 * KiB + 1, MiB - 1, MiB, MiB + 1, 5 * MiB]
THRESHOLD = {"sqs": 1_048_576, "sns-raw": 262_144, "sns-envelope": 262_144}
SHA_ATTR_BYTES = len("HarnessSha256") + len("String") + 64


def corr_bytes(correlation_id: str) -> int:
    return len("HarnessCorrelationId") + len("String") + len(correlation_id)


def publish(layout: Layout, path: str, payload: GeneratedPayload, **kwargs: Any):
    pub = layout.publisher(**kwargs.pop("settings", {}))
    if path == "sqs":
        return pub.to_queue(layout.direct_queue, payload, **kwargs), layout.consumer(layout.direct_queue)
    queue = layout.raw_queue if path == "sns-raw" else layout.envelope_queue
    other = layout.envelope_queue if path == "sns-raw" else layout.raw_queue
    sent = pub.to_topic(layout.topic_arn, payload, **kwargs)
    # The topic fans out to both queues; drain the other one so each test sees one path only.
    receive_one(layout.consumer(other, delete_payload=False))
    return sent, layout.consumer(queue)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s}B")
@pytest.mark.parametrize("path", ["sqs", "sns-raw", "sns-envelope"])
def test_sizes_cross_account_cross_region(layout: Layout, path: str, size: int) -> None:
    payload = GeneratedPayload(seed=size + 1, size=size)
    cid = f"size-{size}"
    sent, consumer = publish(layout, path, payload, correlation_id=cid)
    expect_offload = size == 0 or size + SHA_ATTR_BYTES + corr_bytes(cid) > THRESHOLD[path]
    assert sent.offloaded is expect_offload

    message = receive_one(consumer)
    assert message.correlation_id == cid
    assert message.kind is (BodyKind.POINTER if expect_offload else BodyKind.INLINE)
    assert message.via_sns_envelope is (path == "sns-envelope")
    t = message.timestamps
    assert t.sent_timestamp_ms and t.first_receive_timestamp_ms and t.received_at_ms >= t.sent_timestamp_ms - 1000
    assert (t.sns_timestamp_ms is not None) is (path == "sns-envelope")

    verdict = consumer.verify(message)  # against what the producer declared
    assert verdict.outcome is Outcome.INTACT, verdict
    assert verdict.bytes_read == size and verdict.offloaded is expect_offload
    assert consumer.verify(message, sent.expected).outcome is Outcome.INTACT

    deleted = consumer.delete(message)
    assert deleted.message_deleted and deleted.payload_deleted is (True if expect_offload else None)
    if expect_offload:
        assert sent.pointer is not None
        assert layout.s3().list_objects_v2(Bucket=layout.bucket).get("KeyCount", 0) == 0
    assert consumer.receive(wait_seconds=0) == []


@pytest.mark.parametrize("path,threshold", [("sqs", 1_048_576), ("sns-raw", 262_144), ("sns-envelope", 262_144)])
def test_exact_threshold_inline_and_one_more_offloaded_on_the_real_service(layout: Layout, path: str, threshold: int) -> None:
    """Without harness attributes the boundary is the libraries': == threshold inline, +1 offloaded."""
    for size, offloaded in ((threshold, False), (threshold + 1, True)):
        payload = GeneratedPayload(7, size)
        sent, consumer = publish(layout, path, payload, settings={"inline_sha256": False})
        assert sent.offloaded is offloaded
        if not offloaded:
            assert sent.message_bytes == threshold and sent.attribute_names == ()
        message = receive_one(consumer)
        # Inline without HarnessSha256 nothing declares a sha256; offloaded ones carry it in S3 metadata.
        assert consumer.verify(message).outcome is (Outcome.INTACT if offloaded else Outcome.UNVERIFIED)
        assert consumer.verify(message, Expected.of(payload)).outcome is Outcome.INTACT
        consumer.delete(message)


def test_100_mib_streams_with_bounded_memory(layout: Layout) -> None:
    """The 100 MiB case, once: traced allocations stay far below the payload size."""
    payload = GeneratedPayload(100, 100 * MiB)
    payload.sha256()  # the producer's pre-pass, outside the measurement (it is bounded too)
    tracemalloc.start()
    try:
        sent, consumer = publish(layout, "sqs", payload, correlation_id="big")
        _, peak_publish = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        message = receive_one(consumer)
        verdict = consumer.verify(message)
        _, peak_consume = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent.offloaded and sent.upload is not None and sent.upload.parts == 13
    assert verdict.outcome is Outcome.INTACT and verdict.bytes_read == 100 * MiB
    assert peak_publish < 64 * MiB and peak_consume < 64 * MiB, (peak_publish / MiB, peak_consume / MiB)
    consumer.delete(message)


def test_publish_time_stamp_and_legacy_names_with_rewritten_handle_delete(layout: Layout) -> None:
    payload = GeneratedPayload(3, 300 * KiB)
    sent, consumer = publish(
        layout, "sns-raw", payload, settings={"stamp_publish_time": True, "legacy_names": True}, correlation_id="c"
    )
    message = receive_one(consumer)
    assert message.size_attribute == wire.LEGACY_RESERVED_ATTRIBUTE and message.pointer is not None
    assert message.pointer.class_name == wire.LEGACY_POINTER_CLASS
    assert message.timestamps.published_at_ms == int(sent.sent_at * 1000)
    assert message.timestamps.sent_timestamp_ms >= message.timestamps.published_at_ms - 1000
    assert consumer.verify(message).outcome is Outcome.INTACT
    handle = message.extended_receipt_handle
    assert handle.startswith("-..s3BucketName..-" + layout.bucket)
    result = consumer.delete(handle)
    assert result.payload_deleted is True
    assert layout.s3().list_objects_v2(Bucket=layout.bucket).get("KeyCount", 0) == 0


def test_fifo_topic_to_fifo_queue_and_direct(layout: Layout, aws: Any) -> None:
    sns, sqs = aws("sns", A, TOPIC_REGION), aws("sqs", B, QUEUE_REGION)
    name = layout.bucket
    topic = sns.create_topic(Name=f"{name}.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{name}.fifo", Attributes={**QUEUE_ATTRIBUTES, "FifoQueue": "true"})["QueueUrl"]
    layout.extra_queues.append(queue)
    sub = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, queue), Attributes={"RawMessageDelivery": "true"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    try:
        pub = layout.publisher()
        consumer = layout.consumer(queue)
        for i, (size, how) in enumerate(((10, "sns"), (300 * KiB, "sns"), (MiB + 5, "sqs"), (20, "sqs"))):
            payload = GeneratedPayload(i, size)
            if how == "sns":
                sent = pub.to_topic(topic, payload, group_id="g1", deduplication_id=f"d{i}")
            else:
                sent = pub.to_queue(queue, payload, group_id="g1", deduplication_id=f"d{i}")
            assert sent.sequence_number
            message = receive_one(consumer)
            assert message.group_id == "g1" and message.sequence_number
            assert consumer.verify(message, sent.expected).outcome is Outcome.INTACT
            consumer.delete(message)
    finally:
        sns.unsubscribe(SubscriptionArn=sub)
        sns.delete_topic(TopicArn=topic)


def test_wrong_region_client_fails_fast_with_advice(layout: Layout, hx: Any) -> None:
    """LocalStack URLs carry no region: the send itself fails; the error says what to check."""
    from harness.errors import PayloadError
    from harness.payload import Publisher, PublishSettings

    pub = Publisher(hx("s3", A, TOPIC_REGION), PublishSettings(bucket=layout.bucket), sqs=hx("sqs", A, "us-west-2"))
    with pytest.raises(PayloadError, match=r"NonExistentQueue.*client's region"):
        pub.to_queue(layout.direct_queue, GeneratedPayload(1, 2 * MiB))
    assert layout.s3().list_objects_v2(Bucket=layout.bucket).get("KeyCount", 0) == 0, "orphan object removed"
