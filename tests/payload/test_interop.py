"""Interoperability with the official extended clients on LocalStack, both directions.

Topic and bucket in 111111111111/us-east-1, queues in 222222222222/eu-west-1. The official
libraries run in a subprocess (tests/payload/oracle.py) so their boto3 patching stays out of here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.payload import BodyKind, Expected, GeneratedPayload, Outcome, wire
from harness.payload.transfer import MiB
from tests.payload.conftest import QUEUE_REGION, TOPIC_REGION, A, B, Layout, receive_one

pytestmark = pytest.mark.localstack

ORACLE = Path(__file__).with_name("oracle.py")
ROOT = Path(__file__).resolve().parents[2]


def oracle(command: str, **args: Any) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, str(ORACLE), command, json.dumps(args)],
        capture_output=True, text=True, timeout=120, env=env, cwd=str(ROOT),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


@pytest.mark.parametrize("raw_delivery", [True, False], ids=["raw", "envelope"])
def test_official_sns_client_to_harness_consumer(layout: Layout, endpoint_url: str, raw_delivery: bool) -> None:
    payload = GeneratedPayload(11, MiB)
    oracle(
        "sns-publish", endpoint=endpoint_url, account=A, region=TOPIC_REGION, topic_arn=layout.topic_arn,
        bucket=layout.bucket, seed=11, size=MiB, attributes={"Colour": {"DataType": "String", "StringValue": "blue"}},
    )
    queue = layout.raw_queue if raw_delivery else layout.envelope_queue
    consumer = layout.consumer(queue, delete_payload=False)
    message = receive_one(consumer)
    assert message.kind is BodyKind.POINTER and message.declared_size == MiB
    assert message.via_sns_envelope is (not raw_delivery)
    assert dict(message.attributes) == {"Colour": {"DataType": "String", "StringValue": "blue"}}
    assert consumer.verify(message).outcome is Outcome.UNVERIFIED, "the library sends no sha256"
    verdict = consumer.verify(message, Expected.of(payload))
    assert verdict.outcome is Outcome.INTACT and verdict.bytes_read == MiB
    consumer.delete(message)


def test_official_sns_client_legacy_names(layout: Layout, endpoint_url: str) -> None:
    oracle(
        "sns-publish", endpoint=endpoint_url, account=A, region=TOPIC_REGION, topic_arn=layout.topic_arn,
        bucket=layout.bucket, seed=12, size=300_000, legacy=True,
    )
    consumer = layout.consumer(layout.raw_queue, delete_payload=False)
    message = receive_one(consumer)
    assert message.size_attribute == wire.LEGACY_RESERVED_ATTRIBUTE and message.pointer.legacy
    assert consumer.verify(message, Expected.of(GeneratedPayload(12, 300_000))).outcome is Outcome.INTACT


@pytest.mark.parametrize(
    "path,size,settings",
    [
        ("sns-raw", MiB, {}),
        ("sqs", 2 * MiB + 3, {}),
        ("sqs", 20 * MiB, {"pointer_style": wire.PointerStyle.JAVA}),
        ("sqs", MiB + 1, {"legacy_names": True}),
    ],
    ids=["sns-raw-1MiB", "sqs-2MiB", "sqs-20MiB-java-style", "sqs-legacy"],
)
def test_harness_publisher_to_official_sqs_client(
    layout: Layout, endpoint_url: str, path: str, size: int, settings: dict[str, Any]
) -> None:
    payload = GeneratedPayload(21, size)
    pub = layout.publisher(**settings)
    attrs = {"Colour": {"DataType": "String", "StringValue": "blue"}}
    if path == "sqs":
        sent, queue = pub.to_queue(layout.direct_queue, payload, attributes=attrs, correlation_id="x"), layout.direct_queue
    else:
        sent, queue = pub.to_topic(layout.topic_arn, payload, attributes=attrs, correlation_id="x"), layout.raw_queue
    assert sent.offloaded
    got = oracle("sqs-receive", endpoint=endpoint_url, account=B, region=QUEUE_REGION, queue_url=queue, delete_payload=True)
    assert got.get("error") is None, got
    assert (got["size"], got["sha256"]) == (size, payload.sha256())
    assert got["attributes"] == ["Colour", "HarnessCorrelationId"], "reserved attribute removed by the library"
    original, pointer = wire.split_receipt_handle(got["receipt_handle"])
    assert pointer is not None and (pointer.bucket, pointer.key) == (sent.pointer.bucket, sent.pointer.key)
    # The library deleted the payload with the message (delete_payload_from_s3=True).
    assert layout.s3().list_objects_v2(Bucket=layout.bucket).get("KeyCount", 0) == 0
