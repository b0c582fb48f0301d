"""Multipart upload and ranged download against an in-memory S3: bounds, order, failures."""

from __future__ import annotations

import hashlib
import tracemalloc

import pytest

from harness import retry
from harness.payload.generator import GeneratedPayload
from harness.payload.outcome import Outcome
from harness.payload.transfer import FetchProblem, MiB, RangedDownload, TransferSettings, upload
from tests.payload.fakes import FakeS3, client_error

FAST = retry.RetryPolicy(max_attempts=3, base_delay=0, max_delay=0, sleep=lambda s: None)
SETTINGS = TransferSettings(part_size=5 * MiB, concurrency=3, retry=FAST)


def test_small_payload_is_one_put_with_metadata() -> None:
    s3 = FakeS3()
    p = GeneratedPayload(1, 1000)
    result = upload(s3, "b", "k", p, metadata={"sha256": "x"}, settings=SETTINGS)
    assert result.parts == 1 and [c[0] for c in s3.calls] == ["PutObject"]
    assert s3.objects[("b", "k")] == (p.read_range(0, 1000), {"sha256": "x"})


def test_multipart_parts_in_order_with_bounded_concurrency() -> None:
    s3 = FakeS3()
    p = GeneratedPayload(2, 23 * MiB + 7)
    result = upload(s3, "b", "k", p, metadata={"sha256": "y"}, settings=SETTINGS)
    body, metadata = s3.objects[("b", "k")]
    assert hashlib.sha256(body).hexdigest() == p.sha256() and metadata == {"sha256": "y"}
    assert result.parts == 5
    assert 1 < s3.max_in_flight <= 3
    create = next(kw for op, kw in s3.calls if op == "CreateMultipartUpload")
    assert create["ChecksumAlgorithm"] == "CRC32" and create["Metadata"] == {"sha256": "y"}
    complete = next(kw for op, kw in s3.calls if op == "CompleteMultipartUpload")
    assert all(part["ChecksumCRC32"] for part in complete["MultipartUpload"]["Parts"])


def test_transient_part_failure_is_retried() -> None:
    s3 = FakeS3()
    s3.errors["UploadPart"] = [client_error("SlowDown", 503)]
    upload(s3, "b", "k", GeneratedPayload(2, 11 * MiB), metadata={}, settings=SETTINGS)
    assert ("b", "k") in s3.objects


def test_failed_upload_is_aborted() -> None:
    s3 = FakeS3()
    s3.errors["UploadPart"] = [client_error("AccessDenied", 403)]
    with pytest.raises(Exception, match="AccessDenied"):
        upload(s3, "b", "k", GeneratedPayload(2, 11 * MiB), metadata={}, settings=SETTINGS)
    assert any(op == "AbortMultipartUpload" for op, _ in s3.calls)
    assert not s3.uploads and ("b", "k") not in s3.objects


def test_memory_does_not_grow_with_size() -> None:
    """Peak traced allocations stay near (concurrency + 2) parts for a payload many times larger."""

    class Discarding(FakeS3):
        def upload_part(self, **kw):  # keep nothing, like a real remote store
            return {"ETag": '"e"'}

        def complete_multipart_upload(self, **kw):
            return {"ETag": '"e"'}

    s3 = Discarding()
    tracemalloc.start()
    try:
        upload(s3, "b", "k", GeneratedPayload(3, 200 * MiB), metadata={}, settings=SETTINGS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * 5 * MiB, f"peak {peak / MiB:.0f} MiB"


def test_download_in_order_and_complete() -> None:
    s3 = FakeS3()
    p = GeneratedPayload(4, 17 * MiB + 3)
    s3.objects[("b", "k")] = (p.read_range(0, p.size), {"sha256": p.sha256()})
    d = RangedDownload(s3, "b", "k", SETTINGS)
    info = d.open()
    assert info.size == p.size and info.metadata == {"sha256": p.sha256()}
    sha = hashlib.sha256()
    sizes = []
    for chunk in d.chunks():
        sha.update(chunk)
        sizes.append(len(chunk))
    assert sha.hexdigest() == p.sha256()
    assert sizes == [5 * MiB] * 3 + [2 * MiB + 3]
    ranged = [kw for op, kw in s3.calls if op == "GetObject"]
    assert all("IfMatch" in kw for kw in ranged[1:])


def test_download_empty_object() -> None:
    s3 = FakeS3()
    s3.objects[("b", "k")] = (b"", {"sha256": "e"})
    d = RangedDownload(s3, "b", "k", SETTINGS)
    assert d.open().size == 0
    assert list(d.chunks()) == []


@pytest.mark.parametrize(
    "code,status,outcome",
    [
        ("NoSuchKey", 404, Outcome.MISSING_OBJECT),
        ("NoSuchBucket", 404, Outcome.MISSING_OBJECT),
        ("AccessDenied", 403, Outcome.ACCESS_DENIED),
        ("InvalidObjectState", 403, Outcome.FETCH_FAILED),
    ],
)
def test_open_errors_become_outcomes(code: str, status: int, outcome: Outcome) -> None:
    s3 = FakeS3()
    s3.errors["GetObject"] = [client_error(code, status)]
    with pytest.raises(FetchProblem) as problem:
        RangedDownload(s3, "b", "k", SETTINGS).open()
    assert problem.value.outcome is outcome


def test_object_replaced_mid_download_is_detected() -> None:
    s3 = FakeS3()
    p = GeneratedPayload(4, 12 * MiB)
    s3.objects[("b", "k")] = (p.read_range(0, p.size), {})
    d = RangedDownload(s3, "b", "k", SETTINGS)
    chunks = d.chunks()
    next(chunks)
    s3.objects[("b", "k")] = (b"y" * p.size, {})
    with pytest.raises(FetchProblem) as problem:
        list(chunks)
    assert problem.value.outcome is Outcome.CORRUPTED and "changed" in problem.value.detail


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="part_size"):
        TransferSettings(part_size=MiB)
    with pytest.raises(ValueError, match="concurrency"):
        TransferSettings(concurrency=0)
