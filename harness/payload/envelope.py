"""The SNS notification envelope an SQS subscriber receives when raw message delivery is off.

Why: with RawMessageDelivery=false the SQS body is SNS's JSON document; the published message (an
inline payload or an extended-client pointer) is its ``"Message"`` string and the published
attributes are in ``"MessageAttributes"`` as ``{"Type", "Value"}`` (Binary values base64). The
consumer unwraps it and converts the attributes to the SQS shape so one code path reads both.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class EnvelopeMode(str, Enum):
    """How the consumer treats SQS bodies. AUTO recognises an SNS Notification document."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True)
class SnsEnvelope:
    """What the envelope tells about the publish: ids, topic, SNS's own timestamp, the message."""

    message: str
    message_id: str | None
    topic_arn: str | None
    timestamp_ms: int | None
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sequence_number: str | None = None


class EnvelopeError(ValueError):
    """The body was expected to be an SNS envelope and is not one."""


def parse_sns_timestamp(value: str) -> int | None:
    """``2026-11-23T12:06:23.404Z`` -> epoch milliseconds (None when absent or malformed)."""
    if not value:
        return None
    try:
        return int(round(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000))
    except ValueError:
        return None


def _attribute_to_sqs_shape(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or "Type" not in value:
        return None
    data_type, raw = str(value["Type"]), value.get("Value")
    if data_type.startswith("Binary"):
        try:
            return {"DataType": data_type, "BinaryValue": base64.b64decode(str(raw or ""), validate=True)}
        except (binascii.Error, ValueError):
            return {"DataType": data_type, "BinaryValue": str(raw or "").encode("utf-8")}
    return {"DataType": data_type, "StringValue": "" if raw is None else str(raw)}


def _as_envelope(doc: Any) -> SnsEnvelope | None:
    if not (isinstance(doc, dict) and doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str)):
        return None
    attributes: dict[str, dict[str, Any]] = {}
    raw_attributes = doc.get("MessageAttributes") or {}
    if isinstance(raw_attributes, dict):
        for name, value in raw_attributes.items():
            converted = _attribute_to_sqs_shape(value)
            if converted is not None:
                attributes[str(name)] = converted
    return SnsEnvelope(
        message=doc["Message"],
        message_id=doc.get("MessageId"),
        topic_arn=doc.get("TopicArn"),
        timestamp_ms=parse_sns_timestamp(str(doc.get("Timestamp") or "")),
        attributes=attributes,
        sequence_number=doc.get("SequenceNumber"),
    )


def unwrap(body: str, mode: EnvelopeMode = EnvelopeMode.AUTO) -> SnsEnvelope | None:
    """The envelope inside an SQS body, or None for a raw body.

    AUTO only parses bodies that start with ``{`` (a pointer starts with ``[`` and generated
    payloads with a letter, so this costs nothing on the hot path). ALWAYS raises
    :class:`EnvelopeError` when the body is not an envelope; NEVER returns None.
    """
    if mode is EnvelopeMode.NEVER:
        return None
    if mode is EnvelopeMode.AUTO and not body.lstrip().startswith("{"):
        return None
    try:
        envelope = _as_envelope(json.loads(body))
    except ValueError:
        envelope = None
    if envelope is None and mode is EnvelopeMode.ALWAYS:
        raise EnvelopeError("SQS body is not an SNS Notification envelope (is RawMessageDelivery on?)")
    return envelope
