"""The harness writes and reads exactly what the official extended clients write and read.

Vectors: tests/payload/golden/extended_clients.json (see the README there for how they were captured).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.payload import wire
from harness.payload.publisher import Publisher, PublishSettings
from harness.payload.source import BytesPayload
from tests.payload.fakes import FakeS3, FakeSNS, FakeSQS

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN = json.loads((GOLDEN_DIR / "extended_clients.json").read_text())
BUCKET, KEY = GOLDEN["bucket"], GOLDEN["key"]
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/222222222222/golden-queue"
TOPIC_ARN = "arn:aws:sns:us-east-1:111111111111:golden-topic"
LIBRARY_THRESHOLD = 262_144  # both PyPI libraries


def test_stored_vectors_are_what_the_installed_libraries_produce() -> None:
    out = subprocess.run(
        [sys.executable, str(GOLDEN_DIR / "capture_golden.py")], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(out.stdout) == GOLDEN, "libraries changed: re-capture (see tests/payload/golden/README.md)"


def _publisher(**settings: Any) -> tuple[Publisher, FakeS3, FakeSQS, FakeSNS]:
    s3, sqs, sns = FakeS3(), FakeSQS(), FakeSNS()
    defaults: dict[str, Any] = dict(
        bucket=BUCKET, sqs_threshold=LIBRARY_THRESHOLD, sns_threshold=LIBRARY_THRESHOLD, inline_sha256=False
    )
    defaults.update(settings)
    return Publisher(s3, PublishSettings(**defaults), sqs=sqs, sns=sns, key_factory=lambda: KEY), s3, sqs, sns


def _send(via: str, vector: dict[str, Any], body: str, **settings: Any) -> tuple[str, dict[str, Any], FakeS3]:
    pub, s3, sqs, sns = _publisher(**settings)
    attrs = vector["input_attributes"] or None
    if via == "sqs":
        pub.to_queue(QUEUE_URL, BytesPayload(body), attributes=attrs)
        sent = sqs.sent[-1]
        return sent["MessageBody"], sent.get("MessageAttributes", {}), s3
    pub.to_topic(TOPIC_ARN, BytesPayload(body), attributes=attrs)
    sent = sns.published[-1]
    return sent["Message"], sent.get("MessageAttributes", {}), s3


CASES = [
    ("large", {}),
    ("large_with_attributes", {}),
    ("large_legacy", {"legacy_names": True}),
    ("always_through_s3", {"always_through_s3": True}),
    ("at_threshold", {}),
    ("threshold_plus_1", {}),
    ("at_threshold_with_attribute", {}),
    ("threshold_plus_1_with_attribute", {}),
    ("nine_attributes_offloaded", {}),
]


@pytest.mark.parametrize("via", ["sqs", "sns"])
@pytest.mark.parametrize("case,settings", CASES, ids=[c[0] for c in CASES])
def test_publish_matches_library_byte_for_byte(via: str, case: str, settings: dict[str, Any]) -> None:
    vector = GOLDEN[via][case]
    body_key = "MessageBody" if via == "sqs" else "Message"
    payload = "hello" if case == "always_through_s3" else "x" * vector["input_body_bytes"]
    body, attributes, s3 = _send(via, vector, payload, **settings)
    assert (body != payload) == vector["offloaded"]
    if vector["offloaded"]:
        assert body == vector[body_key]
        put = vector["s3_calls"][0]
        stored, _ = s3.objects[(put["Bucket"], put["Key"])]
        assert len(stored) == put["BodyBytes"]
    # Same attributes, same order (user attributes first, reserved one last).
    assert json.dumps(attributes) == json.dumps(vector["MessageAttributes"])


@pytest.mark.parametrize("via", ["sqs", "sns"])
def test_ten_attributes_on_an_offloaded_message_is_refused_like_the_libraries(via: str) -> None:
    from harness.errors import PayloadError

    vector = GOLDEN[via]["ten_attributes_offloaded"]
    assert "10" in vector["error"] and "9" in vector["error"]
    with pytest.raises(PayloadError, match=r"10 attributes.*at most 9.*Remove 1 attribute"):
        _send(via, {"input_attributes": {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}},
              "x" * 262145)


def test_threshold_rule_matches_libraries() -> None:
    for via in ("sqs", "sns"):
        for case in ("at_threshold", "threshold_plus_1", "at_threshold_with_attribute", "threshold_plus_1_with_attribute"):
            v = GOLDEN[via][case]
            assert wire.is_large(v["input_body_bytes"], v["input_attributes"], LIBRARY_THRESHOLD) == v["offloaded"], case


def test_pointer_encoding_and_decoding() -> None:
    for vector, legacy in ((GOLDEN["sqs"]["large"], False), (GOLDEN["sqs"]["large_legacy"], True)):
        pointer = wire.S3Pointer(BUCKET, KEY, wire.pointer_class(legacy))
        assert wire.encode_pointer(pointer) == vector["MessageBody"]
        assert wire.decode_pointer(vector["MessageBody"]) == pointer
    assert GOLDEN["sns"]["large"]["Message"] == GOLDEN["sqs"]["large"]["MessageBody"]


@pytest.mark.parametrize("case", ["receive_delete", "receive_delete_legacy"])
def test_rewritten_receipt_handle(case: str) -> None:
    v = GOLDEN["sqs"][case]
    pointer = wire.decode_pointer(v["input_body"])
    rewritten = wire.embed_pointer_in_receipt_handle(v["input_original_receipt_handle"], pointer)
    assert rewritten == v["received_receipt_handle"]
    original, parsed = wire.split_receipt_handle(v["received_receipt_handle"])
    assert original == v["delete_params"]["ReceiptHandle"] == v["input_original_receipt_handle"]
    assert parsed is not None and (parsed.bucket, parsed.key) == (BUCKET, KEY)
    deleted = [c for c in v["s3_calls"] if c["op"] == "DeleteObject"]
    assert deleted == [{"op": "DeleteObject", "Bucket": parsed.bucket, "Key": parsed.key}]


def test_consumer_deletes_like_the_library_given_a_rewritten_handle() -> None:
    from harness.payload.consumer import Consumer

    v = GOLDEN["sqs"]["receive_delete"]
    s3, sqs = FakeS3(), FakeSQS()
    s3.objects[(BUCKET, KEY)] = (b"payload bytes", {})
    Consumer(sqs, s3, QUEUE_URL).delete(v["received_receipt_handle"])
    assert sqs.deleted == [v["delete_params"]]
    assert (BUCKET, KEY) not in s3.objects
