"""The kit's Lambda consumer, without Lambda: an SNS or SQS event in, receipts and a response out.

Each record becomes a :class:`~harness.payload.message.ReceivedMessage` through the same
:func:`~harness.payload.message.parse` the harness's consumer uses (an SNS record is read as the
envelope SNS would have put in a queue), and is verified by the caller's ``verify`` — the
harness's :meth:`~harness.payload.consumer.Consumer.verify`: wire format, S3 pointer, size, sha256,
attributes. Then the function acts as the scenario asked (:class:`Behaviour`: reject a message on
its first N receives, fail every k-th message every time, take a while, delete the payload on
acknowledgement) and describes each message in a :func:`receipt` — correlation id, outcome, what it
read, and every timestamp it has (SNS ``Timestamp``, SQS ``SentTimestamp`` and
``ApproximateFirstReceiveTimestamp``, the invocation's start, when it was done with the message).

The response is what Lambda expects: for an SQS batch with partial batch responses the failed
items (``batchItemFailures``); without them, or for an SNS invocation, a failure fails the whole
invocation (:class:`Rejected`), and Lambda (or the queue's redrive) decides what comes back.

Pure: the clients are the caller's (:mod:`harness.payload.lambda_handler`), so the tests drive it
with plain events.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from harness.payload.message import ReceivedMessage, parse
from harness.payload.outcome import Verdict
from harness.payload.wire import S3Pointer

RECEIPT_VERSION = 1
ACK, REJECT, FAIL = "ack", "reject", "fail"
BEHAVIOUR_ENV = "HARNESS_BEHAVIOUR"


class Rejected(Exception):
    """The invocation fails on purpose (an SNS event, or a batch without partial batch responses)."""


@dataclass(frozen=True)
class Behaviour:
    """What a scenario asks of a function, for its own messages only (correlation ids starting with
    ``token.``; everything else is acknowledged as is). Set as JSON in ``HARNESS_BEHAVIOUR``."""

    token: str = ""
    reject: int = 0  # fail each message on its first N receives (then acknowledge it)
    fail_every: int = 0  # fail every k-th message (seq % k == k - 1) on every receive
    slow_ms: int = 0  # take this long per message before acknowledging it
    delete_payloads: bool = False  # delete an offloaded payload once its message is acknowledged

    @classmethod
    def parse(cls, text: str | None) -> Behaviour:
        """From ``HARNESS_BEHAVIOUR``; anything unreadable is the default (acknowledge everything)."""
        try:
            data = json.loads(text or "{}")
            return cls(str(data.get("token", "")), int(data.get("reject", 0)), int(data.get("fail_every", 0)),
                       int(data.get("slow_ms", 0)), bool(data.get("delete_payloads", False)))
        except (ValueError, TypeError, AttributeError):
            return cls()

    def describe(self) -> str:
        """In words, for the report's notes: ``rejects each message 1×, deletes payloads on ack``."""
        said = [f"rejects each message {self.reject}×" if self.reject else "",
                f"fails every {self.fail_every}{_nth(self.fail_every)} message every time" if self.fail_every else "",
                f"takes {self.slow_ms} ms per message" if self.slow_ms else "", "deletes payloads on ack" if self.delete_payloads else ""]
        return ", ".join(w for w in said if w) or "acknowledges every message"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    def applies(self, correlation_id: str | None) -> bool:
        return bool(self.token) and bool(correlation_id) and str(correlation_id).startswith(self.token + ".")

    def action(self, seq: int | None, receive: int) -> str:
        """ACK, REJECT (a receive within the first ``reject``) or FAIL (every k-th message)."""
        if self.fail_every and seq is not None and seq % self.fail_every == self.fail_every - 1:
            return FAIL
        return REJECT if receive <= self.reject else ACK


def _nth(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


@dataclass(frozen=True)
class Record:
    """One record of the event, as the consumer reads it: its message and where it came from."""

    source: str  # "aws:sns" | "aws:sqs"
    item_id: str  # what a batch item failure names (SQS messageId; SNS MessageId)
    message: ReceivedMessage
    receive: int  # SQS ApproximateReceiveCount; SNS: the attempts this process saw


def _sqs_attributes(values: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A Lambda SQS record's ``messageAttributes`` in ReceiveMessage's shape (binary values base64)."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        data_type = str(value.get("dataType", "String"))
        if value.get("binaryValue") is not None:
            out[name] = {"DataType": data_type, "BinaryValue": base64.b64decode(str(value["binaryValue"]))}
        else:
            out[name] = {"DataType": data_type, "StringValue": str(value.get("stringValue", ""))}
    return out


def records(event: Mapping[str, Any], invoked_ms: int, attempts: MutableMapping[str, int]) -> list[Record]:
    """The event's records as messages. ``attempts`` counts SNS deliveries per message id in this
    process (Lambda retries a failed SNS invocation with the same event; nothing counts for it)."""
    out: list[Record] = []
    for rec in event.get("Records", []):
        source = str(rec.get("EventSource") or rec.get("eventSource") or "")
        if source == "aws:sns":
            sns = rec.get("Sns", {})
            envelope = {k: sns.get(k) for k in ("Type", "MessageId", "TopicArn", "Message", "Timestamp", "MessageAttributes")}
            envelope["Type"] = envelope["Type"] or "Notification"
            raw = {"MessageId": sns.get("MessageId", ""), "Body": json.dumps(envelope)}
            msg = parse(raw, str(sns.get("TopicArn", "")), invoked_ms)
            attempts[msg.message_id] = attempts.get(msg.message_id, 0) + 1
            out.append(Record(source, msg.message_id, msg, attempts[msg.message_id]))
        elif source == "aws:sqs":
            raw = {
                "MessageId": rec.get("messageId", ""),
                "ReceiptHandle": rec.get("receiptHandle", ""),
                "Body": rec.get("body", ""),
                "Attributes": rec.get("attributes", {}),
                "MessageAttributes": _sqs_attributes(rec.get("messageAttributes") or {}),
            }
            msg = parse(raw, str(rec.get("eventSourceARN", "")), invoked_ms)
            out.append(Record(source, msg.message_id, msg, msg.receive_count or 1))
    return out


def seq_of(correlation_id: str | None) -> int | None:
    """The sequence number a correlation id ends in (``<token>.<seq>``)."""
    tail = (correlation_id or "").rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else None


def receipt(function: str, rec: Record, verdict: Verdict, action: str, invoked_ms: int, done_ms: int, batch: tuple[str, int],
            deleted: bool | None = None) -> dict[str, Any]:
    """What the function did with one message, for the harness (JSON on the receipts queue)."""
    ts = rec.message.timestamps
    return {
        "v": RECEIPT_VERSION,
        "function": function,
        "correlation_id": rec.message.correlation_id,
        "message_id": rec.message.message_id,
        "source": rec.source,
        "action": action,
        "receive": rec.receive,
        "outcome": verdict.outcome.value,
        "detail": verdict.detail,
        "bytes": verdict.bytes_read,
        "sha256": verdict.actual_sha256,
        "offloaded": verdict.offloaded,
        "bucket": verdict.bucket,
        "key": verdict.key,
        "sns_timestamp_ms": ts.sns_timestamp_ms,
        "sent_timestamp_ms": ts.sent_timestamp_ms,
        "first_receive_timestamp_ms": ts.first_receive_timestamp_ms,
        "invoked_at_ms": invoked_ms,
        "done_at_ms": done_ms,
        "request_id": batch[0],
        "batch_size": batch[1],
        "payload_deleted": deleted,
    }


@dataclass
class Handled:
    """One invocation's outcome: the receipts to send and Lambda's response (or the failure to raise)."""

    receipts: list[dict[str, Any]]
    response: dict[str, Any] | None
    failure: str | None = None  # raise Rejected(failure) once the receipts are out


def handle(
    event: Mapping[str, Any],
    *,
    function: str,
    request_id: str,
    behaviour: Behaviour,
    partial_batch: bool,
    verify: Callable[[ReceivedMessage], Verdict],
    delete_payload: Callable[[S3Pointer], bool],
    attempts: MutableMapping[str, int],
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Handled:
    """Verify and act on every record of ``event`` (see the module docstring)."""
    invoked = int(clock() * 1000)
    recs = records(event, invoked, attempts)
    out: list[dict[str, Any]] = []
    failed: list[str] = []
    for rec in recs:
        verdict = verify(rec.message)
        cid = rec.message.correlation_id
        action = behaviour.action(seq_of(cid), rec.receive) if behaviour.applies(cid) else ACK
        deleted: bool | None = None
        if action != ACK:
            failed.append(rec.item_id)
        elif behaviour.applies(cid):
            if behaviour.slow_ms:
                sleep(behaviour.slow_ms / 1000.0)
            if behaviour.delete_payloads and rec.message.pointer is not None:
                deleted = delete_payload(rec.message.pointer)
        out.append(receipt(function, rec, verdict, action, invoked, int(clock() * 1000), (request_id, len(recs)), deleted))
    if not failed:
        return Handled(out, {"batchItemFailures": []} if recs and recs[0].source == "aws:sqs" else None)
    if partial_batch and all(r.source == "aws:sqs" for r in recs):
        return Handled(out, {"batchItemFailures": [{"itemIdentifier": i} for i in failed]})
    return Handled(out, None, f"{len(failed)} of {len(recs)} messages failed on purpose (the scenario's behaviour): {failed[:5]}")


def chunks(items: Sequence[dict[str, Any]], size: int = 10) -> list[Sequence[dict[str, Any]]]:
    """SendMessageBatch takes at most 10 entries."""
    return [items[i:i + size] for i in range(0, len(items), size)]
