"""The extended-client wire format: pointer body, reserved attribute, size accounting, receipt handles.

Why byte-exact: the harness must interoperate with the official extended clients (Java, Python),
which both read and *write* these forms; tests compare this module's output with vectors captured
from the PyPI libraries (tests/payload/golden/). Facts taken from amazon-sqs-extended-client and
amazon-sns-extended-client 1.0.1 and the Java payload-offloading library:

- Pointer body: a JSON array ``[class name, {"s3BucketName": B, "s3Key": K}]``. The Python
  libraries serialise it with ``json.dumps`` defaults (``", "`` and ``": "`` separators); Java's
  Jackson writes it compact. Readers of both parse JSON, so either form interoperates; the style is
  selectable and defaults to the Python bytes.
- Reserved attribute ``ExtendedPayloadSize`` (``SQSLargePayloadSize`` legacy), DataType ``Number``,
  value the payload's byte length, appended after the user's attributes.
- Inline vs offload: a message is large when body bytes + attribute bytes (name + DataType +
  value) is *strictly greater* than the threshold, so a message of exactly the threshold stays
  inline.
- An offloaded message may carry at most 9 user attributes (SQS/SNS allow 10; one is reserved).
- Receipt handle rewritten by the SQS extended clients so that DeleteMessage can find the object:
  ``-..s3BucketName..-B-..s3BucketName..--..s3Key..-K-..s3Key..-<original handle>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"
LEGACY_POINTER_CLASS = "com.amazon.sqs.javamessaging.MessageS3Pointer"
POINTER_CLASSES = frozenset({POINTER_CLASS, LEGACY_POINTER_CLASS})

RESERVED_ATTRIBUTE = "ExtendedPayloadSize"
LEGACY_RESERVED_ATTRIBUTE = "SQSLargePayloadSize"
RESERVED_ATTRIBUTES = (RESERVED_ATTRIBUTE, LEGACY_RESERVED_ATTRIBUTE)

#: SQS and SNS accept at most 10 message attributes per message.
MAX_ATTRIBUTES = 10
#: User attributes that fit next to the reserved attribute of an offloaded message.
MAX_USER_ATTRIBUTES_OFFLOADED = MAX_ATTRIBUTES - 1

#: Service limits a threshold may not exceed (message body + attributes).
SQS_MAX_MESSAGE_BYTES = 1_048_576
SNS_MAX_MESSAGE_BYTES = 262_144  # a topic's limit unless it sets its own MaximumMessageSize
#: The largest MaximumMessageSize an SNS topic may set (since 2026-09; above 256 KiB only SQS,
#: Lambda and Firehose subscriptions): the SNS threshold of a path through such a topic follows it.
SNS_TOPIC_MAX_MESSAGE_BYTES = 1_048_576
#: Default thresholds per path: the service limit (an offloaded message is then as rare as possible).
#: The one home of the offload thresholds: the publisher and the scenario loader both read these.
DEFAULT_SQS_THRESHOLD = SQS_MAX_MESSAGE_BYTES
DEFAULT_SNS_THRESHOLD = SNS_MAX_MESSAGE_BYTES

S3_BUCKET_NAME_MARKER = "-..s3BucketName..-"
S3_KEY_MARKER = "-..s3Key..-"

#: Harness attributes (documented in harness/payload/__init__.py). They count against the limit of
#: 10 attributes and against the message size like any other attribute.
SHA256_ATTRIBUTE = "HarnessSha256"
PUBLISHED_AT_ATTRIBUTE = "HarnessPublishedAt"
CORRELATION_ATTRIBUTE = "HarnessCorrelationId"
HARNESS_ATTRIBUTES = frozenset({SHA256_ATTRIBUTE, PUBLISHED_AT_ATTRIBUTE, CORRELATION_ATTRIBUTE})
#: S3 user-metadata key carrying the payload sha256 of an offloaded payload (x-amz-meta-sha256).
SHA256_METADATA_KEY = "sha256"

MessageAttributes = Mapping[str, Mapping[str, Any]]


class PointerStyle(str, Enum):
    """Byte form of the pointer body. Both parse the same; pick the one your peers write."""

    PYTHON = "python"  # json.dumps defaults, as amazon-sqs/sns-extended-client write it
    JAVA = "java"  # Jackson compact, as the Java extended clients write it


@dataclass(frozen=True)
class S3Pointer:
    """Where an offloaded payload lives, and which class name the pointer carried."""

    bucket: str
    key: str
    class_name: str = POINTER_CLASS

    @property
    def legacy(self) -> bool:
        return self.class_name == LEGACY_POINTER_CLASS


class PointerError(ValueError):
    """A body that should be a pointer is not one; ``str()`` says why (becomes the outcome detail)."""


def encode_pointer(pointer: S3Pointer, style: PointerStyle = PointerStyle.PYTHON) -> str:
    """The message body the extended clients send instead of an offloaded payload."""
    doc = [pointer.class_name, {"s3BucketName": pointer.bucket, "s3Key": pointer.key}]
    if style is PointerStyle.JAVA:
        return json.dumps(doc, separators=(",", ":"))
    return json.dumps(doc)


def looks_like_pointer(body: str) -> bool:
    """Cheap pre-check before parsing: every pointer body is a JSON array starting with a string."""
    return body.lstrip()[:2] == '["'


def decode_pointer(body: str) -> S3Pointer:
    """Parse a pointer body (current or legacy class name, any JSON spacing).

    Raises :class:`PointerError` for bad JSON, a wrong shape or an unknown class name.
    """
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise PointerError(f"pointer body is not JSON ({exc.__class__.__name__}: {exc})") from None
    if not (isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], str) and isinstance(doc[1], dict)):
        raise PointerError("pointer body is not a JSON array [class name, {s3BucketName, s3Key}]")
    class_name, fields = doc
    if class_name not in POINTER_CLASSES:
        raise PointerError(f"unknown pointer class name {class_name!r}")
    bucket, key = fields.get("s3BucketName"), fields.get("s3Key")
    if not (isinstance(bucket, str) and bucket and isinstance(key, str) and key):
        raise PointerError("pointer lacks a non-empty string s3BucketName and s3Key")
    return S3Pointer(bucket, key, class_name)


def reserved_attribute_name(legacy: bool) -> str:
    return LEGACY_RESERVED_ATTRIBUTE if legacy else RESERVED_ATTRIBUTE


def pointer_class(legacy: bool) -> str:
    return LEGACY_POINTER_CLASS if legacy else POINTER_CLASS


def reserved_attribute(payload_size: int) -> dict[str, str]:
    """The value of the reserved attribute, exactly as the libraries build it."""
    return {"DataType": "Number", "StringValue": str(payload_size)}


def with_reserved_attribute(attributes: MessageAttributes, payload_size: int, legacy: bool = False) -> dict[str, Any]:
    """The attributes of an offloaded message: the caller's, then the reserved one (libraries' order)."""
    out = {name: dict(value) for name, value in attributes.items()}
    out[reserved_attribute_name(legacy)] = reserved_attribute(payload_size)
    return out


def find_reserved_attribute(attributes: MessageAttributes) -> str | None:
    """Which reserved attribute a received message carries (current name first), if any."""
    for name in RESERVED_ATTRIBUTES:
        if name in attributes:
            return name
    return None


def attribute_bytes(name: str, value: Mapping[str, Any]) -> int:
    """Bytes one attribute adds to the message size: name + DataType + value, as SQS/SNS count.

    Binary values count their raw bytes. (The PyPI libraries crash on BinaryValue: the SQS one calls
    ``.encode`` on bytes and the SNS one JSON-dumps them; this is what the services count.)
    """
    total = len(name.encode("utf-8"))
    total += len(str(value.get("DataType", "")).encode("utf-8"))
    if "StringValue" in value and value["StringValue"] is not None:
        total += len(str(value["StringValue"]).encode("utf-8"))
    if "BinaryValue" in value and value["BinaryValue"] is not None:
        binary = value["BinaryValue"]
        total += len(binary if isinstance(binary, (bytes, bytearray, memoryview)) else str(binary).encode("utf-8"))
    return total


def attributes_bytes(attributes: MessageAttributes) -> int:
    return sum(attribute_bytes(name, value) for name, value in attributes.items())


def message_bytes(body_bytes: int, attributes: MessageAttributes) -> int:
    """Size of a message as SQS/SNS and the extended clients count it: body + attributes."""
    return body_bytes + attributes_bytes(attributes)


def is_large(body_bytes: int, attributes: MessageAttributes, threshold: int) -> bool:
    """The libraries' rule: offload when body + attributes is strictly greater than the threshold."""
    return message_bytes(body_bytes, attributes) > threshold


def embed_pointer_in_receipt_handle(receipt_handle: str, pointer: S3Pointer) -> str:
    """The receipt handle the SQS extended clients hand out for an offloaded message."""
    return (
        S3_BUCKET_NAME_MARKER
        + pointer.bucket
        + S3_BUCKET_NAME_MARKER
        + S3_KEY_MARKER
        + pointer.key
        + S3_KEY_MARKER
        + receipt_handle
    )


def is_extended_receipt_handle(receipt_handle: str) -> bool:
    return S3_BUCKET_NAME_MARKER in receipt_handle and S3_KEY_MARKER in receipt_handle


def split_receipt_handle(receipt_handle: str) -> tuple[str, S3Pointer | None]:
    """``(original handle, pointer or None)`` of a plain or rewritten receipt handle.

    Parsed by marker positions as Java does, not by splitting on "-" as the Python library does
    (that breaks on original handles containing "-").
    """
    if not is_extended_receipt_handle(receipt_handle):
        return receipt_handle, None
    b0 = receipt_handle.index(S3_BUCKET_NAME_MARKER) + len(S3_BUCKET_NAME_MARKER)
    b1 = receipt_handle.index(S3_BUCKET_NAME_MARKER, b0)
    k0 = receipt_handle.index(S3_KEY_MARKER, b1 + len(S3_BUCKET_NAME_MARKER)) + len(S3_KEY_MARKER)
    k1 = receipt_handle.index(S3_KEY_MARKER, k0)
    original = receipt_handle[k1 + len(S3_KEY_MARKER) :]
    return original, S3Pointer(receipt_handle[b0:b1], receipt_handle[k0:k1])
