"""The one retry policy of the harness.

Why one place: retries hide failures, so the harness retries only what is known to heal by itself
(throttling, transient server errors, network timeouts and, when the caller says so, the short
eventual-consistency window right after a resource was created) and logs every retry at WARNING.
Everything else fails at once. Every retry loop is bounded twice: in attempts and in total time.

Composition with botocore: botocore retries on its own (``legacy`` mode: 5 attempts, ``standard``:
3). Wrapping such a client multiplies the attempts (3 botocore x 8 harness = 24 calls) and the
waits. Build clients with :func:`client_config` (botocore retries off: ``total_max_attempts=1``) so
this module is the only retry layer. Note botocore's own ``retries={"max_attempts": 1}`` means *one
retry* (two calls), not one call; ``total_max_attempts`` is the unambiguous key.

Usage::

    sqs = session.client("sqs", endpoint_url=url, config=client_config())
    retry.call("sqs.SendMessage", sqs.send_message, QueueUrl=url, MessageBody="x")
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity
from botocore import exceptions as bce
from botocore.config import Config

from harness.errors import ServiceUnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Error codes that mean "slow down" or "the service had a transient problem". Aliases some AWS
#: services use for the same conditions are included; nothing that depends on the request is.
TRANSIENT_ERROR_CODES: frozenset[str] = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)

#: Codes worth passing as ``eventually_consistent`` right after creating a queue / topic / bucket.
#: They are *not* retried unless the caller flags them: a queue that really does not exist must fail
#: fast (e.g. a client built for the wrong region also gets NonExistentQueue).
NEW_RESOURCE_NOT_YET_VISIBLE: frozenset[str] = frozenset(
    {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound", "NoSuchBucket"}
)

# Network-level failures: the request may not have reached the service, or the answer got lost.
# SSL errors are left out on purpose: a certificate problem does not heal by waiting.
_NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    bce.EndpointConnectionError,
    bce.ConnectTimeoutError,
    bce.ProxyConnectionError,
    bce.HTTPClientError,  # ReadTimeoutError, ConnectionClosedError, ResponseStreamingError
    bce.IncompleteReadError,
)
# Of those, the ones meaning "nothing answers there": exhausting them raises ServiceUnavailableError.
_UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    bce.EndpointConnectionError,
    bce.ConnectTimeoutError,
    bce.ProxyConnectionError,
    bce.ConnectionClosedError,
    bce.ReadTimeoutError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of one retried operation.

    ``max_attempts`` counts the first call. ``max_seconds`` bounds the whole operation: no retry is
    started if its wait would end after that budget. Waits are "full jitter" exponential:
    uniform(0, min(max_delay, base_delay * 2**attempt)), which spreads concurrent callers out.
    ``sleep`` is injectable so unit tests run without waiting.
    """

    max_attempts: int = 8
    max_seconds: float = 60.0
    base_delay: float = 0.2
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts counts the first call and must be >= 1")
        if self.max_seconds <= 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("max_seconds must be > 0 and delays >= 0")


DEFAULT_POLICY = RetryPolicy()


def client_config(
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 60.0,
    max_pool_connections: int = 16,
    **extra: Any,
) -> Config:
    """A botocore ``Config`` with botocore's retries off, so :func:`call` is the only retry layer.

    ``max_pool_connections`` must be at least the transfer concurrency (default 4-8), or parallel
    part uploads wait for a pooled connection. Extra keyword arguments go to ``Config`` unchanged
    (e.g. ``s3={"addressing_style": "path"}``).
    """
    return Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=max_pool_connections,
        **extra,
    )


def error_code(exc: BaseException) -> str:
    """The service error code of a ClientError (or the exception class name for anything else)."""
    if isinstance(exc, bce.ClientError):
        err = exc.response.get("Error", {}) or {}
        code = str(err.get("Code") or "")
        if code:
            return code
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return str(status) if status else type(exc).__name__
    return type(exc).__name__


def _http_status(exc: bce.ClientError) -> int:
    try:
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    except (TypeError, ValueError):
        return 0


def is_transient(exc: BaseException, eventually_consistent: Collection[str] = ()) -> bool:
    """Whether ``exc`` is worth another attempt under this policy (and nothing else is)."""
    if isinstance(exc, bce.ClientError):
        code = error_code(exc)
        query_code = str((exc.response.get("Error", {}) or {}).get("QueryErrorCode") or "")
        if code in TRANSIENT_ERROR_CODES or _http_status(exc) >= 500:
            return True
        return code in eventually_consistent or (bool(query_code) and query_code in eventually_consistent)
    if isinstance(exc, bce.SSLError):
        return False
    return isinstance(exc, _NETWORK_ERRORS)


def _endpoint_of(exc: BaseException) -> str:
    kwargs = getattr(exc, "kwargs", {}) or {}
    return str(kwargs.get("endpoint_url") or kwargs.get("url") or "the endpoint")


def call(
    operation: str,
    fn: Callable[..., T],
    *args: Any,
    policy: RetryPolicy = DEFAULT_POLICY,
    eventually_consistent: Collection[str] = (),
    **kwargs: Any,
) -> T:
    """Call ``fn(*args, **kwargs)`` under the retry policy.

    ``operation`` names the call in logs and errors (e.g. ``"s3.UploadPart"``). Pass
    ``eventually_consistent`` (e.g. :data:`NEW_RESOURCE_NOT_YET_VISIBLE`) only right after creating
    the resource the call uses. When the attempts or the time budget run out on a network failure,
    raises :class:`ServiceUnavailableError`; on any other error, re-raises the last error unchanged.
    """
    started = time.monotonic()

    def _log_retry(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s failed with %s (attempt %d of %d); retrying in %.2fs",
            operation,
            error_code(exc) if exc else "?",
            state.attempt_number,
            policy.max_attempts,
            wait,
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts) | tenacity.stop_before_delay(policy.max_seconds),
        wait=tenacity.wait_random_exponential(multiplier=policy.base_delay, max=policy.max_delay),
        retry=tenacity.retry_if_exception(lambda e: is_transient(e, eventually_consistent)),
        before_sleep=_log_retry,
        sleep=policy.sleep,
        reraise=True,
    )
    try:
        return retrying(fn, *args, **kwargs)
    except _UNREACHABLE_ERRORS as exc:
        attempts = retrying.statistics.get("attempt_number", 1)
        elapsed = time.monotonic() - started
        raise ServiceUnavailableError(
            f"{operation}: {_endpoint_of(exc)} is unreachable ({type(exc).__name__}: {exc}) after "
            f"{attempts} attempt(s) over {elapsed:.1f}s. Check that LocalStack is running "
            "(`harness emulator status`) or that the endpoint URL / network route to AWS is right."
        ) from exc

