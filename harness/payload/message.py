"""A received SQS message, understood: inline payload or pointer, attributes, ids and timestamps.

Why a separate parse step: the same reading rules apply to raw bodies and to SNS envelopes, to the
current and legacy names, and to the harness's own attributes; the result is a plain value that a
scenario runner can log, correlate and time without touching boto3 shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from harness.payload import wire
from harness.payload.envelope import EnvelopeError, EnvelopeMode, SnsEnvelope, unwrap


class BodyKind(str, Enum):
    INLINE = "inline"  # the body (or the envelope's Message) is the payload
    POINTER = "pointer"  # the payload is in S3
    UNREADABLE = "unreadable"  # a reserved attribute says pointer, but the body is not a valid one


@dataclass(slots=True)
class MessageTimestamps:
    """Per-message times in epoch milliseconds, each from the clock that produced it.

    - ``published_at_ms``: publisher's clock just before SendMessage/Publish, from the
      ``HarnessPublishedAt`` attribute (only when the publisher stamps it).
    - ``sns_timestamp_ms``: SNS's ``Timestamp`` of the envelope (raw delivery off only).
    - ``sent_timestamp_ms``: SQS ``SentTimestamp`` (when SQS accepted the message).
    - ``first_receive_timestamp_ms``: SQS ``ApproximateFirstReceiveTimestamp``.
    - ``received_at_ms``: this consumer's clock when ReceiveMessage returned.
    """

    published_at_ms: int | None
    sns_timestamp_ms: int | None
    sent_timestamp_ms: int | None
    first_receive_timestamp_ms: int | None
    received_at_ms: int


@dataclass(slots=True)
class SnsInfo:
    """What the SNS envelope said about the publish (raw delivery off)."""

    message_id: str | None
    topic_arn: str | None
    timestamp_ms: int | None
    sequence_number: str | None = None


@dataclass(slots=True)
class ReceivedMessage:
    """One message from the queue. ``receipt_handle`` is SQS's own handle.

    Not frozen, like the other per-message records of the receive path (:class:`MessageTimestamps`,
    :class:`SnsInfo`): a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, 1.8 µs a message for these 20 fields on a burst's hot path. Treat it as
    a value all the same: nothing in the kit changes one after :func:`parse`.
    """

    queue_url: str
    message_id: str
    receipt_handle: str
    kind: BodyKind
    timestamps: MessageTimestamps
    body: str | None = None  # inline payload text (bounded by the inline threshold)
    pointer: wire.S3Pointer | None = None
    pointer_error: str | None = None
    declared_size: int | None = None  # ExtendedPayloadSize / SQSLargePayloadSize
    size_attribute: str | None = None  # which of the two names carried it
    inline_sha256: str | None = None  # HarnessSha256 of an inline payload
    correlation_id: str | None = None
    attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # user attributes only
    system_attributes: Mapping[str, str] = field(default_factory=dict)
    sns: SnsInfo | None = None
    receive_count: int | None = None
    group_id: str | None = None
    sequence_number: str | None = None
    deduplication_id: str | None = None

    @property
    def offloaded(self) -> bool:
        return self.kind is BodyKind.POINTER

    @property
    def via_sns_envelope(self) -> bool:
        return self.sns is not None

    @property
    def extended_receipt_handle(self) -> str:
        """The handle as the SQS extended clients rewrite it (plain handle for inline messages)."""
        if self.pointer is None:
            return self.receipt_handle
        return wire.embed_pointer_in_receipt_handle(self.receipt_handle, self.pointer)


_HIDDEN = frozenset(wire.RESERVED_ATTRIBUTES) | wire.HARNESS_ATTRIBUTES  # the wire format's and the harness's own


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value if isinstance(value, str) else str(value))
    except ValueError:
        return None


def _string_attribute(attributes: Mapping[str, Mapping[str, Any]], name: str) -> str | None:
    value = attributes.get(name)
    if value is None or value.get("StringValue") is None:
        return None
    return str(value["StringValue"])


def parse(
    raw: Mapping[str, Any],
    queue_url: str,
    received_at_ms: int,
    envelope_mode: EnvelopeMode = EnvelopeMode.AUTO,
) -> ReceivedMessage:
    """Understand one message of a ReceiveMessage response. Never raises on bad content."""
    body = str(raw.get("Body") or "")
    # botocore's parsed maps, held by nobody else: taken as they are (a copy of each cost a burst ~2 µs a message)
    attributes: dict[str, dict[str, Any]] = dict(raw.get("MessageAttributes") or {})
    system: dict[str, str] = dict(raw.get("Attributes") or {})
    envelope: SnsEnvelope | None = None
    envelope_error: str | None = None
    try:
        envelope = unwrap(body, envelope_mode)
    except EnvelopeError as exc:
        envelope_error = str(exc)
    if envelope is not None:
        body = envelope.message
        attributes = {**attributes, **envelope.attributes}

    size_attribute = wire.find_reserved_attribute(attributes)
    declared_size = _int_or_none(_string_attribute(attributes, size_attribute)) if size_attribute else None
    pointer: wire.S3Pointer | None = None
    inline_body: str | None = body
    kind, pointer_error = BodyKind.INLINE, envelope_error
    if envelope_error:
        kind, inline_body = BodyKind.UNREADABLE, None
    elif size_attribute or wire.looks_like_pointer(body):
        try:
            pointer = wire.decode_pointer(body)
            kind, inline_body = BodyKind.POINTER, None
        except wire.PointerError as exc:
            if size_attribute:  # the producer said "pointer": a bad one is a finding, not data
                kind, pointer_error, inline_body = BodyKind.UNREADABLE, str(exc), None
        if kind is BodyKind.POINTER and size_attribute and declared_size is None:
            kind, pointer_error = BodyKind.UNREADABLE, f"{size_attribute} is not an integer"

    timestamps = MessageTimestamps(
        published_at_ms=_int_or_none(_string_attribute(attributes, wire.PUBLISHED_AT_ATTRIBUTE)),
        sns_timestamp_ms=envelope.timestamp_ms if envelope else None,
        sent_timestamp_ms=_int_or_none(system.get("SentTimestamp")),
        first_receive_timestamp_ms=_int_or_none(system.get("ApproximateFirstReceiveTimestamp")),
        received_at_ms=received_at_ms,
    )
    return ReceivedMessage(
        queue_url=queue_url,
        message_id=str(raw.get("MessageId") or ""),
        receipt_handle=str(raw.get("ReceiptHandle") or ""),
        kind=kind,
        timestamps=timestamps,
        body=inline_body,
        pointer=pointer,
        pointer_error=pointer_error,
        declared_size=declared_size,
        size_attribute=size_attribute,
        inline_sha256=_string_attribute(attributes, wire.SHA256_ATTRIBUTE),
        correlation_id=_string_attribute(attributes, wire.CORRELATION_ATTRIBUTE),
        attributes={k: v for k, v in attributes.items() if k not in _HIDDEN},
        system_attributes=system,
        sns=SnsInfo(envelope.message_id, envelope.topic_arn, envelope.timestamp_ms, envelope.sequence_number)
        if envelope
        else None,
        receive_count=_int_or_none(system.get("ApproximateReceiveCount")),
        group_id=system.get("MessageGroupId"),
        sequence_number=system.get("SequenceNumber"),
        deduplication_id=system.get("MessageDeduplicationId"),
    )
