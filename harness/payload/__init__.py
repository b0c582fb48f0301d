"""The large-message data path: publish and consume payloads of any size over SNS/SQS with S3 offload,
wire-compatible with the official extended clients, streamed with bounded memory, verified by sha256.

This package takes boto3 clients as inputs and knows nothing of topologies, scenarios or reports.

Publish::

    s3 = session.client("s3", config=retry.client_config())
    pub = Publisher(s3, PublishSettings(bucket="payloads"), sqs=sqs_for_queue_region, sns=sns_for_topic_region)
    sent = pub.to_topic(topic_arn, GeneratedPayload(seed=7, size=5 << 20), correlation_id="run1-42")

Consume::

    con = Consumer(sqs_for_queue_region, s3, queue_url)
    for msg in con.receive(max_messages=10):
        verdict = con.verify(msg, expected=sent.expected)   # or Expected(size, sha256) / None
        con.delete(msg)                                     # message, then its S3 object

Attributes and the limit of 10 per message. The harness may add, and counts against both the
limit and the message size:

- ``HarnessSha256`` (String, 83 bytes with name and type): sha256 of an *inline* payload
  (``inline_sha256``, on by default). Offloaded payloads carry it in S3 metadata instead.
- ``HarnessCorrelationId`` (String): only when ``correlation_id=`` is given; counts as one of the
  caller's attributes.
- ``HarnessPublishedAt`` (Number, epoch ms): only with ``stamp_publish_time``.
- ``ExtendedPayloadSize`` / ``SQSLargePayloadSize`` (Number): on offloaded messages.

So a caller has 9 attribute slots in the default configuration, inline or offloaded, and 8 with
``stamp_publish_time``; exceeding them raises :class:`harness.errors.PayloadError` saying by how much.
"""

from harness.payload.consumer import Consumed, Consumer, ConsumeSettings, DeleteResult
from harness.payload.envelope import EnvelopeMode
from harness.payload.generator import GeneratedPayload
from harness.payload.message import BodyKind, MessageTimestamps, ReceivedMessage, SnsInfo
from harness.payload.outcome import Expected, Outcome, Verdict
from harness.payload.publisher import PublishedMessage, Publisher, PublishSettings
from harness.payload.source import BytesPayload, PayloadSource
from harness.payload.stream import PayloadStream
from harness.payload.transfer import TransferSettings, UploadResult
from harness.payload.wire import PointerStyle, S3Pointer

__all__ = [
    "BodyKind",
    "BytesPayload",
    "Consumed",
    "ConsumeSettings",
    "Consumer",
    "DeleteResult",
    "EnvelopeMode",
    "Expected",
    "GeneratedPayload",
    "MessageTimestamps",
    "Outcome",
    "PayloadSource",
    "PayloadStream",
    "PointerStyle",
    "PublishedMessage",
    "Publisher",
    "PublishSettings",
    "ReceivedMessage",
    "S3Pointer",
    "SnsInfo",
    "TransferSettings",
    "UploadResult",
    "Verdict",
]
