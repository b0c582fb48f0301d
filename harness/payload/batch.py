"""Batched sends and deletes: ``PublishBatch`` / ``SendMessageBatch`` / ``DeleteMessageBatch``.

Why a separate step: one call for up to ten messages is what lets a producer or consumer keep up
with a busy topic, but only *inline* messages keep their meaning in a batch. An offloaded payload
needs its own upload before its pointer can be sent, so :func:`prepare_inline` tells which is which:
it returns the message exactly as :class:`~harness.payload.publisher.Publisher` would send it inline
(same attribute rules, same threshold), or ``None`` when the payload goes through S3 (send it alone
with ``Publisher.to_topic`` / ``to_queue``).

Limits kept here: at most :data:`MAX_BATCH_ENTRIES` entries and :data:`MAX_BATCH_BYTES` in one call
(SNS's total for PublishBatch; SQS allows more on AWS, but this is what every LocalStack accepts).
An entry the service rejects is not retried: :class:`BatchOutcome` lists it and the caller decides.
The call itself goes through :func:`harness.retry.call` like a single send (a retried call may
deliver twice, as with any SQS producer; FIFO deduplication ids make it exact).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from harness import retry
from harness.errors import PayloadError
from harness.payload import wire
from harness.payload.publisher import PublishedMessage, Publisher
from harness.payload.source import PayloadSource

if TYPE_CHECKING:
    from types_boto3_sqs.client import SQSClient

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024


@dataclass(slots=True)
class InlineMessage:
    """One message ready for a batch: body and attributes as a single send would carry them.
    (A value, not frozen for the same reason as :class:`~harness.payload.publisher.PublishedMessage`.)"""

    body: str
    attributes: dict[str, dict[str, Any]]
    size: int  # payload bytes
    sha256: str
    message_bytes: int  # body + attributes as SQS/SNS count them
    correlation_id: str | None = None
    group_id: str | None = None
    deduplication_id: str | None = None


@dataclass
class BatchOutcome:
    """What one batch call did: the accepted messages (in entry order) and the rejected ones."""

    published: list[tuple[InlineMessage, PublishedMessage]] = field(default_factory=list)
    failed: list[tuple[InlineMessage, str]] = field(default_factory=list)  # message, "Code: message"


def prepare_inline(
    publisher: Publisher,
    via: str,
    payload: PayloadSource,
    *,
    attributes: Mapping[str, Mapping[str, Any]] | None = None,
    correlation_id: str | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
) -> InlineMessage | None:
    """The message as the publisher would send it inline on path ``via`` ("sqs" or "sns"), or None
    when it would be offloaded (or stamped with a publish time, which a batch cannot honour)."""
    user = publisher._user_attributes(attributes, correlation_id)
    plan = publisher._plan(via, payload, user)
    if plan.offload or publisher.settings.stamp_publish_time:
        return None
    publisher._check_attribute_count(plan, user)
    sha = payload.sha256()
    attrs = plan.attributes  # built for this message alone (Publisher._plan): filled in place
    if publisher.settings.inline_sha256:
        attrs[wire.SHA256_ATTRIBUTE]["StringValue"] = sha
    data = payload.read_range(0, payload.size)
    size = plan.message_bytes  # every inline plan counts it (the sha256 placeholder is as long as the value)
    assert size is not None, "an inline plan always carries its message bytes"
    return InlineMessage(data.decode("utf-8"), attrs, payload.size, sha, size, correlation_id, group_id, deduplication_id)


def fits(batch: Sequence[InlineMessage], candidate: InlineMessage) -> bool:
    """Whether ``candidate`` may join ``batch`` (entry count and total size)."""
    total = sum(m.message_bytes for m in batch) + candidate.message_bytes
    return len(batch) < MAX_BATCH_ENTRIES and total <= MAX_BATCH_BYTES


def send_batch(publisher: Publisher, via: str, destination: str, messages: Sequence[InlineMessage]) -> BatchOutcome:
    """One PublishBatch (``via="sns"``) or SendMessageBatch (``via="sqs"``) of prepared messages."""
    if not 1 <= len(messages) <= MAX_BATCH_ENTRIES:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH_ENTRIES} messages, not {len(messages)}")
    entries: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        entry: dict[str, Any] = {"Id": str(i)}
        if m.attributes:
            entry["MessageAttributes"] = m.attributes
        if m.group_id is not None:
            entry["MessageGroupId"] = m.group_id
        if m.deduplication_id is not None:
            entry["MessageDeduplicationId"] = m.deduplication_id
        entry["MessageBody" if via == "sqs" else "Message"] = m.body
        entries.append(entry)
    # One of four calls (batch or single, SQS or SNS) whose responses are read by key alike below.
    fn: Callable[..., Any]
    params: dict[str, Any]
    if via == "sqs":
        operation, fn, params = "sqs.SendMessageBatch", publisher.sqs_client().send_message_batch, {"QueueUrl": destination}
    else:
        operation, fn, params = "sns.PublishBatch", publisher.sns_client().publish_batch, {"TopicArn": destination}
    params["Entries" if via == "sqs" else "PublishBatchRequestEntries"] = entries
    if len(entries) == 1:
        # A batch of one is a plain SendMessage / Publish: the same message, the service's cheaper call.
        operation, fn, params = _single(publisher, via, destination, entries[0])
    eventual = retry.NEW_RESOURCE_NOT_YET_VISIBLE if publisher.settings.retry_missing_destination else ()
    sent_at = time.time()
    try:
        resp = retry.call(operation, fn, policy=publisher.settings.retry, eventually_consistent=eventual, **params)
    except ClientError as exc:
        raise PayloadError(
            f"{operation} to {destination} failed: {retry.error_code(exc)}: {exc}. Check that the destination "
            "exists in the client's region and that its policy lets this account send."
        ) from exc
    acked_at = time.time()
    if len(entries) == 1:
        resp = {"Successful": [{"Id": "0", "MessageId": resp.get("MessageId", ""), "SequenceNumber": resp.get("SequenceNumber")}]}
    outcome = BatchOutcome()
    for ok in sorted(resp.get("Successful", []), key=lambda entry: int(entry["Id"])):
        m = messages[int(ok["Id"])]
        outcome.published.append((m, PublishedMessage(
            destination=destination, via=via, message_id=str(ok.get("MessageId", "")), size=m.size, sha256=m.sha256,
            offloaded=False, message_bytes=m.message_bytes, attribute_names=tuple(m.attributes), started_at=sent_at,
            sent_at=sent_at, acked_at=acked_at, correlation_id=m.correlation_id, group_id=m.group_id,
            deduplication_id=m.deduplication_id, sequence_number=ok.get("SequenceNumber"),
        )))
    for bad in resp.get("Failed", []):
        outcome.failed.append((messages[int(bad["Id"])], f"{bad.get('Code', '?')}: {bad.get('Message', '')}"))
    return outcome


def _single(publisher: Publisher, via: str, destination: str, entry: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    """The SendMessage / Publish call carrying one batch entry."""
    params = {k: v for k, v in entry.items() if k != "Id"}
    if via == "sqs":
        return "sqs.SendMessage", publisher.sqs_client().send_message, {"QueueUrl": destination, **params}
    return "sns.Publish", publisher.sns_client().publish, {"TopicArn": destination, **params}


def delete_batch(
    sqs: SQSClient, queue_url: str, receipt_handles: Sequence[str], policy: retry.RetryPolicy = retry.DEFAULT_POLICY
) -> dict[int, tuple[str, bool]]:
    """One DeleteMessageBatch of up to ten receipt handles; returns {index: (error code, sender's
    fault)} of the entries SQS did not delete (the caller decides which matter)."""
    if not 1 <= len(receipt_handles) <= MAX_BATCH_ENTRIES:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH_ENTRIES} handles, not {len(receipt_handles)}")
    entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(receipt_handles)]
    try:
        resp = retry.call("sqs.DeleteMessageBatch", sqs.delete_message_batch, policy=policy, QueueUrl=queue_url, Entries=entries)
    except ClientError as exc:
        raise PayloadError(f"SQS DeleteMessageBatch on {queue_url} failed: {retry.error_code(exc)}: {exc}") from exc
    return {int(bad["Id"]): (str(bad.get("Code", "?")), bool(bad.get("SenderFault", True))) for bad in resp.get("Failed", [])}
