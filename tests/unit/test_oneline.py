"""Errors reach a scenario's failures as one readable line (issue 9, defect 9)."""

from __future__ import annotations

import pytest
from botocore import exceptions as bce

from harness import retry
from harness.errors import HarnessError, ServiceUnavailableError
from harness.scenario.execute.oneline import MAX_CHARS, clean, one_line, origin

PART_URL = "http://127.0.0.1:4567/payloads/5b0c1f3e-9d2a?partNumber=3&uploadId=QmFzZTY0VXBsb2FkSWQ" + "x" * 120


def _unreachable_after_retries(error: BaseException) -> ServiceUnavailableError:
    def fail(**_kwargs):
        raise error

    with pytest.raises(ServiceUnavailableError) as caught:
        retry.call("s3.UploadPart", fail, policy=retry.RetryPolicy(max_attempts=3, sleep=lambda _s: None))
    return caught.value


def test_unreachable_endpoint_is_one_line_with_the_origin_once() -> None:
    err = _unreachable_after_retries(bce.EndpointConnectionError(endpoint_url=PART_URL))
    assert str(err).count("uploadId") == 2  # the defect: the retry layer's message repeats the URL
    line = one_line(err)
    assert line.startswith("endpoint unreachable: cannot reach http://127.0.0.1:4567 (s3.UploadPart, connection refused, 3 attempt(s) over ")
    assert "uploadId" not in line and "?" not in line and "\n" not in line
    assert line.count("http://127.0.0.1:4567") == 1


def test_connection_closed_is_named_and_found_through_a_wrapping_error() -> None:
    try:
        try:
            raise bce.ConnectionClosedError(endpoint_url=PART_URL)
        except bce.ConnectionClosedError as inner:
            raise HarnessError("consumer failed") from inner
    except HarnessError as outer:
        line = one_line(outer)
    assert line.startswith("endpoint unreachable: cannot reach http://127.0.0.1:4567 (connection closed)")


def test_other_errors_lose_query_strings_and_line_breaks() -> None:
    text = f'PutObject failed:\n  "{PART_URL}"\n\tsee {PART_URL}#frag'
    assert clean(text) == 'PutObject failed: "http://127.0.0.1:4567/payloads/5b0c1f3e-9d2a" see http://127.0.0.1:4567/payloads/5b0c1f3e-9d2a'
    long = one_line(HarnessError("x" * 2000))
    assert len(long) == MAX_CHARS and long.endswith("…")
    assert one_line(HarnessError("")) == "HarnessError"


def test_origin() -> None:
    assert origin(PART_URL) == "http://127.0.0.1:4567"
    assert origin("https://sqs.eu-west-1.amazonaws.com/123/q") == "https://sqs.eu-west-1.amazonaws.com"
