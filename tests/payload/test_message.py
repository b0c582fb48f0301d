"""Reading received messages: raw or enveloped, current or legacy, good or unreadable pointers."""

from __future__ import annotations

import base64
import json

import pytest

from harness.payload import wire
from harness.payload.envelope import EnvelopeError, EnvelopeMode, parse_sns_timestamp, unwrap
from harness.payload.message import BodyKind, parse

POINTER = json.dumps([wire.POINTER_CLASS, {"s3BucketName": "b", "s3Key": "k"}])
LEGACY = json.dumps([wire.LEGACY_POINTER_CLASS, {"s3BucketName": "b", "s3Key": "k"}])
SYSTEM = {
    "SentTimestamp": "1700000000100",
    "ApproximateFirstReceiveTimestamp": "1700000000150",
    "ApproximateReceiveCount": "2",
    "MessageGroupId": "g1",
    "SequenceNumber": "18800000000000000000",
    "MessageDeduplicationId": "d1",
}


def sqs_message(body: str, attributes: dict | None = None) -> dict:
    return {"MessageId": "m1", "ReceiptHandle": "rh", "Body": body, "MessageAttributes": attributes or {}, "Attributes": SYSTEM}


def envelope(message: str, attributes: dict | None = None) -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "sns-1",
            "TopicArn": "arn:aws:sns:us-east-1:111111111111:t",
            "Message": message,
            "Timestamp": "2023-11-14T22:13:20.200Z",
            "MessageAttributes": attributes or {},
        }
    )


def size_attr(name: str = wire.RESERVED_ATTRIBUTE, n: int = 5) -> dict:
    return {name: {"DataType": "Number", "StringValue": str(n)}}


@pytest.mark.parametrize("body,name", [(POINTER, wire.RESERVED_ATTRIBUTE), (LEGACY, wire.LEGACY_RESERVED_ATTRIBUTE)])
def test_raw_pointer_current_and_legacy(body: str, name: str) -> None:
    m = parse(sqs_message(body, {**size_attr(name), "Colour": {"DataType": "String", "StringValue": "blue"}}), "q", 1)
    assert m.kind is BodyKind.POINTER and m.pointer is not None
    assert (m.pointer.bucket, m.pointer.key) == ("b", "k")
    assert m.declared_size == 5 and m.size_attribute == name
    assert dict(m.attributes) == {"Colour": {"DataType": "String", "StringValue": "blue"}}
    assert m.extended_receipt_handle == "-..s3BucketName..-b-..s3BucketName..--..s3Key..-k-..s3Key..-rh"
    assert m.group_id == "g1" and m.sequence_number == "18800000000000000000" and m.deduplication_id == "d1"
    assert m.receive_count == 2


def test_pointer_inside_sns_envelope_with_attributes() -> None:
    attrs = {
        wire.RESERVED_ATTRIBUTE: {"Type": "Number", "Value": "5"},
        wire.CORRELATION_ATTRIBUTE: {"Type": "String", "Value": "c-1"},
        wire.PUBLISHED_AT_ATTRIBUTE: {"Type": "Number", "Value": "1700000000000"},
        "Bin": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()},
    }
    m = parse(sqs_message(envelope(POINTER, attrs)), "q", 1700000000300)
    assert m.kind is BodyKind.POINTER and m.declared_size == 5 and m.via_sns_envelope
    assert m.correlation_id == "c-1"
    assert dict(m.attributes) == {"Bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}
    assert m.sns is not None and m.sns.message_id == "sns-1" and m.sns.topic_arn.endswith(":t")
    t = m.timestamps
    assert (t.published_at_ms, t.sns_timestamp_ms, t.sent_timestamp_ms, t.first_receive_timestamp_ms, t.received_at_ms) == (
        1700000000000,
        1700000000200,
        1700000000100,
        1700000000150,
        1700000000300,
    )


def test_inline_payload_raw_and_enveloped() -> None:
    raw = parse(sqs_message("AbC", {wire.SHA256_ATTRIBUTE: {"DataType": "String", "StringValue": "ff"}}), "q", 1)
    assert raw.kind is BodyKind.INLINE and raw.body == "AbC" and raw.inline_sha256 == "ff" and raw.sns is None
    assert raw.extended_receipt_handle == "rh"
    env = parse(sqs_message(envelope("AbC")), "q", 1)
    assert env.kind is BodyKind.INLINE and env.body == "AbC" and env.sns is not None


@pytest.mark.parametrize(
    "body",
    [
        "not json{",
        '["x"]',
        '["com.example.Unknown", {"s3BucketName": "b", "s3Key": "k"}]',
        '["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": 5}]',
    ],
)
def test_reserved_attribute_with_bad_pointer_is_unreadable(body: str) -> None:
    m = parse(sqs_message(body, size_attr()), "q", 1)
    assert m.kind is BodyKind.UNREADABLE and m.pointer_error


def test_reserved_attribute_that_is_not_a_number_is_unreadable() -> None:
    m = parse(sqs_message(POINTER, {wire.RESERVED_ATTRIBUTE: {"DataType": "Number", "StringValue": "x"}}), "q", 1)
    assert m.kind is BodyKind.UNREADABLE and "not an integer" in (m.pointer_error or "")


def test_array_body_without_reserved_attribute_is_data_unless_a_valid_pointer() -> None:
    assert parse(sqs_message('["a", "b"]'), "q", 1).kind is BodyKind.INLINE
    assert parse(sqs_message(POINTER), "q", 1).kind is BodyKind.POINTER


def test_envelope_modes() -> None:
    assert unwrap(envelope("x"), EnvelopeMode.NEVER) is None
    assert unwrap('{"a": 1}') is None
    with pytest.raises(EnvelopeError):
        unwrap("plain", EnvelopeMode.ALWAYS)
    m = parse(sqs_message("plain"), "q", 1, EnvelopeMode.ALWAYS)
    assert m.kind is BodyKind.UNREADABLE and "RawMessageDelivery" in (m.pointer_error or "")
    assert parse_sns_timestamp("bad") is None and parse_sns_timestamp("") is None
