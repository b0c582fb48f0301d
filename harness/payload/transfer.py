"""Streamed S3 transfers with bounded memory: parallel multipart upload, in-order ranged download.

Why not boto3's TransferManager: it reads a stream sequentially in one thread and needs a seekable
file to parallelise, and its download API writes to a file rather than handing the caller an
ordered stream. Here parts come from a random-access :class:`PayloadSource` produced in the worker
threads, and downloads yield parts in order while at most ``concurrency`` ranged GETs run ahead.
Peak memory is about ``(concurrency + 2) * part_size`` whatever the payload size.

Every S3 call goes through :func:`harness.retry.call`; S3 errors that are payload outcomes
(missing, denied, changed) surface as :class:`FetchProblem` for the consumer to turn into a verdict.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.payload.outcome import Outcome
from harness.payload.source import PayloadSource

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client
    from types_boto3_s3.type_defs import GetObjectOutputTypeDef

log = logging.getLogger(__name__)

MiB = 1 << 20
S3_MIN_PART = 5 * MiB
S3_MAX_PART = 5 * 1024 * MiB
S3_MAX_PARTS = 10_000
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


@dataclass(frozen=True)
class TransferSettings:
    """Part size and parallelism of uploads and downloads (defaults: 8 MiB parts, 4 in flight).

    Memory use is bounded by these, not by the payload: about ``(concurrency + 2) * part_size``
    per transfer. The S3 client's ``max_pool_connections`` should be >= ``concurrency``. Uploads
    of more than 10,000 parts grow the part size (S3's limit) and log it.
    """

    part_size: int = 8 * MiB
    concurrency: int = 4
    retry: retry.RetryPolicy = field(default_factory=lambda: retry.DEFAULT_POLICY)

    def __post_init__(self) -> None:
        if not S3_MIN_PART <= self.part_size <= S3_MAX_PART:
            raise ValueError(f"part_size must be within [{S3_MIN_PART}, {S3_MAX_PART}] bytes (S3 multipart limits)")
        if not 1 <= self.concurrency <= 64:
            raise ValueError("concurrency must be within [1, 64]")


@dataclass(frozen=True)
class UploadResult:
    bucket: str
    key: str
    size: int
    etag: str
    parts: int
    seconds: float


@dataclass(frozen=True)
class ObjectInfo:
    """What the first GET told about the object."""

    size: int
    etag: str
    metadata: Mapping[str, str]


class FetchProblem(Exception):
    """An S3 answer that is a payload outcome (missing, denied, changed), not a harness failure."""

    def __init__(self, outcome: Outcome, detail: str):
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
_DENIED = frozenset({"AccessDenied", "403", "AllAccessDisabled", "AccessDeniedException", "Forbidden"})
_CHANGED = frozenset({"PreconditionFailed", "412"})


def _kms_refusal(code: str, exc: ClientError) -> bool:
    """S3 passes KMS's errors on an SSE-KMS object through as ``KMS.<Code>`` (disabled, deleted,
    unknown key), and a missing kms:Decrypt grant as AccessDenied whose message names KMS."""
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return code.startswith("KMS.") or (code in _DENIED and ("kms:" in message.lower() or "kms key" in message.lower()))


def classify(exc: ClientError, bucket: str, key: str) -> FetchProblem:
    """Map an S3 error on a payload object to the outcome it means."""
    code = retry.error_code(exc)
    where = f"s3://{bucket}/{key}"
    if _kms_refusal(code, exc):
        message = exc.response.get("Error", {}).get("Message", "")
        return FetchProblem(
            Outcome.DECRYPT_FAILED,
            f"{where}: {code}: {message} (the object is SSE-KMS encrypted: check the reader is allowed kms:Decrypt by the key policy and the key is enabled)",
        )
    if code in _MISSING:
        return FetchProblem(Outcome.MISSING_OBJECT, f"{where}: {code}")
    if code in _DENIED:
        return FetchProblem(Outcome.ACCESS_DENIED, f"{where}: {code} (check the bucket policy / IAM of the reader)")
    if code in _CHANGED:
        return FetchProblem(Outcome.CORRUPTED, f"{where}: object changed while being read ({code})")
    return FetchProblem(Outcome.FETCH_FAILED, f"{where}: {code}: {exc}")


def _checksum_algorithm(s3: S3Client) -> str | None:
    """CRC32 when the client computes checksums by default (as boto3's own transfers do)."""
    mode = getattr(getattr(getattr(s3, "meta", None), "config", None), "request_checksum_calculation", None)
    return "CRC32" if mode in (None, "when_supported") else None


def upload(
    s3: S3Client,
    bucket: str,
    key: str,
    source: PayloadSource,
    *,
    metadata: Mapping[str, str],
    settings: TransferSettings,
    object_args: Mapping[str, str] | None = None,
) -> UploadResult:
    """Store ``source`` at ``s3://bucket/key`` with ``metadata``; multipart above one part size.

    ``object_args``: further PutObject / CreateMultipartUpload arguments of the object as a whole
    (``ACL``, ``ServerSideEncryption``, ``SSEKMSKeyId``); UploadPart takes none of them."""
    started = time.monotonic()
    size = source.size
    extra = dict(object_args or {})
    if size <= settings.part_size:
        resp = retry.call(
            "s3.PutObject",
            s3.put_object,
            Bucket=bucket,
            Key=key,
            Body=source.read_range(0, size),
            Metadata=dict(metadata),
            policy=settings.retry,
            **extra,
        )
        return UploadResult(bucket, key, size, resp.get("ETag", ""), 1, time.monotonic() - started)

    part_size = max(settings.part_size, math.ceil(size / S3_MAX_PARTS))
    if part_size != settings.part_size:
        log.info("s3://%s/%s: part size raised to %d bytes to stay within %d parts", bucket, key, part_size, S3_MAX_PARTS)
    algorithm = _checksum_algorithm(s3)
    create_args: dict[str, Any] = {"Bucket": bucket, "Key": key, "Metadata": dict(metadata), **extra}
    if algorithm:
        create_args["ChecksumAlgorithm"] = algorithm
    upload_id = retry.call("s3.CreateMultipartUpload", s3.create_multipart_upload, policy=settings.retry, **create_args)[
        "UploadId"
    ]
    try:
        parts = _upload_parts(s3, bucket, key, upload_id, source, part_size, algorithm, settings)
        done = retry.call(
            "s3.CompleteMultipartUpload",
            s3.complete_multipart_upload,
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            policy=settings.retry,
        )
    except BaseException:
        _abort(s3, bucket, key, upload_id)
        raise
    return UploadResult(bucket, key, size, done.get("ETag", ""), len(parts), time.monotonic() - started)


def _upload_parts(
    s3: S3Client,
    bucket: str,
    key: str,
    upload_id: str,
    source: PayloadSource,
    part_size: int,
    algorithm: str | None,
    settings: TransferSettings,
) -> list[dict[str, Any]]:
    """Upload every part with at most ``concurrency`` parts generated or in flight at a time."""
    count = math.ceil(source.size / part_size)

    def one(number: int) -> dict[str, Any]:
        body = source.read_range((number - 1) * part_size, part_size)
        args: dict[str, Any] = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": number, "Body": body}
        if algorithm:
            args["ChecksumAlgorithm"] = algorithm
        resp = retry.call("s3.UploadPart", s3.upload_part, policy=settings.retry, **args)
        part: dict[str, Any] = {"PartNumber": number, "ETag": resp["ETag"]}
        checksum = f"Checksum{algorithm}" if algorithm else None
        fields: Mapping[str, object] = resp  # the response's Checksum<algorithm> key, by name
        if checksum and fields.get(checksum):
            part[checksum] = fields[checksum]
        return part

    done_parts: list[dict[str, Any]] = []
    pending: set[Future[dict[str, Any]]] = set()
    with ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="s3-upload") as pool:
        try:
            for number in range(1, count + 1):
                if len(pending) >= settings.concurrency:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    done_parts.extend(f.result() for f in finished)
                pending.add(pool.submit(one, number))
            finished, pending = wait(pending)
            done_parts.extend(f.result() for f in finished)
        except BaseException:
            for f in pending:
                f.cancel()
            raise
    return sorted(done_parts, key=lambda p: p["PartNumber"])


def _abort(s3: S3Client, bucket: str, key: str, upload_id: str) -> None:
    """Best effort: a failed upload should not leave billable parts behind."""
    try:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not abort multipart upload %s of s3://%s/%s: %s", upload_id, bucket, key, exc)


class RangedDownload:
    """An object read as ordered parts, with at most ``concurrency`` ranged GETs running ahead.

    :meth:`open` fetches the first part (one round trip for small objects) and learns size, ETag and
    metadata. Later ranges are requested with ``If-Match: <ETag>`` so an object replaced mid-read
    is reported (CORRUPTED) instead of silently mixed.
    """

    def __init__(self, s3: S3Client, bucket: str, key: str, settings: TransferSettings):
        self.s3, self.bucket, self.key, self.settings = s3, bucket, key, settings
        self.info: ObjectInfo | None = None
        self._first: bytes = b""

    def _get_raw(self, **kwargs: Any) -> tuple[GetObjectOutputTypeDef, bytes]:
        """One GET with its body read inside the retry (a broken stream re-requests the range)."""

        def get_and_read() -> tuple[GetObjectOutputTypeDef, bytes]:
            resp = self.s3.get_object(Bucket=self.bucket, Key=self.key, **kwargs)
            body = resp["Body"]  # not `with`: StreamingBody.__enter__ returns the raw stream, which
            try:  # skips botocore's Content-Length check (a short read must raise, and be retried)
                return resp, body.read()
            finally:
                body.close()

        return retry.call("s3.GetObject", get_and_read, policy=self.settings.retry)

    def _get(self, **kwargs: Any) -> tuple[GetObjectOutputTypeDef, bytes]:
        try:
            return self._get_raw(**kwargs)
        except ClientError as exc:
            raise classify(exc, self.bucket, self.key) from exc

    def open(self) -> ObjectInfo:
        """First GET: part 0, or the whole object when it is empty (S3 rejects bytes=0- on it)."""
        part = self.settings.part_size
        try:
            resp, data = self._get_raw(Range=f"bytes=0-{part - 1}")
        except ClientError as exc:
            if retry.error_code(exc) != "InvalidRange":
                raise classify(exc, self.bucket, self.key) from exc
            resp, data = self._get()
        match = _CONTENT_RANGE.match(str(resp.get("ContentRange") or ""))
        size = int(match.group(3)) if match else int(resp.get("ContentLength", len(data)))
        self.info = ObjectInfo(size=size, etag=str(resp.get("ETag", "")), metadata=dict(resp.get("Metadata") or {}))
        self._first = data
        return self.info

    def _range(self, start: int, end: int) -> bytes:
        kwargs: dict[str, Any] = {"Range": f"bytes={start}-{end - 1}"}
        if self.info and self.info.etag:
            kwargs["IfMatch"] = self.info.etag
        _, data = self._get(**kwargs)
        if len(data) != end - start:  # cannot happen under If-Match unless the store misbehaves
            raise FetchProblem(
                Outcome.TRUNCATED, f"s3://{self.bucket}/{self.key}: range {start}-{end - 1} returned {len(data)} bytes"
            )
        return data

    def chunks(self) -> Iterator[bytes]:
        """The object's bytes in order, one part per chunk. Raises FetchProblem mid-way."""
        if self.info is None:
            self.open()
        assert self.info is not None
        first, self._first = self._first, b""
        if first:
            yield first
        part, size = self.settings.part_size, self.info.size
        starts = deque(range(part, size, part))
        if not starts:
            return
        ahead: deque[Future[bytes]] = deque()
        pool = ThreadPoolExecutor(max_workers=self.settings.concurrency, thread_name_prefix="s3-download")
        try:
            while starts or ahead:
                while starts and len(ahead) < self.settings.concurrency:
                    start = starts.popleft()
                    ahead.append(pool.submit(self._range, start, min(size, start + part)))
                yield ahead.popleft().result()
        finally:
            for f in ahead:
                f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
