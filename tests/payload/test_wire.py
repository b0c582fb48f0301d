"""Wire-format details beyond the captured vectors: parse errors, the Java form, odd handles."""

from __future__ import annotations

import pytest

from harness.payload import wire
from harness.payload.addressing import region_of_arn, region_of_queue_url


def test_java_style_is_compact_and_reads_back() -> None:
    pointer = wire.S3Pointer("b", "k")
    body = wire.encode_pointer(pointer, wire.PointerStyle.JAVA)
    assert body == '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k"}]'
    assert wire.decode_pointer(body) == pointer


@pytest.mark.parametrize(
    "body,reason",
    [
        ("not json{", "not JSON"),
        ('{"s3BucketName": "b", "s3Key": "k"}', "not a JSON array"),
        ('["software.amazon.payloadoffloading.PayloadS3Pointer"]', "not a JSON array"),
        ('["com.example.Other", {"s3BucketName": "b", "s3Key": "k"}]', "unknown pointer class"),
        ('["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": 5, "s3Key": "k"}]', "non-empty"),
        ('["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3Key": "k"}]', "non-empty"),
    ],
)
def test_bad_pointers_say_why(body: str, reason: str) -> None:
    with pytest.raises(wire.PointerError, match=reason):
        wire.decode_pointer(body)


def test_receipt_handle_with_dashes_survives() -> None:
    """The PyPI client splits on '-' and would lose such a handle; the harness parses by markers."""
    pointer = wire.S3Pointer("my-bucket", "prefix/a-b-c")
    original = "abc-def-ghi=="
    rewritten = wire.embed_pointer_in_receipt_handle(original, pointer)
    got_original, got_pointer = wire.split_receipt_handle(rewritten)
    assert got_original == original
    assert got_pointer is not None and (got_pointer.bucket, got_pointer.key) == (pointer.bucket, pointer.key)
    assert wire.split_receipt_handle(original) == (original, None)


def test_attribute_bytes_count_name_type_and_value() -> None:
    assert wire.attribute_bytes("k", {"DataType": "String", "StringValue": "v"}) == 8
    assert wire.attribute_bytes("n", {"DataType": "Number", "StringValue": "42"}) == 9
    assert wire.attribute_bytes("b", {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"}) == 1 + 6 + 3
    assert wire.attribute_bytes("é", {"DataType": "String", "StringValue": "€"}) == 2 + 6 + 3
    assert wire.is_large(10, {"k": {"DataType": "String", "StringValue": "v"}}, 18) is False
    assert wire.is_large(11, {"k": {"DataType": "String", "StringValue": "v"}}, 18) is True


def test_regions_from_addresses() -> None:
    assert region_of_queue_url("https://sqs.eu-west-1.amazonaws.com/222222222222/q") == "eu-west-1"
    assert region_of_queue_url("https://eu-west-1.queue.amazonaws.com/222222222222/q") == "eu-west-1"
    assert region_of_queue_url("http://localhost:4566/queue/us-gov-west-1/1/q") == "us-gov-west-1"
    assert region_of_queue_url("http://sqs.ap-south-2.localhost.localstack.cloud:4566/1/q") == "ap-south-2"
    assert region_of_queue_url("http://127.0.0.1:4566/222222222222/q") is None
    assert region_of_arn("arn:aws:sns:us-east-1:111111111111:t") == "us-east-1"
    assert region_of_arn("not-an-arn") is None
