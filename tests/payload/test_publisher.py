"""Publisher decisions and messages, against in-memory clients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness import retry
from harness.errors import PayloadError
from harness.payload import wire
from harness.payload.generator import GeneratedPayload
from harness.payload.publisher import Publisher, PublishSettings
from harness.payload.source import BytesPayload
from tests.payload.fakes import FakeS3, FakeSNS, FakeSQS, client_error

QUEUE = "https://sqs.eu-west-1.amazonaws.com/222222222222/q"
TOPIC = "arn:aws:sns:us-east-1:111111111111:t"
FAST = retry.RetryPolicy(max_attempts=2, base_delay=0, max_delay=0, sleep=lambda s: None)
SHA_ATTR_BYTES = len("HarnessSha256") + len("String") + 64


def make(**settings: Any) -> tuple[Publisher, FakeS3, FakeSQS, FakeSNS]:
    s3, sqs, sns = FakeS3(), FakeSQS(), FakeSNS()
    settings.setdefault("bucket", "payloads")
    settings.setdefault("retry", FAST)
    return Publisher(s3, PublishSettings(**settings), sqs=sqs, sns=sns, key_factory=lambda: "KEY"), s3, sqs, sns


def test_default_thresholds() -> None:
    s = PublishSettings(bucket="b")
    assert (s.sqs_threshold, s.sns_threshold) == (1_048_576, 262_144)


@pytest.mark.parametrize("via,threshold", [("sqs", 1_048_576), ("sns", 262_144)])
def test_exactly_threshold_inline_plus_one_offloaded(via: str, threshold: int) -> None:
    pub, *_ = make(inline_sha256=False)
    assert pub.plan(via, GeneratedPayload(1, threshold)) is False
    assert pub.plan(via, GeneratedPayload(1, threshold + 1)) is True


@pytest.mark.parametrize("via,threshold", [("sqs", 1_048_576), ("sns", 262_144)])
def test_harness_sha_attribute_counts_in_the_size(via: str, threshold: int) -> None:
    pub, *_ = make()
    assert pub.plan(via, GeneratedPayload(1, threshold - SHA_ATTR_BYTES)) is False
    assert pub.plan(via, GeneratedPayload(1, threshold - SHA_ATTR_BYTES + 1)) is True
    corr = "run-1"
    corr_bytes = len("HarnessCorrelationId") + len("String") + len(corr)
    n = threshold - SHA_ATTR_BYTES - corr_bytes
    assert pub.plan(via, GeneratedPayload(1, n), correlation_id=corr) is False
    assert pub.plan(via, GeneratedPayload(1, n + 1), correlation_id=corr) is True


def test_inline_message_carries_sha_and_correlation() -> None:
    pub, s3, sqs, _ = make()
    p = GeneratedPayload(9, 100)
    sent = pub.to_queue(QUEUE, p, correlation_id="c-1", group_id="g", deduplication_id="d")
    msg = sqs.sent[0]
    assert msg["MessageBody"] == p.text() and not s3.objects
    assert msg["MessageAttributes"] == {
        "HarnessCorrelationId": {"DataType": "String", "StringValue": "c-1"},
        "HarnessSha256": {"DataType": "String", "StringValue": p.sha256()},
    }
    assert (msg["MessageGroupId"], msg["MessageDeduplicationId"]) == ("g", "d")
    assert not sent.offloaded and sent.sha256 == p.sha256() and sent.message_id == "m1"
    assert sent.message_bytes == 100 + SHA_ATTR_BYTES + len("HarnessCorrelationId") + 6 + 3
    assert sent.started_at <= sent.sent_at <= sent.acked_at


def test_offloaded_message_pointer_metadata_prefix_and_order() -> None:
    pub, s3, _, sns = make(key_prefix="runs/r1/", stamp_publish_time=True)
    p = GeneratedPayload(9, 300_000)
    sent = pub.to_topic(TOPIC, p, attributes={"Colour": {"DataType": "String", "StringValue": "blue"}}, correlation_id="c")
    msg = sns.published[0]
    assert msg["Message"] == json.dumps([wire.POINTER_CLASS, {"s3BucketName": "payloads", "s3Key": "runs/r1/KEY"}])
    assert list(msg["MessageAttributes"]) == ["Colour", "HarnessCorrelationId", "HarnessPublishedAt", "ExtendedPayloadSize"]
    assert msg["MessageAttributes"]["ExtendedPayloadSize"] == {"DataType": "Number", "StringValue": "300000"}
    stamp = int(msg["MessageAttributes"]["HarnessPublishedAt"]["StringValue"])
    assert abs(stamp - sent.sent_at * 1000) < 2
    body, metadata = s3.objects[("payloads", "runs/r1/KEY")]
    assert len(body) == 300_000 and metadata == {"sha256": p.sha256()}
    assert sent.offloaded and sent.pointer == wire.S3Pointer("payloads", "runs/r1/KEY")
    assert sent.expected.size == 300_000 and sent.expected.sha256 == p.sha256()


def test_legacy_names_and_java_style() -> None:
    pub, _, sqs, _ = make(legacy_names=True, always_through_s3=True, pointer_style=wire.PointerStyle.JAVA)
    pub.to_queue(QUEUE, BytesPayload("hi"))
    msg = sqs.sent[0]
    assert msg["MessageBody"] == f'["{wire.LEGACY_POINTER_CLASS}",{{"s3BucketName":"payloads","s3Key":"KEY"}}]'
    assert msg["MessageAttributes"] == {"SQSLargePayloadSize": {"DataType": "Number", "StringValue": "2"}}


def test_empty_and_binary_payloads_are_offloaded() -> None:
    pub, s3, sqs, _ = make()
    assert pub.to_queue(QUEUE, BytesPayload(b"")).offloaded
    assert pub.to_queue(QUEUE, BytesPayload(b"\xff\xfe")).offloaded
    assert s3.objects[("payloads", "KEY")][0] == b"\xff\xfe"


def test_nine_user_attributes_fit_ten_do_not() -> None:
    attrs = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    pub, s3, *_ = make(always_through_s3=True)
    pub.to_queue(QUEUE, BytesPayload("x"), attributes=dict(list(attrs.items())[:9]))
    with pytest.raises(PayloadError, match=r"carry 10 attributes besides ExtendedPayloadSize; at most 9 fit.*Remove 1"):
        pub.to_queue(QUEUE, BytesPayload("x"), attributes=attrs)
    with pytest.raises(PayloadError, match=r"10 attributes \(incl. harness HarnessPublishedAt\)"):
        make(always_through_s3=True, stamp_publish_time=True)[0].to_queue(
            QUEUE, BytesPayload("x"), attributes=dict(list(attrs.items())[:9])
        )


def test_inline_attribute_limit_counts_the_harness_attribute() -> None:
    attrs = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    with pytest.raises(PayloadError, match=r"11 attributes \(10 yours \+ harness HarnessSha256\).*inline_sha256=False"):
        make()[0].to_queue(QUEUE, BytesPayload("x"), attributes=attrs)
    make(inline_sha256=False)[0].to_queue(QUEUE, BytesPayload("x"), attributes=attrs)


@pytest.mark.parametrize("name", ["ExtendedPayloadSize", "SQSLargePayloadSize", "HarnessSha256"])
def test_reserved_names_are_refused(name: str) -> None:
    with pytest.raises(PayloadError, match=name):
        make()[0].to_queue(QUEUE, BytesPayload("x"), attributes={name: {"DataType": "String", "StringValue": "v"}})


def test_wrong_region_client_is_refused_early() -> None:
    pub, *_ = make()
    with pytest.raises(PayloadError, match=r"is in eu-central-1 but the sqs client is configured for eu-west-1"):
        pub.to_queue("https://sqs.eu-central-1.amazonaws.com/2/q", BytesPayload("x"))
    with pytest.raises(PayloadError, match=r"region_name='eu-west-2'"):
        pub.to_topic("arn:aws:sns:eu-west-2:1:t", BytesPayload("x"))


def test_send_failure_removes_the_uploaded_object_and_explains() -> None:
    pub, s3, sqs, _ = make(always_through_s3=True)
    sqs.errors["SendMessage"] = [client_error("AWS.SimpleQueueService.NonExistentQueue")]
    with pytest.raises(PayloadError, match=r"NonExistentQueue.*client's region"):
        pub.to_queue(QUEUE, BytesPayload("x"))
    assert not s3.objects


def test_missing_destination_retried_only_when_asked() -> None:
    pub, _, sqs, _ = make(retry_missing_destination=True)
    sqs.errors["SendMessage"] = [client_error("AWS.SimpleQueueService.NonExistentQueue")]
    assert pub.to_queue(QUEUE, BytesPayload("x")).message_id


def test_offloaded_attributes_too_large_even_for_a_pointer() -> None:
    big = {"Big": {"DataType": "String", "StringValue": "v" * 262_100}}
    with pytest.raises(PayloadError, match="even with the payload in S3"):
        make()[0].to_topic(TOPIC, GeneratedPayload(1, 10), attributes=big)


def test_threshold_validation() -> None:
    PublishSettings(bucket="b", sns_threshold=262_145)  # a topic may take up to 1 MiB (its MaximumMessageSize)
    with pytest.raises(ValueError):
        PublishSettings(bucket="b", sns_threshold=1_048_577)
    with pytest.raises(ValueError):
        PublishSettings(bucket="b", sqs_threshold=1_048_577)
    with pytest.raises(ValueError):
        PublishSettings(bucket="")
