"""Runs an official PyPI extended client in its own process, for the interoperability tests.

Why a subprocess: the libraries replace ``boto3.Session`` on import and create their S3 client
with no endpoint; isolating them keeps the test process (and the harness) untouched. Their S3
client reaches LocalStack through ``AWS_ENDPOINT_URL``, which botocore honours for every client.

    python oracle.py sns-publish '{"endpoint": ..., "account": ..., "region": ..., "topic_arn": ...,
                                   "bucket": ..., "seed": 1, "size": 1048576}'
    python oracle.py sqs-receive '{"endpoint": ..., "account": ..., "region": ..., "queue_url": ...,
                                   "delete_payload": true}'

Prints one JSON document on stdout.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from typing import Any


def sns_publish(args: dict[str, Any]) -> dict[str, Any]:
    import sns_extended_client.session as lib

    from harness.payload.generator import GeneratedPayload

    session = lib.SNSExtendedClientSession(
        aws_access_key_id=args["account"], aws_secret_access_key="test", region_name=args["region"]
    )
    sns = session.client("sns", endpoint_url=args["endpoint"])
    sns.large_payload_support = args["bucket"]
    if args.get("legacy"):
        sns.use_legacy_attribute = True
    body = GeneratedPayload(args["seed"], args["size"]).text()
    resp = sns.publish(TopicArn=args["topic_arn"], Message=body, MessageAttributes=args.get("attributes", {}))
    return {"message_id": resp["MessageId"]}


def sqs_receive(args: dict[str, Any]) -> dict[str, Any]:
    import sqs_extended_client.client as lib

    session = lib.SQSExtendedClientSession(
        aws_access_key_id=args["account"], aws_secret_access_key="test", region_name=args["region"]
    )
    sqs = session.client("sqs", endpoint_url=args["endpoint"])
    sqs.large_payload_support = "unused-for-receive"
    sqs.delete_payload_from_s3 = bool(args.get("delete_payload"))
    deadline = time.monotonic() + float(args.get("timeout", 20))
    while time.monotonic() < deadline:
        resp = sqs.receive_message(
            QueueUrl=args["queue_url"], MaxNumberOfMessages=1, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        for message in resp.get("Messages", []):
            body = message["Body"].encode("utf-8")
            sqs.delete_message(QueueUrl=args["queue_url"], ReceiptHandle=message["ReceiptHandle"])
            return {
                "size": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
                "receipt_handle": message["ReceiptHandle"],
                "attributes": sorted(message.get("MessageAttributes", {})),
            }
    return {"error": "no message"}


def main() -> None:
    command, raw = sys.argv[1], sys.argv[2]
    args = json.loads(raw)
    os.environ["AWS_ENDPOINT_URL"] = args["endpoint"]
    result = {"sns-publish": sns_publish, "sqs-receive": sqs_receive}[command](args)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
