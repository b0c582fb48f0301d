"""Publish payloads to an SNS topic or an SQS queue, offloading large ones to S3 like the extended clients.

Why the harness has its own publisher rather than the official libraries: those buffer the whole
payload, hard-code a 256 KiB threshold, build their S3 client without an endpoint and patch
``boto3.Session`` on import. This one streams from a random-access source, takes its clients as
arguments, and writes the same wire format (see :mod:`harness.payload.wire`).

Rules (the libraries' where they have one):

- Offload when body bytes + attribute bytes > threshold (exactly the threshold stays inline), when
  ``always_through_s3`` is set, when the payload is empty (SQS and SNS reject empty bodies) or not
  UTF-8 text. The harness's own attributes are counted like the caller's.
- Offloaded: object at ``key_prefix + uuid4``, its sha256 in S3 metadata ``x-amz-meta-sha256``,
  pointer body, reserved attribute last; at most 9 other attributes.
- Inline: the payload is the body; its sha256 travels in the ``HarnessSha256`` attribute
  (``inline_sha256=False`` to free that attribute slot and its 83 bytes).
- Retries (throttling, 5xx, network) come from :mod:`harness.retry`. A retried Send/Publish may
  deliver twice (at-least-once, as with any SQS producer); FIFO deduplication ids make it exact.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import PayloadError
from harness.payload import wire
from harness.payload.addressing import check_client_region, region_of_arn, region_of_queue_url
from harness.payload.outcome import Expected
from harness.payload.source import PayloadSource
from harness.payload.transfer import TransferSettings, UploadResult, upload

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client
    from types_boto3_sns.client import SNSClient
    from types_boto3_sns.type_defs import PublishResponseTypeDef
    from types_boto3_sqs.client import SQSClient
    from types_boto3_sqs.type_defs import SendMessageResultTypeDef

log = logging.getLogger(__name__)

_EPOCH_MS_DIGITS = 13  # epoch milliseconds have 13 digits until the year 2286


@dataclass(frozen=True)
class PublishSettings:
    """Offloading behaviour of a publisher; thresholds are per path (SQS direct, SNS).

    - ``sqs_threshold`` / ``sns_threshold``: largest message (body + attributes) sent inline;
      defaults are the service limits, 1 MiB and 256 KiB (a topic with a larger
      ``MaximumMessageSize`` takes up to 1 MiB: pass its limit).
    - ``legacy_names``: write ``com.amazon.sqs.javamessaging.MessageS3Pointer`` and
      ``SQSLargePayloadSize`` for old Java consumers.
    - ``pointer_style``: PYTHON (PyPI libraries' bytes) or JAVA (compact JSON).
    - ``stamp_publish_time``: add ``HarnessPublishedAt`` (epoch ms, Number) so receivers see the
      publish time even with raw delivery; it takes one of the 10 attribute slots.
    - ``retry_missing_destination``: retry NonExistentQueue / NotFound as eventual consistency
      (only right after creating the queue or topic).
    - ``bucket_owner_full_control``: put payload objects with the ``bucket-owner-full-control``
      canned ACL — for a sender writing into a bucket another account owns, so the bucket owner
      (whose policy grants the readers) owns the object even where ACLs are enabled.
    - ``sse_kms_key_id``: the ARN of the bucket's KMS key; payload objects are then stored with
      SSE-KMS (``ServerSideEncryption=aws:kms``, ``SSEKMSKeyId``). Only the S3 request changes:
      the message and its pointer are the extended clients' bytes either way.
    """

    bucket: str
    sqs_threshold: int = wire.DEFAULT_SQS_THRESHOLD
    sns_threshold: int = wire.DEFAULT_SNS_THRESHOLD
    always_through_s3: bool = False
    legacy_names: bool = False
    pointer_style: wire.PointerStyle = wire.PointerStyle.PYTHON
    key_prefix: str = ""
    inline_sha256: bool = True
    stamp_publish_time: bool = False
    retry_missing_destination: bool = False
    bucket_owner_full_control: bool = False
    sse_kms_key_id: str | None = None
    transfer: TransferSettings = field(default_factory=TransferSettings)
    retry: retry.RetryPolicy = field(default_factory=lambda: retry.DEFAULT_POLICY)

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ValueError("bucket is required (the payload bucket for offloaded messages)")
        if not 0 <= self.sqs_threshold <= wire.SQS_MAX_MESSAGE_BYTES:
            raise ValueError(f"sqs_threshold must be within [0, {wire.SQS_MAX_MESSAGE_BYTES}]")
        if not 0 <= self.sns_threshold <= wire.SNS_TOPIC_MAX_MESSAGE_BYTES:
            raise ValueError(f"sns_threshold must be within [0, {wire.SNS_TOPIC_MAX_MESSAGE_BYTES}] (a topic's MaximumMessageSize at most)")
        if len(self.key_prefix.encode("utf-8")) > 1024 - 36:
            raise ValueError("key_prefix leaves no room for the 36-character object id (S3 keys <= 1024 bytes)")


@dataclass(slots=True)
class PublishedMessage:
    """What was sent, for correlation and timing. Times are epoch seconds on the publisher's clock.
    A value, not frozen: a burst makes one per message, and a frozen ``__init__`` costs 1.5 µs more."""

    destination: str  # queue URL or topic ARN
    via: str  # "sqs" or "sns"
    message_id: str
    size: int
    sha256: str
    offloaded: bool
    message_bytes: int  # body + attributes as SQS/SNS count them
    attribute_names: tuple[str, ...]
    started_at: float  # before the upload (or the send, when inline)
    sent_at: float  # just before SendMessage/Publish (= HarnessPublishedAt when stamped)
    acked_at: float  # when SendMessage/Publish returned
    pointer: wire.S3Pointer | None = None
    upload: UploadResult | None = None
    correlation_id: str | None = None
    group_id: str | None = None
    deduplication_id: str | None = None
    sequence_number: str | None = None

    @property
    def expected(self) -> Expected:
        """What a consumer should find: pass to ``Consumer.verify(message, expected)``."""
        return Expected(self.size, self.sha256)


@dataclass(slots=True)
class _Plan:
    offload: bool
    reason: str
    attributes: dict[str, dict[str, Any]]  # excluding the reserved attribute (added at send); fresh dicts, the caller's to fill
    message_bytes: int | None = None  # inline: body + attributes (the placeholders are as long as the values)


class Publisher:
    """Sends payloads. ``s3`` writes the payload bucket; ``sqs`` / ``sns`` must be clients for the
    destination's region (cross-account is fine: the queue URL / topic ARN names the owner).
    Build the clients with :func:`harness.retry.client_config`.
    """

    def __init__(
        self,
        s3: S3Client,
        settings: PublishSettings,
        *,
        sqs: SQSClient | None = None,
        sns: SNSClient | None = None,
        key_factory: Callable[[], str] = lambda: str(uuid.uuid4()),
    ):
        self.s3, self.settings, self.sqs, self.sns = s3, settings, sqs, sns
        self._key_factory = key_factory

    # -- public API ---------------------------------------------------------------------------

    def to_queue(
        self,
        queue_url: str,
        payload: PayloadSource,
        *,
        attributes: Mapping[str, Mapping[str, Any]] | None = None,
        correlation_id: str | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        delay_seconds: int | None = None,
    ) -> PublishedMessage:
        """SendMessage to ``queue_url`` (threshold ``sqs_threshold``)."""
        check_client_region(self.sqs_client(), region_of_queue_url(queue_url), queue_url)
        extra: dict[str, Any] = {}
        if delay_seconds is not None:
            extra["DelaySeconds"] = delay_seconds
        return self._publish(
            "sqs", queue_url, payload, attributes, correlation_id, group_id, deduplication_id, extra
        )

    def to_topic(
        self,
        topic_arn: str,
        payload: PayloadSource,
        *,
        attributes: Mapping[str, Mapping[str, Any]] | None = None,
        correlation_id: str | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> PublishedMessage:
        """Publish to ``topic_arn`` (threshold ``sns_threshold``)."""
        check_client_region(self.sns_client(), region_of_arn(topic_arn), topic_arn)
        return self._publish("sns", topic_arn, payload, attributes, correlation_id, group_id, deduplication_id, {})

    def sqs_client(self) -> SQSClient:
        """The SQS client; a PayloadError when this Publisher was built without one."""
        if self.sqs is None:
            raise PayloadError("this Publisher has no SQS client; pass sqs=<client for the queue's region>")
        return self.sqs

    def sns_client(self) -> SNSClient:
        """The SNS client; a PayloadError when this Publisher was built without one."""
        if self.sns is None:
            raise PayloadError("this Publisher has no SNS client; pass sns=<client for the topic's region>")
        return self.sns

    def plan(
        self,
        via: str,
        payload: PayloadSource,
        attributes: Mapping[str, Mapping[str, Any]] | None = None,
        correlation_id: str | None = None,
    ) -> bool:
        """Whether a payload would be offloaded on path ``via`` ("sqs" or "sns"), without sending."""
        return self._plan(via, payload, self._user_attributes(attributes, correlation_id)).offload

    # -- steps --------------------------------------------------------------------------------

    def _user_attributes(
        self, attributes: Mapping[str, Mapping[str, Any]] | None, correlation_id: str | None
    ) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, value in (attributes or {}).items():
            if name in wire.RESERVED_ATTRIBUTES:
                raise PayloadError(f"message attribute {name} is reserved for the extended-client pointer; rename it")
            if name in wire.HARNESS_ATTRIBUTES:
                raise PayloadError(
                    f"message attribute {name} is set by the harness; use the publisher's options instead "
                    "(correlation_id=..., stamp_publish_time, inline_sha256)"
                )
            if not isinstance(value, Mapping) or "DataType" not in value or not (
                "StringValue" in value or "BinaryValue" in value
            ):
                raise PayloadError(
                    f"message attribute {name} must be {{'DataType': ..., 'StringValue' or 'BinaryValue': ...}}"
                )
            out[name] = dict(value)
        if correlation_id is not None:
            out[wire.CORRELATION_ATTRIBUTE] = {"DataType": "String", "StringValue": correlation_id}
        return out

    def _plan(self, via: str, payload: PayloadSource, user: dict[str, dict[str, Any]]) -> _Plan:
        s = self.settings
        threshold = s.sqs_threshold if via == "sqs" else s.sns_threshold
        stamp = (
            {wire.PUBLISHED_AT_ATTRIBUTE: {"DataType": "Number", "StringValue": "0" * _EPOCH_MS_DIGITS}}
            if s.stamp_publish_time
            else {}
        )
        inline = {**user, **stamp}
        if s.inline_sha256:
            inline[wire.SHA256_ATTRIBUTE] = {"DataType": "String", "StringValue": "0" * 64}
        if payload.size == 0:
            return _Plan(True, "empty payload (SQS/SNS reject empty bodies)", {**user, **stamp})
        if s.always_through_s3:
            return _Plan(True, "always_through_s3", {**user, **stamp})
        if not payload.is_text():
            return _Plan(True, "payload is not UTF-8 text", {**user, **stamp})
        size = wire.message_bytes(payload.size, inline)
        if size > threshold:
            return _Plan(True, f"{size} bytes with attributes > threshold {threshold}", {**user, **stamp})
        return _Plan(False, f"{size} bytes with attributes <= threshold {threshold}", inline, size)

    def _check_attribute_count(self, plan: _Plan, user: dict[str, dict[str, Any]]) -> None:
        n = len(plan.attributes)
        if n <= (wire.MAX_USER_ATTRIBUTES_OFFLOADED if plan.offload else wire.MAX_ATTRIBUTES):
            return  # every message of a burst passes here: name the harness's attributes only when refusing
        harness_names = sorted(set(plan.attributes) - set(user))
        if plan.offload:
            extra = f" (incl. harness {', '.join(harness_names)})" if harness_names else ""
            raise PayloadError(
                f"this payload is offloaded to S3 and the message would carry {n} attributes{extra} besides "
                f"{wire.reserved_attribute_name(self.settings.legacy_names)}; at most "
                f"{wire.MAX_USER_ATTRIBUTES_OFFLOADED} fit (SQS/SNS allow {wire.MAX_ATTRIBUTES}). Remove "
                f"{n - wire.MAX_USER_ATTRIBUTES_OFFLOADED} attribute(s) or move them into the payload."
            )
        else:
            raise PayloadError(
                f"the message would carry {n} attributes ({len(user)} yours + harness {', '.join(harness_names)}); "
                f"SQS/SNS allow {wire.MAX_ATTRIBUTES}. Remove {n - wire.MAX_ATTRIBUTES} attribute(s), or set "
                "inline_sha256=False / stamp_publish_time=False to free the harness slots."
            )

    def _publish(
        self,
        via: str,
        destination: str,
        payload: PayloadSource,
        attributes: Mapping[str, Mapping[str, Any]] | None,
        correlation_id: str | None,
        group_id: str | None,
        deduplication_id: str | None,
        extra: dict[str, Any],
    ) -> PublishedMessage:
        started_at = time.time()
        user = self._user_attributes(attributes, correlation_id)
        plan = self._plan(via, payload, user)
        self._check_attribute_count(plan, user)
        sha = payload.sha256()
        s = self.settings
        pointer: wire.S3Pointer | None = None
        uploaded: UploadResult | None = None
        attrs = {k: dict(v) for k, v in plan.attributes.items()}
        if plan.offload:
            pointer = wire.S3Pointer(s.bucket, s.key_prefix + self._key_factory(), wire.pointer_class(s.legacy_names))
            body = wire.encode_pointer(pointer, s.pointer_style)
            attrs = wire.with_reserved_attribute(attrs, payload.size, s.legacy_names)
            limit = wire.SQS_MAX_MESSAGE_BYTES if via == "sqs" else max(wire.SNS_MAX_MESSAGE_BYTES, s.sns_threshold)
            if wire.message_bytes(len(body.encode("utf-8")), attrs) > limit:
                raise PayloadError(
                    f"even with the payload in S3 the message exceeds {limit} bytes: its attributes take "
                    f"{wire.attributes_bytes(attrs)} bytes. Move attribute data into the payload."
                )
            log.debug("offloading %d bytes to s3://%s/%s: %s", payload.size, pointer.bucket, pointer.key, plan.reason)
            uploaded = upload(
                self.s3,
                pointer.bucket,
                pointer.key,
                payload,
                metadata={wire.SHA256_METADATA_KEY: sha},
                settings=s.transfer,
                object_args=self._object_args(),
            )
        else:
            body = payload.read_range(0, payload.size).decode("utf-8")
            if s.inline_sha256:
                attrs[wire.SHA256_ATTRIBUTE]["StringValue"] = sha
        sent_at = time.time()
        if s.stamp_publish_time:
            attrs[wire.PUBLISHED_AT_ATTRIBUTE]["StringValue"] = str(int(sent_at * 1000))
        try:
            resp = self._send(via, destination, body, attrs, group_id, deduplication_id, extra)
        except BaseException:
            if pointer is not None:
                self._discard(pointer)
            raise
        acked_at = time.time()
        return PublishedMessage(
            destination=destination,
            via=via,
            message_id=str(resp.get("MessageId", "")),
            size=payload.size,
            sha256=sha,
            offloaded=plan.offload,
            message_bytes=wire.message_bytes(len(body.encode("utf-8")), attrs),
            attribute_names=tuple(attrs),
            started_at=started_at,
            sent_at=sent_at,
            acked_at=acked_at,
            pointer=pointer,
            upload=uploaded,
            correlation_id=correlation_id,
            group_id=group_id,
            deduplication_id=deduplication_id,
            sequence_number=resp.get("SequenceNumber"),
        )

    def _object_args(self) -> dict[str, str]:
        s = self.settings
        args = {"ACL": "bucket-owner-full-control"} if s.bucket_owner_full_control else {}
        if s.sse_kms_key_id:
            args.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=s.sse_kms_key_id)
        return args

    def _send(
        self,
        via: str,
        destination: str,
        body: str,
        attrs: dict[str, dict[str, Any]],
        group_id: str | None,
        deduplication_id: str | None,
        extra: dict[str, Any],
    ) -> SendMessageResultTypeDef | PublishResponseTypeDef:
        params: dict[str, Any] = dict(extra)
        if attrs:
            params["MessageAttributes"] = attrs
        if group_id is not None:
            params["MessageGroupId"] = group_id
        if deduplication_id is not None:
            params["MessageDeduplicationId"] = deduplication_id
        fn: Callable[..., SendMessageResultTypeDef | PublishResponseTypeDef]
        if via == "sqs":
            operation, fn = "sqs.SendMessage", self.sqs_client().send_message
            params.update(QueueUrl=destination, MessageBody=body)
        else:
            operation, fn = "sns.Publish", self.sns_client().publish
            params.update(TopicArn=destination, Message=body)
        eventual = retry.NEW_RESOURCE_NOT_YET_VISIBLE if self.settings.retry_missing_destination else ()
        try:
            return retry.call(operation, fn, policy=self.settings.retry, eventually_consistent=eventual, **params)
        except ClientError as exc:
            raise PayloadError(
                f"{operation} to {destination} failed: {retry.error_code(exc)}: {exc}. Check that the destination "
                "exists in the client's region, that its policy lets this account send, and (FIFO) that a "
                "group id is given."
            ) from exc

    def _discard(self, pointer: wire.S3Pointer) -> None:
        """The send failed: the object would be orphaned, so remove it (best effort, logged)."""
        try:
            self.s3.delete_object(Bucket=pointer.bucket, Key=pointer.key)
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not delete orphaned payload s3://%s/%s: %s", pointer.bucket, pointer.key, exc)
