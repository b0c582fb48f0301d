"""Consumer behaviour that LocalStack cannot show (access denied) and the stream API."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.stub import Stubber

from harness import retry
from harness.payload import wire
from harness.payload.consumer import Consumer, ConsumeSettings
from harness.payload.generator import GeneratedPayload
from harness.payload.outcome import Expected, Outcome
from harness.payload.publisher import Publisher, PublishSettings
from harness.payload.transfer import MiB, TransferSettings
from tests.payload.fakes import FakeS3, FakeSQS, client_error

QUEUE = "https://sqs.eu-west-1.amazonaws.com/222222222222/q"
FAST = retry.RetryPolicy(max_attempts=2, base_delay=0, max_delay=0, sleep=lambda s: None)
SETTINGS = ConsumeSettings(transfer=TransferSettings(part_size=5 * MiB, concurrency=2, retry=FAST), retry=FAST)


def roundtrip(size: int, **publish: object) -> tuple[Consumer, FakeS3, FakeSQS]:
    s3, sqs = FakeS3(), FakeSQS()
    Publisher(s3, PublishSettings(bucket="b", retry=FAST, **publish), sqs=sqs).to_queue(QUEUE, GeneratedPayload(1, size))
    return Consumer(sqs, s3, QUEUE, SETTINGS), s3, sqs


def test_access_denied_is_an_outcome_with_a_real_botocore_error() -> None:
    s3 = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1").client("s3")
    stub = Stubber(s3)
    stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
    sqs = FakeSQS()
    sqs.sent.append(
        {"MessageBody": wire.encode_pointer(wire.S3Pointer("b", "k")), "MessageAttributes": {
            "ExtendedPayloadSize": {"DataType": "Number", "StringValue": "10"}}}
    )
    consumer = Consumer(sqs, s3, QUEUE, SETTINGS)
    [message] = consumer.receive()
    with stub:
        verdict = consumer.verify(message)
    assert verdict.outcome is Outcome.ACCESS_DENIED
    assert verdict.bucket == "b" and verdict.key == "k" and verdict.expected_size == 10


def test_access_denied_mid_stream() -> None:
    consumer, s3, _ = roundtrip(12 * MiB)
    [message] = consumer.receive()
    stream = consumer.open(message)
    first = next(stream.iter_chunks())
    assert len(first) == 5 * MiB
    s3.errors["GetObject"] = [client_error("AccessDenied", 403)] * 4
    verdict = stream.drain()
    assert verdict.outcome is Outcome.ACCESS_DENIED and verdict.bytes_read >= 5 * MiB


def test_stream_is_a_file_like() -> None:
    consumer, *_ = roundtrip(6 * MiB + 5)
    [message] = consumer.receive()
    payload = GeneratedPayload(1, 6 * MiB + 5)
    with consumer.open(message) as stream:
        assert stream.verdict is None
        head = stream.read(10)
        reader = io.BufferedReader(stream, buffer_size=1 << 16)
        rest = reader.read()
        assert head + rest == payload.read_range(0, payload.size)
        assert stream.verdict is not None and stream.verdict.outcome is Outcome.INTACT
        assert stream.verdict.sha256_source == "s3-metadata"


def test_iterating_a_stream_yields_chunks_not_lines() -> None:
    consumer, *_ = roundtrip(12 * MiB)
    [message] = consumer.receive()
    with consumer.open(message) as stream:
        sizes = [len(chunk) for chunk in stream]
    assert sizes == [5 * MiB, 5 * MiB, 2 * MiB]
    assert stream.verdict is not None and stream.verdict.outcome is Outcome.INTACT


def test_sink_receives_every_byte() -> None:
    consumer, *_ = roundtrip(300)
    [message] = consumer.receive()
    out = io.BytesIO()
    verdict = consumer.verify(message, sink=out.write)
    assert verdict.outcome is Outcome.INTACT and verdict.sha256_source == "message-attribute"
    assert out.getvalue() == GeneratedPayload(1, 300).read_range(0, 300)


def test_caller_expectation_wins() -> None:
    consumer, *_ = roundtrip(300)
    [message] = consumer.receive()
    other = GeneratedPayload(2, 300)
    verdict = consumer.verify(message, Expected.of(other))
    assert verdict.outcome is Outcome.CORRUPTED and verdict.sha256_source == "caller"
    consumer, *_ = roundtrip(300)
    [message] = consumer.receive()
    assert consumer.verify(message, Expected(size=301)).outcome is Outcome.TRUNCATED


def test_unverified_without_any_sha() -> None:
    consumer, *_ = roundtrip(300, inline_sha256=False)
    [message] = consumer.receive()
    verdict = consumer.verify(message)
    assert verdict.outcome is Outcome.UNVERIFIED and "neither" in verdict.detail


def test_consume_chains_receive_verify_delete_with_lookup() -> None:
    consumer, s3, sqs = roundtrip(2 * MiB)
    expected = {None: Expected.of(GeneratedPayload(1, 2 * MiB))}
    [done] = consumer.consume(expected=lambda m: expected[m.correlation_id])
    assert done.verdict.outcome is Outcome.INTACT
    assert done.deleted is not None and done.deleted.payload_deleted is True
    assert not s3.objects and sqs.deleted[0]["ReceiptHandle"] == "handle-0"


def test_payload_delete_failure_is_reported_not_raised() -> None:
    consumer, s3, _ = roundtrip(2 * MiB)
    [message] = consumer.receive()
    s3.errors["DeleteObject"] = [client_error("AccessDenied", 403)]
    result = consumer.delete(message)
    assert result.message_deleted and result.payload_deleted is False and "AccessDenied" in result.detail


def test_keep_payload_when_configured() -> None:
    consumer, s3, _ = roundtrip(2 * MiB)
    [message] = consumer.receive()
    assert consumer.delete(message, delete_payload=False).payload_deleted is None
    assert s3.objects


def test_unreadable_pointer_never_touches_s3() -> None:
    s3, sqs = FakeS3(), FakeSQS()
    sqs.sent.append({"MessageBody": json.dumps(["x", {}]), "MessageAttributes": {
        "ExtendedPayloadSize": {"DataType": "Number", "StringValue": "1"}}})
    consumer = Consumer(sqs, s3, QUEUE, SETTINGS)
    [message] = consumer.receive()
    assert consumer.verify(message).outcome is Outcome.UNREADABLE_POINTER
    assert not s3.calls


def test_wait_seconds_validated() -> None:
    with pytest.raises(ValueError):
        ConsumeSettings(wait_seconds=21)
