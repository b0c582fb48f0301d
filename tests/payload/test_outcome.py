"""The verdict rules."""

from __future__ import annotations

from harness.payload.generator import GeneratedPayload
from harness.payload.outcome import Expected, Outcome, judge

SHA = "ab" * 32


def v(bytes_read: int, actual: str, size: int | None, sha: str | None) -> Outcome:
    return judge(
        bytes_read=bytes_read,
        actual_sha256=actual,
        expected_size=size,
        size_source="caller" if size is not None else None,
        expected_sha256=sha,
        sha256_source="caller" if sha else None,
        offloaded=True,
    ).outcome


def test_rules() -> None:
    assert v(10, SHA, 10, SHA) is Outcome.INTACT
    assert v(10, SHA, None, SHA.upper()) is Outcome.INTACT
    assert v(10, "cd" * 32, 10, SHA) is Outcome.CORRUPTED
    assert v(9, SHA, 10, SHA) is Outcome.TRUNCATED
    assert v(9, "cd" * 32, 10, SHA) is Outcome.TRUNCATED, "size says more than the hash"
    assert v(11, SHA, 10, None) is Outcome.CORRUPTED
    assert v(10, SHA, 10, None) is Outcome.UNVERIFIED
    assert v(10, SHA, None, None) is Outcome.UNVERIFIED
    assert Outcome.INTACT.ok and Outcome.UNVERIFIED.ok and not Outcome.CORRUPTED.ok


def test_details_explain() -> None:
    verdict = judge(
        bytes_read=9, actual_sha256=SHA, expected_size=10, size_source="ExtendedPayloadSize",
        expected_sha256=None, sha256_source=None, offloaded=True, bucket="b", key="k",
    )
    assert verdict.detail == "read 9 of 10 bytes (expected per ExtendedPayloadSize)"
    assert (verdict.bucket, verdict.key, verdict.ok) == ("b", "k", False)


def test_expected_of_a_payload() -> None:
    p = GeneratedPayload(3, 1000)
    assert Expected.of(p) == Expected(1000, p.sha256())
