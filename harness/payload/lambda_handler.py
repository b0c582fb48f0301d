"""The Lambda entry of the kit's consumer: handler ``harness.payload.lambda_handler.handle``.

It runs inside a function (on AWS, or as a host process of the emulator's ``harness-host-python``
executor), so it is an edge: it reads its configuration from the function's environment, which the
``function`` module and the scenario set —

- ``HARNESS_RECEIPTS_URL``: the queue its receipts go to (the module's receipts queue);
- ``HARNESS_FUNCTION``: the function's logical name (receipts name it);
- ``HARNESS_BUCKET_REGIONS``: JSON, physical bucket name → region (payloads are read there);
- ``HARNESS_PARTIAL_BATCH``: ``1`` when the mapping reports failed batch items;
- ``HARNESS_BEHAVIOUR``: JSON :class:`~harness.payload.function_consumer.Behaviour`, set by a
  scenario before it sends (absent: acknowledge everything);

and builds its clients with the role's credentials Lambda provides (``AWS_ENDPOINT_URL`` on the
emulator). The work itself is :func:`harness.payload.function_consumer.handle`. Every receipt is sent
before the invocation returns; one that cannot be sent fails the invocation (a missing receipt
would read as a lost message), and Lambda retries it as it would any failure.
"""

from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.payload.consumer import Consumer, ConsumeSettings
from harness.payload.function_consumer import BEHAVIOUR_ENV, Behaviour, Rejected, chunks
from harness.payload.function_consumer import handle as consume
from harness.payload.message import ReceivedMessage
from harness.payload.outcome import Verdict
from harness.payload.wire import S3Pointer

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client
    from types_boto3_sqs.client import SQSClient

log = logging.getLogger("harness.function")
log.setLevel(logging.INFO)

_ATTEMPTS: dict[str, int] = {}  # SNS message id -> deliveries seen by this execution environment
_S3: dict[str | None, S3Client] = {}
_SQS: list[SQSClient] = []
SETTINGS = ConsumeSettings(delete_payload=False, wait_seconds=0)


class ReceiptNotSent(RuntimeError):
    """A receipt could not be written: the invocation fails so that the message comes back."""


def _config() -> Config:
    config = retry.client_config()
    if os.environ.get("AWS_ENDPOINT_URL"):  # the emulator: no per-bucket host names
        config = config.merge(Config(s3={"addressing_style": "path"}))
    return config


def _s3(region: str | None) -> S3Client:
    if region not in _S3:
        _S3[region] = boto3.client("s3", region_name=region, config=_config())
    return _S3[region]


def _sqs() -> SQSClient:
    if not _SQS:
        _SQS.append(boto3.client("sqs", config=_config()))
    return _SQS[0]


def handle(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    env = os.environ
    receipts_url = env["HARNESS_RECEIPTS_URL"]
    regions: dict[str, str] = json.loads(env.get("HARNESS_BUCKET_REGIONS") or "{}")
    sqs = _sqs()

    def verify(message: ReceivedMessage) -> Verdict:
        region = regions.get(message.pointer.bucket) if message.pointer else None
        # the harness's own consumer's verify (the receipts queue only anchors its SQS client)
        return Consumer(sqs, _s3(region), receipts_url, SETTINGS).verify(message)

    def delete_payload(pointer: S3Pointer) -> bool:
        try:
            retry.call("s3.DeleteObject", _s3(regions.get(pointer.bucket)).delete_object, Bucket=pointer.bucket, Key=pointer.key)
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not delete payload s3://%s/%s: %s", pointer.bucket, pointer.key, retry.error_code(exc))
            return False
        return True

    handled = consume(
        event,
        function=env.get("HARNESS_FUNCTION") or str(getattr(context, "function_name", "")),
        request_id=str(getattr(context, "aws_request_id", "")),
        behaviour=Behaviour.parse(env.get(BEHAVIOUR_ENV)),
        partial_batch=env.get("HARNESS_PARTIAL_BATCH") == "1",
        verify=verify,
        delete_payload=delete_payload,
        attempts=_ATTEMPTS,
    )
    for part in chunks(handled.receipts):
        entries = [{"Id": str(i), "MessageBody": json.dumps(r, separators=(",", ":"))} for i, r in enumerate(part)]
        sent = retry.call("sqs.SendMessageBatch", sqs.send_message_batch, QueueUrl=receipts_url, Entries=entries)
        if sent.get("Failed"):
            raise ReceiptNotSent(f"{len(sent['Failed'])} receipt(s) not accepted by {receipts_url}: {sent['Failed'][0]}")
    actions = [r["action"] for r in handled.receipts]
    log.info("handled %d record(s): %s", len(actions), {a: actions.count(a) for a in set(actions)})
    if handled.failure:
        raise Rejected(handled.failure)
    return handled.response
