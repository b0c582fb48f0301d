"""The test functions' code: zipped by the tests as ``consumer.py`` into each deployment package.

Runs in a handler process of the harness-host-python executor, not in pytest. Receipts go to the SQS
queue named by the function's RECEIPT_QUEUE_URL, through AWS_ENDPOINT_URL and the role's credentials
that LocalStack puts in the environment (boto3 is what the runtime ships, as on AWS)."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from typing import Any

import boto3


class ReceiptRejected(Exception):
    """A handler failure with a type of its own, to find in the FunctionError document."""


def _identity() -> str:
    return boto3.client("sts").get_caller_identity()["Arn"]


def _receipt(**fields: Any) -> None:
    boto3.client("sqs").send_message(QueueUrl=os.environ["RECEIPT_QUEUE_URL"], MessageBody=json.dumps(fields))


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print(f"echo {event}")
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "greeting": os.environ.get("GREETING"),
        "identity": _identity(),
        "endpoint_url": os.environ.get("AWS_ENDPOINT_URL"),
        "localstack_importable": importlib.util.find_spec("localstack") is not None,
        "pid": os.getpid(),
        "ppid": os.getppid(),
    }


def reject(event: dict[str, Any], context: Any) -> None:
    print(f"rejecting {event}")
    raise ReceiptRejected(f"rejected {event['id']}")


def sleep(event: dict[str, Any], context: Any) -> str:
    if os.environ.get("RECEIPT_QUEUE_URL"):
        _receipt(kind="started", pid=os.getpid(), id=event.get("id"))
    time.sleep(float(event["seconds"]))
    return "slept"


def hog(event: dict[str, Any], context: Any) -> int:
    block = bytearray(int(event["mb"]) * 1024 * 1024)
    for i in range(0, len(block), 4096):  # touch every page: resident, not just reserved
        block[i] = 1
    time.sleep(float(event.get("hold", 0.5)))
    return len(block)


def sns_receipt(event: dict[str, Any], context: Any) -> None:
    for record in event["Records"]:
        _receipt(
            kind="sns",
            event_source=record["EventSource"],
            topic_arn=record["Sns"]["TopicArn"],
            message=record["Sns"]["Message"],
            attributes={k: v["Value"] for k, v in record["Sns"].get("MessageAttributes", {}).items()},
            identity=_identity(),
        )


def sqs_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails ``fail-once*`` bodies on their first receive and ``fail-always*`` bodies every time."""
    batch = [record["messageId"] for record in event["Records"]]
    failures = []
    for record in event["Records"]:
        body, count = record["body"], int(record["attributes"]["ApproximateReceiveCount"])
        _receipt(kind="sqs", body=body, message_id=record["messageId"], receive_count=count, batch=batch,
                 event_source=record["eventSource"])
        if body.startswith("fail-always") or (body.startswith("fail-once") and count == 1):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
