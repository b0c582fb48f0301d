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

What AWS does that the emulator hides, and how each is classified (the class is logged with the
error code on every retry):

- **throttled** — bursts meet ``Throttling`` / ``ThrottlingException`` (SNS), ``RequestThrottled``
  (SQS), ``SlowDown`` (S3), ``KmsThrottled`` …: backed off within the call's :class:`RetryPolicy`;
- **transient** — 5xx and network failures: the same;
- **settling** (:class:`Settle`, opt-in per call or per policy) — what becomes consistent after a
  change: :data:`PROPAGATION` (IAM and resource/key policies right after an apply: the first sends
  may be ``AccessDenied`` / ``AuthorizationError`` / ``KMS.AccessDeniedException`` for seconds to a
  minute) and :data:`NEW_QUEUE` (``AWS.SimpleQueueService.NonExistentQueue`` right after a queue was
  created). Each has its own bounds, longer than throttling's; when they run out the error is real
  and is raised unchanged, after one line saying so. A policy that settles is built by composition:
  ``DEFAULT_POLICY.settling(PROPAGATION, NEW_QUEUE)`` (:data:`AFTER_APPLY`).

Who counts: :func:`observe` hears of every retry and give-up (a scenario's faults report them per
operation and error code: :mod:`harness.scenario.faults`). :data:`STANDARD_MODE` and
:data:`NO_RETRIES` are the policies a fault's ``retries: standard | off`` puts on the publishers.

Usage::

    sqs = session.client("sqs", endpoint_url=url, config=client_config())
    retry.call("sqs.SendMessage", sqs.send_message, QueueUrl=url, MessageBody="x")
    retry.call("sns.Publish", sns.publish, policy=retry.AFTER_APPLY, TopicArn=arn, Message="x")
"""

from __future__ import annotations

import dataclasses
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

#: Error codes that mean "slow down": SNS ``Throttling``, SQS ``RequestThrottled`` (query protocol) /
#: ``ThrottlingException`` (JSON), S3 ``SlowDown`` (503), KMS behind SQS/SNS encryption.
THROTTLING_CODES: frozenset[str] = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "KmsThrottled",
        "KMSThrottling",
        "KMS.ThrottlingException",
    }
)

#: Error codes that mean "slow down" or "the service had a transient problem". Aliases some AWS
#: services use for the same conditions are included; nothing that depends on the request is.
TRANSIENT_ERROR_CODES: frozenset[str] = THROTTLING_CODES | frozenset(
    {
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

#: Denials that, right after an apply, mean "the new role / policy / key grant has not propagated
#: yet": S3 and STS ``AccessDenied``, SQS (JSON) ``AccessDeniedException``, SNS ``AuthorizationError``,
#: KMS grants behind encrypted queues and topics. Retried only under :data:`PROPAGATION`.
PROPAGATION_CODES: frozenset[str] = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "KMS.AccessDeniedException",
        "KmsAccessDenied",
        "KMSAccessDenied",
    }
)


@dataclass(frozen=True)
class Settle:
    """A bounded wait for something AWS makes consistent after a change.

    ``codes``: the error codes that mean "not yet"; ``max_attempts`` / ``max_seconds``: the wait's
    own bounds (counted from the call's first attempt); waits are full-jitter exponential from
    ``base_delay`` up to ``max_delay``.
    """

    reason: str
    codes: frozenset[str]
    max_attempts: int = 16
    max_seconds: float = 90.0
    base_delay: float = 1.0
    max_delay: float = 10.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_seconds <= 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("a Settle needs max_attempts >= 1, max_seconds > 0 and delays >= 0")


#: IAM, resource-policy and key-policy propagation after an apply (AWS documents "eventually
#: consistent"; a minute covers what is usually seen, 90 s bounds it).
PROPAGATION = Settle("IAM/policy propagation after apply", PROPAGATION_CODES)
#: A queue created moments ago is not yet visible to every SQS host.
NEW_QUEUE = Settle(
    "new queue not yet visible",
    frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}),
    max_attempts=10,
    max_seconds=30.0,
    base_delay=0.5,
    max_delay=5.0,
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
    settle: tuple[Settle, ...] = ()  # waits for what becomes consistent (see Settle)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts counts the first call and must be >= 1")
        if self.max_seconds <= 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("max_seconds must be > 0 and delays >= 0")

    def settling(self, *waits: Settle) -> RetryPolicy:
        """This policy, also waiting out ``waits`` (composition: each keeps its own bounds)."""
        return dataclasses.replace(self, settle=self.settle + tuple(w for w in waits if w not in self.settle))


DEFAULT_POLICY = RetryPolicy()
#: No retries at all: the first error stands (a scenario's ``retries: off``, to show what the
#: kit's retries hide).
NO_RETRIES = RetryPolicy(max_attempts=1)
#: The AWS SDKs' ``standard`` retry mode: 3 attempts, full-jitter backoff from 0.1 s capped at 20 s.
STANDARD_MODE = RetryPolicy(max_attempts=3, max_seconds=60.0, base_delay=0.1, max_delay=20.0)

#: Who hears of every retry and every give-up: ``(operation, error code, what)`` with ``what`` one of
#: ``"retry"`` and ``"gave up"`` (a scenario's faults count them: :mod:`harness.scenario.faults`).
RetryObserver = Callable[[str, str, str], None]
_observers: list[RetryObserver] = []


def observe(observer: RetryObserver) -> Callable[[], None]:
    """Tell ``observer`` of every retry and give-up from now on; returns the function that stops it."""
    _observers.append(observer)
    return lambda: _observers.remove(observer) if observer in _observers else None


def _notify(operation: str, code: str, what: str) -> None:
    for observer in list(_observers):
        observer(operation, code, what)
#: Calls made right after an apply on AWS: throttling and transient errors as usual, plus the
#: IAM/policy propagation and new-queue visibility waits.
AFTER_APPLY = DEFAULT_POLICY.settling(PROPAGATION, NEW_QUEUE)


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


def _codes(exc: bce.ClientError) -> set[str]:
    """The error code and, for SQS's JSON protocol, the legacy query code (NonExistentQueue)."""
    query_code = str((exc.response.get("Error", {}) or {}).get("QueryErrorCode") or "")
    return {error_code(exc)} | ({query_code} if query_code else set())


THROTTLED, TRANSIENT, NETWORK, NOT_YET_VISIBLE = "throttled", "transient", "network", "not yet visible"


def classify(exc: BaseException, eventually_consistent: Collection[str] = (), settle: tuple[Settle, ...] = ()) -> str | Settle | None:
    """Why ``exc`` is worth another attempt — a class name, or the :class:`Settle` it waits out —
    or None: it is not, and fails at once."""
    if isinstance(exc, bce.ClientError):
        codes = _codes(exc)
        if codes & THROTTLING_CODES:
            return THROTTLED
        if codes & TRANSIENT_ERROR_CODES or _http_status(exc) >= 500:
            return TRANSIENT
        for wait in settle:
            if codes & wait.codes:
                return wait
        return NOT_YET_VISIBLE if codes & set(eventually_consistent) else None
    if isinstance(exc, bce.SSLError):
        return None
    return NETWORK if isinstance(exc, _NETWORK_ERRORS) else None


def is_transient(exc: BaseException, eventually_consistent: Collection[str] = ()) -> bool:
    """Whether ``exc`` is worth another attempt under a policy without settling waits."""
    return classify(exc, eventually_consistent) is not None


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
    the resource the call uses, or a policy that settles (:data:`AFTER_APPLY`). Throttling,
    transient and eventual errors are bounded by ``policy``; a settling wait by its own bounds.
    When the attempts or the time budget run out on a network failure, raises
    :class:`ServiceUnavailableError`; on any other error, re-raises the last error unchanged.
    """
    started = time.monotonic()
    # The first attempt runs without tenacity's machinery (building it costs ~50 us a call, paid by
    # every send, receive and delete of a burst): only a failure worth retrying enters the loop
    # below, which counts that failure as its attempt 1.
    try:
        return fn(*args, **kwargs)
    except (bce.ClientError, bce.BotoCoreError) as exc:  # classified right here; anything else is raised unchanged
        if classify(exc, eventually_consistent, policy.settle) is None:
            raise
        first: list[BaseException] = [exc]

    def _attempt(*a: Any, **kw: Any) -> T:
        if first:
            raise first.pop()
        return fn(*a, **kw)

    def _why(state: tenacity.RetryCallState) -> str | Settle | None:
        exc = state.outcome.exception() if state.outcome else None
        return classify(exc, eventually_consistent, policy.settle) if exc else None

    def _bounds(why: str | Settle | None) -> tuple[int, float]:
        return (why.max_attempts, why.max_seconds) if isinstance(why, Settle) else (policy.max_attempts, policy.max_seconds)

    def _wait(state: tenacity.RetryCallState) -> float:
        why = _why(state)
        base, cap = (why.base_delay, why.max_delay) if isinstance(why, Settle) else (policy.base_delay, policy.max_delay)
        return tenacity.wait_random_exponential(multiplier=base, max=cap)(state)

    def _stop(state: tenacity.RetryCallState) -> bool:
        attempts, seconds = _bounds(_why(state))
        return state.attempt_number >= attempts or time.monotonic() - started + state.upcoming_sleep >= seconds

    def _log_retry(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        why = _why(state)
        wait = state.next_action.sleep if state.next_action else 0.0
        _notify(operation, error_code(exc) if exc else "?", "retry")
        log.warning(
            "%s failed with %s (attempt %d of %d); retrying in %.2fs (%s)",
            operation,
            error_code(exc) if exc else "?",
            state.attempt_number,
            _bounds(why)[0],
            wait,
            why.reason if isinstance(why, Settle) else why,
        )

    retrying = tenacity.Retrying(
        stop=_stop,
        wait=_wait,
        retry=tenacity.retry_if_exception(lambda e: classify(e, eventually_consistent, policy.settle) is not None),
        before_sleep=_log_retry,
        sleep=policy.sleep,
        reraise=True,
    )
    try:
        return retrying(_attempt, *args, **kwargs)
    except _UNREACHABLE_ERRORS as exc:
        _notify(operation, error_code(exc), "gave up")
        attempts = retrying.statistics.get("attempt_number", 1)
        elapsed = time.monotonic() - started
        raise ServiceUnavailableError(
            f"{operation}: {_endpoint_of(exc)} is unreachable ({type(exc).__name__}: {exc}) after "
            f"{attempts} attempt(s) over {elapsed:.1f}s. Check that LocalStack is running "
            "(`harness emulator status`) or that the endpoint URL / network route to AWS is right."
        ) from exc
    except bce.ClientError as exc:
        why = classify(exc, eventually_consistent, policy.settle)
        if why is not None:
            _notify(operation, error_code(exc), "gave up")
            attempts = retrying.statistics.get("attempt_number", 1)
            log.warning(
                "%s still failing with %s after %d attempt(s) over %.1fs (%s): giving up, the error stands",
                operation,
                error_code(exc),
                attempts,
                time.monotonic() - started,
                why.reason if isinstance(why, Settle) else why,
            )
        raise
