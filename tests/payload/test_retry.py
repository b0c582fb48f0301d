"""The one retry policy: what is retried, how often, how long, how it is logged."""

from __future__ import annotations

import logging
import time
from typing import Any

import boto3
import pytest
from botocore import exceptions as bce

from harness import retry
from harness.errors import ServiceUnavailableError
from tests.payload.fakes import client_error

FAST = retry.RetryPolicy(max_attempts=5, max_seconds=30, base_delay=0.0, max_delay=0.0, sleep=lambda s: None)


class Flaky:
    def __init__(self, *errors: BaseException):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, **kwargs: Any) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.mark.parametrize(
    "error",
    [
        client_error("Throttling"),
        client_error("ThrottlingException"),
        client_error("RequestLimitExceeded"),
        client_error("SlowDown", 503),
        client_error("ServiceUnavailable", 503),
        client_error("InternalError", 500),
        client_error("InternalFailure", 500),
        client_error("SomethingNew", 502),
        bce.ReadTimeoutError(endpoint_url="http://x"),
        bce.ConnectTimeoutError(endpoint_url="http://x"),
        bce.EndpointConnectionError(endpoint_url="http://x"),
    ],
    ids=lambda e: retry.error_code(e),
)
def test_transient_errors_are_retried_and_logged(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    fn = Flaky(error, error)
    with caplog.at_level(logging.WARNING, logger="harness.retry"):
        assert retry.call("svc.Op", fn, policy=FAST) == "ok"
    assert fn.calls == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    code = retry.error_code(error)
    assert f"svc.Op failed with {code} (attempt 1 of 5); retrying in" in warnings[0]
    assert "(attempt 2 of 5)" in warnings[1]


@pytest.mark.parametrize(
    "error",
    [
        client_error("AccessDenied", 403),
        client_error("NoSuchKey", 404),
        client_error("InvalidParameterValue"),
        client_error("AWS.SimpleQueueService.NonExistentQueue"),
        bce.SSLError(endpoint_url="http://x", error="bad cert"),
        ValueError("bug"),
    ],
    ids=lambda e: retry.error_code(e),
)
def test_everything_else_fails_at_once(error: BaseException) -> None:
    fn = Flaky(error)
    with pytest.raises(type(error)):
        retry.call("svc.Op", fn, policy=FAST)
    assert fn.calls == 1


def test_eventual_consistency_only_when_flagged() -> None:
    missing = client_error("AWS.SimpleQueueService.NonExistentQueue")
    fn = Flaky(missing, missing)
    assert retry.call("sqs.SendMessage", fn, policy=FAST, eventually_consistent=retry.NEW_RESOURCE_NOT_YET_VISIBLE) == "ok"
    assert fn.calls == 3


def test_bounded_in_attempts() -> None:
    fn = Flaky(*[client_error("Throttling")] * 10)
    with pytest.raises(bce.ClientError, match="Throttling"):
        retry.call("svc.Op", fn, policy=FAST)
    assert fn.calls == 5


def test_bounded_in_time() -> None:
    policy = retry.RetryPolicy(max_attempts=1000, max_seconds=0.3, base_delay=0.05, max_delay=0.05)
    fn = Flaky(*[client_error("SlowDown", 503)] * 1000)
    started = time.monotonic()
    with pytest.raises(bce.ClientError):
        retry.call("s3.PutObject", fn, policy=policy)
    assert time.monotonic() - started < 0.6
    assert 2 <= fn.calls < 1000


def test_waits_grow_with_jitter_and_cap() -> None:
    waits: list[float] = []
    policy = retry.RetryPolicy(max_attempts=8, max_seconds=1e6, base_delay=1.0, max_delay=4.0, sleep=waits.append)
    with pytest.raises(bce.ClientError):
        retry.call("svc.Op", Flaky(*[client_error("Throttling")] * 8), policy=policy)
    assert len(waits) == 7
    assert all(0 <= w <= 4.0 for w in waits)
    assert len(set(waits)) > 1, "jittered"


def test_exhausted_connection_failure_is_service_unavailable() -> None:
    fn = Flaky(*[bce.EndpointConnectionError(endpoint_url="http://127.0.0.1:1")] * 10)
    with pytest.raises(ServiceUnavailableError, match=r"http://127.0.0.1:1 is unreachable.*5 attempt.*LocalStack is running"):
        retry.call("sqs.SendMessage", fn, policy=FAST)


def test_client_config_turns_botocore_retries_off() -> None:
    """One harness attempt = one HTTP request, against a port where nothing listens."""
    config = retry.client_config(connect_timeout=0.5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    client = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1").client(
        "sqs", endpoint_url="http://127.0.0.1:9", config=config
    )
    sends: list[str] = []
    client.meta.events.register("before-send.sqs.*", lambda **kw: sends.append("x"))
    policy = retry.RetryPolicy(max_attempts=3, max_seconds=10, base_delay=0.01, max_delay=0.01)
    with pytest.raises(ServiceUnavailableError, match="unreachable"):
        retry.call("sqs.ListQueues", client.list_queues, policy=policy)
    assert len(sends) == 3


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        retry.RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        retry.RetryPolicy(max_seconds=0)
