"""Capture wire-format vectors from the official PyPI extended clients (test oracles).

Run: ``.venv/bin/python tests/payload/golden/capture_golden.py > tests/payload/golden/extended_clients.json``

How: the libraries run for real, in this separate process (they patch ``boto3.Session`` on
import), against stubbed clients: botocore's Stubber answers SQS/SNS calls and an event handler
records the parameters the libraries actually send; a fake S3 client records put/get/delete calls.
``uuid4`` inside the libraries is pinned so the S3 key is reproducible. Nothing touches the
network. tests/payload/test_golden_vectors.py re-runs this script and checks that the stored JSON
is still what the installed libraries produce, then compares the harness's output byte-for-byte.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import uuid
from importlib import metadata
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "111111111111")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from botocore.stub import Stubber  # noqa: E402

import sns_extended_client.session as sns_lib  # noqa: E402
import sqs_extended_client.client as sqs_lib  # noqa: E402

BUCKET = "golden-bucket"
FIXED_UUID = uuid.UUID("0f1e2d3c-4b5a-4697-8877-665544332211")
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/222222222222/golden-queue"
TOPIC_ARN = "arn:aws:sns:us-east-1:111111111111:golden-topic"
ORIGINAL_RECEIPT_HANDLE = "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq2RzPGXoDKRsr/golden="
USER_ATTRIBUTES = {
    "Colour": {"DataType": "String", "StringValue": "blue"},
    "Count": {"DataType": "Number", "StringValue": "42"},
}
sqs_lib.uuid4 = lambda: FIXED_UUID  # type: ignore[attr-defined]
sns_lib.uuid4 = lambda: FIXED_UUID  # type: ignore[attr-defined]


class FakeS3:
    """Records what the libraries do to S3; serves one stored object."""

    def __init__(self, content: bytes = b""):
        self.calls: list[dict[str, Any]] = []
        self.content = content

    def put_object(self, **kw: Any) -> dict[str, Any]:
        body = kw["Body"]
        self.calls.append(
            {"op": "PutObject", "Bucket": kw["Bucket"], "Key": kw["Key"], "BodyBytes": len(body),
             "BodySha256": hashlib.sha256(body).hexdigest(), "OtherArgs": sorted(set(kw) - {"Bucket", "Key", "Body"})}
        )
        return {}

    def get_object(self, **kw: Any) -> dict[str, Any]:
        self.calls.append({"op": "GetObject", **kw})
        return {"Body": io.BytesIO(self.content)}

    def delete_object(self, **kw: Any) -> dict[str, Any]:
        self.calls.append({"op": "DeleteObject", **kw})
        return {"ResponseMetadata": {"HTTPStatusCode": 204}}


def _recorder(client: Any, event: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(json.loads(json.dumps(params, default=str)))

    client.meta.events.register(event, record)
    return seen


def sqs_client(**props: Any) -> tuple[Any, Stubber, FakeS3]:
    session = sqs_lib.SQSExtendedClientSession(region_name="eu-west-1")
    client = session.client("sqs", region_name="eu-west-1")
    s3 = FakeS3()
    client.s3_client = s3
    client.large_payload_support = BUCKET
    for name, value in props.items():
        setattr(client, name, value)
    stub = Stubber(client)
    stub.activate()
    return client, stub, s3


def sns_client(**props: Any) -> tuple[Any, Stubber, FakeS3]:
    session = sns_lib.SNSExtendedClientSession(region_name="us-east-1")
    client = session.client("sns", region_name="us-east-1")
    s3 = FakeS3()
    client.s3_client = s3
    client.large_payload_support = BUCKET
    for name, value in props.items():
        setattr(client, name, value)
    stub = Stubber(client)
    stub.activate()
    return client, stub, s3


def sqs_send(body: str, attributes: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    client, stub, s3 = sqs_client(**props)
    sent = _recorder(client, "before-parameter-build.sqs.SendMessage")
    stub.add_response("send_message", {"MessageId": "m-1"})
    kwargs: dict[str, Any] = {"QueueUrl": QUEUE_URL, "MessageBody": body}
    if attributes is not None:
        kwargs["MessageAttributes"] = json.loads(json.dumps(attributes))
    try:
        client.send_message(**kwargs)
    except Exception as exc:  # the library's own validation errors are part of the vector
        return {"error": f"{type(exc).__name__}: {exc}"}
    params = sent[0]
    offloaded = params["MessageBody"] != body
    return {
        "input_body_bytes": len(body.encode()),
        "input_attributes": attributes or {},
        "offloaded": offloaded,
        "MessageBody": params["MessageBody"] if offloaded else f"<inline {len(body)} bytes>",
        "MessageAttributes": params.get("MessageAttributes", {}),
        "s3_calls": s3.calls,
    }


def sns_publish(body: str, attributes: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    client, stub, s3 = sns_client(**props)
    sent = _recorder(client, "before-parameter-build.sns.Publish")
    stub.add_response("publish", {"MessageId": "m-1"})
    kwargs: dict[str, Any] = {"TopicArn": TOPIC_ARN, "Message": body}
    if attributes is not None:
        kwargs["MessageAttributes"] = json.loads(json.dumps(attributes))
    try:
        client.publish(**kwargs)
    except Exception as exc:  # the library's own validation errors are part of the vector
        return {"error": f"{type(exc).__name__}: {exc}"}
    params = sent[0]
    offloaded = params["Message"] != body
    return {
        "input_body_bytes": len(body.encode()),
        "input_attributes": attributes or {},
        "offloaded": offloaded,
        "Message": params["Message"] if offloaded else f"<inline {len(body)} bytes>",
        "MessageAttributes": params.get("MessageAttributes", {}),
        "s3_calls": s3.calls,
    }


def sqs_receive_and_delete(pointer_body: str, size_attribute: str, payload: bytes, **props: Any) -> dict[str, Any]:
    client, stub, s3 = sqs_client(**props)
    s3.content = payload
    received = _recorder(client, "before-parameter-build.sqs.ReceiveMessage")
    stub.add_response(
        "receive_message",
        {
            "Messages": [
                {
                    "MessageId": "m-1",
                    "ReceiptHandle": ORIGINAL_RECEIPT_HANDLE,
                    "Body": pointer_body,
                    "MessageAttributes": {
                        size_attribute: {"DataType": "Number", "StringValue": str(len(payload))},
                        "Colour": {"DataType": "String", "StringValue": "blue"},
                    },
                }
            ]
        },
    )
    resp = client.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=1)
    message = resp["Messages"][0]
    deleted = _recorder(client, "before-parameter-build.sqs.DeleteMessage")
    stub.add_response("delete_message", {})
    client.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])
    return {
        "input_original_receipt_handle": ORIGINAL_RECEIPT_HANDLE,
        "input_body": pointer_body,
        "input_size_attribute": size_attribute,
        "receive_params": received[0],
        "received_receipt_handle": message["ReceiptHandle"],
        "received_body_sha256": hashlib.sha256(message["Body"].encode()).hexdigest(),
        "received_attributes": message.get("MessageAttributes", {}),
        "delete_params": deleted[0],
        "s3_calls": s3.calls,
    }


def main() -> None:
    big = "x" * 262145
    k_attr = {"k": {"DataType": "String", "StringValue": "v"}}  # 1 + 6 + 1 = 8 bytes
    ten = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    nine = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(9)}
    pointer = json.dumps([sqs_lib.MESSAGE_POINTER_CLASS, {"s3BucketName": BUCKET, "s3Key": str(FIXED_UUID)}])
    legacy_pointer = json.dumps([sqs_lib.LEGACY_MESSAGE_POINTER_CLASS, {"s3BucketName": BUCKET, "s3Key": str(FIXED_UUID)}])
    vectors = {
        "_note": (
            "Captured by running tests/payload/golden/capture_golden.py: the official PyPI libraries "
            "amazon-sqs-extended-client / amazon-sns-extended-client with stubbed SQS/SNS (botocore "
            "Stubber) and a fake S3 client, uuid4 pinned. Regenerate with the command in that script."
        ),
        "libraries": {
            name: metadata.version(name) for name in ("amazon-sqs-extended-client", "amazon-sns-extended-client")
        },
        "bucket": BUCKET,
        "key": str(FIXED_UUID),
        "sqs": {
            "large": sqs_send(big),
            "large_with_attributes": sqs_send(big, USER_ATTRIBUTES),
            "large_legacy": sqs_send(big, USER_ATTRIBUTES, use_legacy_attribute=True),
            "always_through_s3": sqs_send("hello", always_through_s3=True),
            "at_threshold": sqs_send("x" * 262144),
            "threshold_plus_1": sqs_send("x" * 262145),
            "at_threshold_with_attribute": sqs_send("x" * (262144 - 8), k_attr),
            "threshold_plus_1_with_attribute": sqs_send("x" * (262144 - 7), k_attr),
            "nine_attributes_offloaded": sqs_send(big, nine),
            "ten_attributes_offloaded": sqs_send(big, ten),
            "empty_body": sqs_send(""),
            "receive_delete": sqs_receive_and_delete(pointer, "ExtendedPayloadSize", b"payload bytes", delete_payload_from_s3=True),
            "receive_delete_legacy": sqs_receive_and_delete(
                legacy_pointer, "SQSLargePayloadSize", b"legacy payload", delete_payload_from_s3=True
            ),
        },
        "sns": {
            "large": sns_publish(big),
            "large_with_attributes": sns_publish(big, USER_ATTRIBUTES),
            "large_legacy": sns_publish(big, USER_ATTRIBUTES, use_legacy_attribute=True),
            "always_through_s3": sns_publish("hello", always_through_s3=True),
            "at_threshold": sns_publish("x" * 262144),
            "threshold_plus_1": sns_publish("x" * 262145),
            "at_threshold_with_attribute": sns_publish("x" * (262144 - 8), k_attr),
            "threshold_plus_1_with_attribute": sns_publish("x" * (262144 - 7), k_attr),
            "nine_attributes_offloaded": sns_publish(big, nine),
            "ten_attributes_offloaded": sns_publish(big, ten),
        },
    }
    json.dump(vectors, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
