"""Consume payloads from an SQS queue: long-poll, read pointers, stream and verify, delete.

Why the split receive / open / delete: a scenario runner times each step, may verify against an
expectation it looks up by correlation id, and decides itself when to delete. :meth:`Consumer.consume`
chains them for the common case.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import PayloadError
from harness.payload import wire
from harness.payload.addressing import check_client_region, region_of_queue_url
from harness.payload.envelope import EnvelopeMode
from harness.payload.message import BodyKind, ReceivedMessage, parse
from harness.payload.outcome import Expected, Outcome, Verdict, failed, judge
from harness.payload.stream import PayloadStream
from harness.payload.transfer import FetchProblem, RangedDownload, TransferSettings

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client
    from types_boto3_sqs.client import SQSClient

T = TypeVar("T")
log = logging.getLogger(__name__)

ExpectationSource = Expected | Callable[[ReceivedMessage], Expected | None] | None


@dataclass(frozen=True)
class ConsumeSettings:
    """How a consumer reads its queue.

    ``delete_payload`` deletes the S3 object with the message, as the Java clients do by default
    (the PyPI client does not). Turn it off when several queues receive the same pointer (SNS fan
    out): the first consumer would otherwise delete the object the others still need.
    """

    delete_payload: bool = True
    envelope: EnvelopeMode = EnvelopeMode.AUTO
    wait_seconds: int = 20
    visibility_timeout: int | None = None
    transfer: TransferSettings = field(default_factory=TransferSettings)
    retry: retry.RetryPolicy = field(default_factory=lambda: retry.DEFAULT_POLICY)

    def __post_init__(self) -> None:
        if not 0 <= self.wait_seconds <= 20:
            raise ValueError("wait_seconds must be within [0, 20] (SQS long-poll limit)")


@dataclass(frozen=True)
class DeleteResult:
    """What :meth:`Consumer.delete` removed; a payload that could not be deleted is logged, not raised."""

    message_deleted: bool
    payload_deleted: bool | None  # None: no payload, or deletion not configured
    detail: str = ""


@dataclass(frozen=True)
class Consumed:
    message: ReceivedMessage
    verdict: Verdict
    deleted: DeleteResult | None


def _now_ms() -> int:
    return int(time.time() * 1000)


class Consumer:
    """Reads one queue. ``sqs`` must be a client for the queue's region; ``s3`` reads the payloads.

    The clients should come from :func:`harness.retry.client_config` (botocore retries off).
    """

    def __init__(self, sqs: SQSClient, s3: S3Client, queue_url: str, settings: ConsumeSettings | None = None):
        check_client_region(sqs, region_of_queue_url(queue_url), queue_url)
        self.sqs, self.s3, self.queue_url = sqs, s3, queue_url
        self.settings = settings or ConsumeSettings()

    def _sqs(self, operation: str, fn: Callable[..., T], **kwargs: Any) -> T:
        try:
            return retry.call(f"sqs.{operation}", fn, policy=self.settings.retry, **kwargs)
        except ClientError as exc:
            raise PayloadError(
                f"SQS {operation} on {self.queue_url} failed: {retry.error_code(exc)}: {exc}. Check that the "
                "queue exists in the SQS client's region and account and that the caller may use it."
            ) from exc

    def receive(
        self, max_messages: int = 1, wait_seconds: int | None = None, visibility_timeout: int | None = None
    ) -> list[ReceivedMessage]:
        """One long-poll ReceiveMessage (all attributes, all system attributes)."""
        kwargs: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": max(1, min(10, max_messages)),
            "WaitTimeSeconds": self.settings.wait_seconds if wait_seconds is None else wait_seconds,
            "MessageAttributeNames": ["All"],
            "MessageSystemAttributeNames": ["All"],
        }
        timeout = self.settings.visibility_timeout if visibility_timeout is None else visibility_timeout
        if timeout is not None:
            kwargs["VisibilityTimeout"] = timeout
        resp = self._sqs("ReceiveMessage", self.sqs.receive_message, **kwargs)
        received_at = _now_ms()
        return [parse(m, self.queue_url, received_at, self.settings.envelope) for m in resp.get("Messages", [])]

    def open(self, message: ReceivedMessage, expected: Expected | None = None) -> PayloadStream:
        """The payload as a stream. Problems are in ``stream.verdict``, never raised."""
        expected = expected or Expected()
        if message.kind is BodyKind.UNREADABLE:
            verdict = failed(Outcome.UNREADABLE_POINTER, message.pointer_error or "unreadable pointer", offloaded=True)
            return PayloadStream(None, _unused_finish, _unused_problem, verdict)
        if message.kind is BodyKind.INLINE:
            return self._open_inline(message, expected)
        return self._open_pointer(message, expected)

    def _open_inline(self, message: ReceivedMessage, expected: Expected) -> PayloadStream:
        data, finish = _inline(message, expected)
        return PayloadStream(iter([data] if data else []), finish, _unused_problem)

    def _open_pointer(self, message: ReceivedMessage, expected: Expected) -> PayloadStream:
        assert message.pointer is not None
        bucket, key = message.pointer.bucket, message.pointer.key
        size: int | None
        size_source: str | None
        if expected.size is not None:
            size, size_source = expected.size, "caller"
        else:
            size, size_source = message.declared_size, message.size_attribute
        download = RangedDownload(self.s3, bucket, key, self.settings.transfer)
        try:
            info = download.open()
        except FetchProblem as problem:
            verdict = failed(
                problem.outcome, problem.detail, expected_size=size, size_source=size_source, offloaded=True, bucket=bucket, key=key
            )
            return PayloadStream(None, _unused_finish, _unused_problem, verdict)
        sha, sha_source = _pick_sha(expected, info.metadata.get(wire.SHA256_METADATA_KEY), "s3-metadata")
        finish = partial(
            _finish, expected_size=size, size_source=size_source, expected_sha256=sha, sha256_source=sha_source,
            offloaded=True, bucket=bucket, key=key,
        )

        def on_problem(problem: FetchProblem, count: int) -> Verdict:
            return failed(
                problem.outcome, problem.detail, bytes_read=count, expected_size=size, size_source=size_source,
                offloaded=True, bucket=bucket, key=key,
            )

        return PayloadStream(download.chunks(), finish, on_problem)

    def verify(
        self, message: ReceivedMessage, expected: Expected | None = None, sink: Callable[[bytes], Any] | None = None
    ) -> Verdict:
        """Stream the payload to its end (through ``sink`` if given) and return the verdict."""
        if message.kind is BodyKind.INLINE and sink is None:
            # The hot path of a burst: the body is in memory already, so one sha256 call is the
            # whole stream (no file object, no generator); the same judge decides.
            data, finish = _inline(message, expected or Expected())
            return finish(len(data), hashlib.sha256(data).hexdigest())
        with self.open(message, expected) as stream:
            return stream.drain(sink)

    def delete(self, message: ReceivedMessage | str, delete_payload: bool | None = None) -> DeleteResult:
        """Delete the message, then (if configured) its S3 payload.

        Accepts a :class:`ReceivedMessage`, a plain receipt handle, or a handle rewritten by the
        extended clients (``-..s3BucketName..-B-..s3BucketName..--..s3Key..-K-..s3Key..-<handle>``).
        The message goes first: if that fails it will be redelivered and still needs its object.
        """
        if isinstance(message, ReceivedMessage):
            handle, pointer = message.receipt_handle, message.pointer
        else:
            handle, pointer = wire.split_receipt_handle(message)
        self._sqs("DeleteMessage", self.sqs.delete_message, QueueUrl=self.queue_url, ReceiptHandle=handle)
        wanted = self.settings.delete_payload if delete_payload is None else delete_payload
        if pointer is None or not wanted:
            return DeleteResult(True, None)
        try:
            retry.call(
                "s3.DeleteObject",
                self.s3.delete_object,
                Bucket=pointer.bucket,
                Key=pointer.key,
                policy=self.settings.transfer.retry,
            )
        except (ClientError, BotoCoreError) as exc:
            detail = f"could not delete payload s3://{pointer.bucket}/{pointer.key}: {retry.error_code(exc)}"
            log.warning("%s", detail)
            return DeleteResult(True, False, detail)
        return DeleteResult(True, True)

    def consume(
        self,
        max_messages: int = 1,
        wait_seconds: int | None = None,
        expected: ExpectationSource = None,
        delete: bool = True,
    ) -> list[Consumed]:
        """Receive, verify each payload (discarding the bytes) and delete it. Never raises on content.

        ``expected`` is one :class:`Expected` for all messages or a function of the message (e.g.
        a lookup by ``message.correlation_id``).
        """
        results = []
        for message in self.receive(max_messages, wait_seconds):
            want = expected(message) if callable(expected) else expected
            verdict = self.verify(message, want)
            deleted = self.delete(message) if delete else None
            results.append(Consumed(message, verdict, deleted))
        return results


def _inline(message: ReceivedMessage, expected: Expected) -> tuple[bytes, Callable[[int, str], Verdict]]:
    """An inline message's bytes and the judge of what they hash to."""
    size, size_source = (expected.size, "caller") if expected.size is not None else (None, None)
    sha, sha_source = _pick_sha(expected, message.inline_sha256, "message-attribute")
    finish = partial(
        _finish, expected_size=size, size_source=size_source, expected_sha256=sha, sha256_source=sha_source, offloaded=False,
    )
    return (message.body or "").encode("utf-8"), finish


def _pick_sha(expected: Expected, declared: str | None, declared_source: str) -> tuple[str | None, str | None]:
    if expected.sha256:
        return expected.sha256, "caller"
    if declared:
        return declared, declared_source
    return None, None


def _finish(
    count: int,
    actual: str,
    *,
    expected_size: int | None,
    size_source: str | None,
    expected_sha256: str | None,
    sha256_source: str | None,
    offloaded: bool,
    bucket: str | None = None,
    key: str | None = None,
) -> Verdict:
    """A stream's verdict once read: ``count`` bytes hashing to ``actual``, judged by what was expected."""
    return judge(
        bytes_read=count,
        actual_sha256=actual,
        expected_size=expected_size,
        size_source=size_source,
        expected_sha256=expected_sha256,
        sha256_source=sha256_source,
        offloaded=offloaded,
        bucket=bucket,
        key=key,
    )


def _unused_finish(count: int, actual: str) -> Verdict:  # pragma: no cover - stream has a verdict
    raise AssertionError("stream already has its verdict")


def _unused_problem(problem: FetchProblem, count: int) -> Verdict:  # pragma: no cover - no fetch
    raise AssertionError("inline stream cannot fail")

