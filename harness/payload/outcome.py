"""What happened to one payload, as a value: ``Verdict(outcome, details)``.

Why values and not exceptions: a scenario run sends thousands of messages and must count every kind
of damage, so a missing object or a corrupted byte is a result to report, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from harness.payload.source import PayloadSource


class Outcome(str, Enum):
    """The possible results of consuming one payload."""

    INTACT = "intact"  # size and sha256 match an expectation
    UNVERIFIED = "unverified"  # read completely, but no sha256 to compare with (size may match)
    CORRUPTED = "corrupted"  # sha256 mismatch, longer than expected, or changed while read
    TRUNCATED = "truncated"  # fewer bytes than ExtendedPayloadSize / the expected size
    MISSING_OBJECT = "missing_object"  # NoSuchKey / NoSuchBucket
    UNREADABLE_POINTER = "unreadable_pointer"  # bad JSON, wrong shape, unknown class name
    ACCESS_DENIED = "access_denied"  # S3 said 403 / AccessDenied
    DECRYPT_FAILED = "decrypt_failed"  # SSE-KMS: KMS refused the reader (key policy, disabled/deleted key)
    FETCH_FAILED = "fetch_failed"  # any other S3 error (after retries for transient ones)

    @property
    def ok(self) -> bool:
        """True for outcomes where the payload arrived whole (verified or not)."""
        return self in (Outcome.INTACT, Outcome.UNVERIFIED)


@dataclass(frozen=True)
class Expected:
    """What the caller knows about the payload; either field may be unknown.

    Messages from the official libraries carry no sha256, so pass it here, e.g.
    ``Expected.of(GeneratedPayload(seed, size))``. A caller's expectation wins over what the
    producer declared (attribute / metadata) because the caller knows what was meant to be sent.
    """

    size: int | None = None
    sha256: str | None = None

    @classmethod
    def of(cls, source: PayloadSource) -> Expected:
        """Size and sha256 of a payload source (GeneratedPayload, BytesPayload)."""
        return cls(size=source.size, sha256=source.sha256())


@dataclass(slots=True)
class Verdict:
    """The outcome of one payload plus everything needed to explain it in a report.

    A value, though not frozen: one is made per received message, and a frozen dataclass's
    ``__init__`` (each field through ``object.__setattr__``) costs a burst ~1 µs a message more.
    """

    outcome: Outcome
    detail: str
    bytes_read: int = 0
    expected_size: int | None = None
    size_source: str | None = None  # "caller" | "ExtendedPayloadSize" | "SQSLargePayloadSize"
    expected_sha256: str | None = None
    sha256_source: str | None = None  # "caller" | "s3-metadata" | "message-attribute"
    actual_sha256: str | None = None
    offloaded: bool = False
    bucket: str | None = None
    key: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome.ok


def judge(
    *,
    bytes_read: int,
    actual_sha256: str,
    expected_size: int | None,
    size_source: str | None,
    expected_sha256: str | None,
    sha256_source: str | None,
    offloaded: bool,
    bucket: str | None = None,
    key: str | None = None,
) -> Verdict:
    """The verdict of a payload that was read to its end.

    Order of checks: fewer bytes than expected is TRUNCATED (even if a sha256 is also known, the
    size says more); more bytes or a sha256 mismatch is CORRUPTED; a sha256 match is INTACT; with
    no sha256 to compare the payload is UNVERIFIED (the detail says whether the size matched).
    """

    def verdict(outcome: Outcome, detail: str) -> Verdict:
        return Verdict(
            outcome,
            detail,
            bytes_read=bytes_read,
            expected_size=expected_size,
            size_source=size_source,
            expected_sha256=expected_sha256,
            sha256_source=sha256_source,
            actual_sha256=actual_sha256,
            offloaded=offloaded,
            bucket=bucket,
            key=key,
        )

    if expected_size is not None and bytes_read < expected_size:
        return verdict(Outcome.TRUNCATED, f"read {bytes_read} of {expected_size} bytes (expected per {size_source})")
    if expected_size is not None and bytes_read > expected_size:
        return verdict(Outcome.CORRUPTED, f"read {bytes_read} bytes, more than {expected_size} (per {size_source})")
    if expected_sha256:
        if actual_sha256.lower() == expected_sha256.lower():
            return verdict(Outcome.INTACT, f"{bytes_read} bytes, sha256 matches ({sha256_source})")
        return verdict(Outcome.CORRUPTED, f"sha256 mismatch against {sha256_source}")
    if expected_size is not None:
        detail = f"{bytes_read} bytes as expected per {size_source}; no sha256 to compare"
    else:
        detail = f"{bytes_read} bytes; neither size nor sha256 known to compare"
    return verdict(Outcome.UNVERIFIED, detail)


def failed(
    outcome: Outcome,
    detail: str,
    *,
    offloaded: bool,
    bucket: str | None = None,
    key: str | None = None,
    bytes_read: int = 0,
    expected_size: int | None = None,
    size_source: str | None = None,
) -> Verdict:
    """A verdict for a payload that could not be read to its end (missing, denied, bad pointer)."""
    return Verdict(
        outcome,
        detail,
        bytes_read=bytes_read,
        expected_size=expected_size,
        size_source=size_source,
        offloaded=offloaded,
        bucket=bucket,
        key=key,
    )
