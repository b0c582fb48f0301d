"""Damaged, missing and malformed payloads on LocalStack: each is a distinct outcome, none crashes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.payload import BodyKind, Expected, GeneratedPayload, Outcome, wire
from harness.payload.transfer import MiB
from tests.payload.conftest import QUEUE_REGION, A, Layout, receive_one

pytestmark = pytest.mark.localstack


def offloaded(layout: Layout, size: int = MiB + 1, seed: int = 1) -> tuple[Any, Any, GeneratedPayload]:
    payload = GeneratedPayload(seed, size)
    sent = layout.publisher().to_queue(layout.direct_queue, payload)
    assert sent.offloaded and sent.pointer is not None
    return sent, layout.consumer(layout.direct_queue), payload


def rewrite_object(layout: Layout, key: str, body: bytes) -> None:
    """Replace the object in place, keeping its metadata (as a damaged copy would)."""
    s3 = layout.s3()
    metadata = s3.head_object(Bucket=layout.bucket, Key=key)["Metadata"]
    s3.put_object(Bucket=layout.bucket, Key=key, Body=body, Metadata=metadata)


def test_deleted_object_is_missing(layout: Layout) -> None:
    sent, consumer, _ = offloaded(layout)
    layout.s3().delete_object(Bucket=layout.bucket, Key=sent.pointer.key)
    message = receive_one(consumer)
    verdict = consumer.verify(message)
    assert verdict.outcome is Outcome.MISSING_OBJECT and "NoSuchKey" in verdict.detail
    assert verdict.key == sent.pointer.key and verdict.expected_size == MiB + 1
    assert consumer.delete(message).message_deleted


def test_missing_bucket_is_missing(layout: Layout) -> None:
    sqs = layout.clients("sqs", A, QUEUE_REGION)
    sqs.send_message(
        QueueUrl=layout.direct_queue,
        MessageBody=wire.encode_pointer(wire.S3Pointer("no-such-bucket-harness", "k")),
        MessageAttributes={"ExtendedPayloadSize": {"DataType": "Number", "StringValue": "5"}},
    )
    consumer = layout.consumer(layout.direct_queue)
    verdict = consumer.verify(receive_one(consumer))
    assert verdict.outcome is Outcome.MISSING_OBJECT and "NoSuchBucket" in verdict.detail


@pytest.mark.parametrize("size", [MiB + 1, 20 * MiB], ids=["single-part", "multipart"])
def test_flipped_byte_is_corrupted(layout: Layout, size: int) -> None:
    sent, consumer, payload = offloaded(layout, size)
    data = bytearray(payload.read_range(0, size))
    data[size // 2] ^= 0x01
    rewrite_object(layout, sent.pointer.key, bytes(data))
    message = receive_one(consumer)
    verdict = consumer.verify(message)
    assert verdict.outcome is Outcome.CORRUPTED and verdict.sha256_source == "s3-metadata"
    assert verdict.bytes_read == size and verdict.actual_sha256 != payload.sha256()
    assert consumer.verify(message, Expected.of(payload)).outcome is Outcome.CORRUPTED


@pytest.mark.parametrize("size,keep", [(MiB + 1, MiB), (20 * MiB, 9 * MiB + 3)], ids=["single-part", "multipart"])
def test_truncated_object_is_truncated(layout: Layout, size: int, keep: int) -> None:
    sent, consumer, payload = offloaded(layout, size)
    rewrite_object(layout, sent.pointer.key, payload.read_range(0, keep))
    verdict = consumer.verify(receive_one(consumer))
    assert verdict.outcome is Outcome.TRUNCATED
    assert verdict.bytes_read == keep and verdict.expected_size == size and verdict.size_source == "ExtendedPayloadSize"


def test_object_replaced_while_read_is_corrupted(layout: Layout) -> None:
    sent, consumer, payload = offloaded(layout, 20 * MiB)
    message = receive_one(consumer)
    with consumer.open(message) as stream:
        chunks = stream.iter_chunks()
        assert len(next(chunks)) == 8 * MiB
        rewrite_object(layout, sent.pointer.key, payload.read_range(0, 20 * MiB).swapcase())
        for _ in chunks:
            pass
        assert stream.verdict is not None and stream.verdict.outcome is Outcome.CORRUPTED
        assert "changed while being read" in stream.verdict.detail


@pytest.mark.parametrize(
    "body",
    [
        "this is not json {",
        json.dumps({"s3BucketName": "b", "s3Key": "k"}),
        json.dumps(["com.example.NotAPointer", {"s3BucketName": "b", "s3Key": "k"}]),
        json.dumps([wire.POINTER_CLASS, {"s3BucketName": 42}]),
    ],
    ids=["bad-json", "wrong-shape", "unknown-class", "bad-fields"],
)
@pytest.mark.parametrize("via", ["sqs", "sns-envelope"])
def test_unreadable_pointer(layout: Layout, body: str, via: str) -> None:
    attrs = {"ExtendedPayloadSize": {"DataType": "Number", "StringValue": "5"}}
    if via == "sqs":
        layout.clients("sqs", A, QUEUE_REGION).send_message(QueueUrl=layout.direct_queue, MessageBody=body, MessageAttributes=attrs)
        consumer = layout.consumer(layout.direct_queue)
    else:
        layout.clients("sns", A, "us-east-1").publish(TopicArn=layout.topic_arn, Message=body, MessageAttributes=attrs)
        consumer = layout.consumer(layout.envelope_queue)
    message = receive_one(consumer)
    assert message.kind is BodyKind.UNREADABLE
    verdict = consumer.verify(message)
    assert verdict.outcome is Outcome.UNREADABLE_POINTER and verdict.detail
    assert consumer.delete(message).message_deleted


def test_inline_with_wrong_sha_is_corrupted_and_short_is_truncated(layout: Layout) -> None:
    sqs = layout.clients("sqs", A, QUEUE_REGION)
    consumer = layout.consumer(layout.direct_queue)
    payload = GeneratedPayload(4, 1000)
    sqs.send_message(
        QueueUrl=layout.direct_queue,
        MessageBody=payload.text(),
        MessageAttributes={"HarnessSha256": {"DataType": "String", "StringValue": "0" * 64}},
    )
    message = receive_one(consumer)
    assert consumer.verify(message).outcome is Outcome.CORRUPTED
    assert consumer.verify(message, Expected(size=1001)).outcome is Outcome.TRUNCATED
    assert consumer.verify(message, Expected.of(payload)).outcome is Outcome.INTACT


def test_pointer_without_any_checksum_is_unverified(layout: Layout) -> None:
    """What an official-library message looks like: no sha256 anywhere, only the size."""
    payload = GeneratedPayload(5, 3 * MiB)
    layout.s3().put_object(Bucket=layout.bucket, Key="lib-style", Body=payload.read_range(0, payload.size))
    layout.clients("sqs", A, QUEUE_REGION).send_message(
        QueueUrl=layout.direct_queue,
        MessageBody=wire.encode_pointer(wire.S3Pointer(layout.bucket, "lib-style")),
        MessageAttributes={"ExtendedPayloadSize": {"DataType": "Number", "StringValue": str(payload.size)}},
    )
    consumer = layout.consumer(layout.direct_queue)
    message = receive_one(consumer)
    verdict = consumer.verify(message)
    assert verdict.outcome is Outcome.UNVERIFIED and "no sha256" in verdict.detail
    assert consumer.verify(message, Expected.of(payload)).outcome is Outcome.INTACT
