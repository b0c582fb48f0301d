"""Client API faults on the harness's own clients (:mod:`.inject` does the injecting)::

    faults:
      - {kind: api_throttle, operations: [Publish], probability: 0.2, retries: standard}
      - {kind: api_error, operations: [ReceiveMessage], error: service_unavailable, count: 3}
      - {kind: api_timeout, operations: [PutObject, UploadPart], after: 2s, count: 1}
      - {kind: api_reset, operations: [SendMessageBatch], probability: 0.1}
      - {kind: api_latency, operations: [Publish], delay: 200ms, from: 2s, for: 5s}
      - {kind: publish_crash, count: 1}          # the publisher dies after its upload, before its publish

``retries:`` is the retry policy of the scenario's publishers while the fault is on: ``kit`` (the
kit's own, the default), ``standard`` (the AWS SDKs' standard mode: 3 attempts) or ``off`` (the
first error stands: what the retries hid shows as messages not sent, i.e. lost).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from harness import retry
from harness.scenario.faults.base import API, Fault, LiveFault
from harness.scenario.faults.inject import ERRORS, OPERATIONS, PUBLISHING, Effect, Injector
from harness.scenario.faults.when import When
from harness.scenario.format.units import read_duration
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.expectations.base import ReadContext, RunContext

RETRY_MODES: dict[str, retry.RetryPolicy | None] = {"kit": None, "standard": retry.STANDARD_MODE, "off": retry.NO_RETRIES}
OPS_HINT = f"name operations of {', '.join(OPERATIONS)}, e.g. operations: [Publish]"


def _operations(f: dict[str, Node], default: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if "operations" not in f:
        if default is None:
            return None
        return default
    ops = f["operations"].string_list(what="operation", hint=OPS_HINT)
    if ops is None:
        return None
    bad = [(op, node) for op, node in ops if op not in OPERATIONS]
    for op, node in bad:
        node.problem(f"{op} is not an operation the harness's clients call; {OPS_HINT}")
    return None if bad or not ops else tuple(op for op, _ in ops)


def _retries(f: dict[str, Node]) -> str | None:
    if "retries" not in f:
        return "kit"
    if f["retries"].kind == "scalar" and str(f["retries"].raw).lower() in ("off", "false"):
        return "off"  # YAML reads a bare off as a boolean: taken as meant
    mode = f["retries"].string(what="retry mode", hint="write retries: kit, standard or off")
    if mode is not None and mode not in RETRY_MODES:
        f["retries"].problem(f"{mode} is not a retry mode; write retries: kit (the kit's policy), standard (3 attempts) or off")
        return None
    return mode


@dataclass(frozen=True)
class ApiFault(Fault):
    """Shared by the API faults: the operations it strikes and the retry mode while it is on."""

    operations: tuple[str, ...]
    retries: str
    when: When
    line: int = field(default=0, compare=False)

    family: ClassVar[str] = API
    keys: ClassVar[tuple[str, ...]] = ("operations", "retries")
    required: ClassVar[tuple[str, ...]] = ("operations",)
    default_operations: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def read(cls, r: ReadContext, f: dict[str, Node], when: When, line: int) -> Fault | None:
        ops, mode = _operations(f, cls.default_operations), _retries(f)
        extra = cls.read_extra(f)
        if ops is None or mode is None or extra is None:
            return None
        return cls.build(ops, mode, when, line, extra)

    @classmethod
    def read_extra(cls, f: dict[str, Node]) -> float | str | None:
        return 0.0

    @classmethod
    def build(cls, ops: tuple[str, ...], mode: str, when: When, line: int, extra: float | str) -> ApiFault:
        return cls(ops, mode, when, line)

    def where(self) -> str:
        return ", ".join(f"{OPERATIONS[op]}.{op}" for op in self.operations)

    def effect(self) -> Effect:
        raise NotImplementedError

    def start(self, live: LiveFault, run: RunContext) -> AbstractContextManager[None] | None:
        return _installed(self, live, run)


@contextmanager
def _installed(fault: ApiFault, live: LiveFault, run: RunContext) -> Iterator[None]:
    injector = run.share().get("injector")
    assert isinstance(injector, Injector)
    effect = fault.effect()

    def rule(service: str, operation: str, cids: list[str]) -> Effect | None:
        if operation not in fault.operations or not live.trigger.fire():
            return None
        live.log.opened()
        live.log.note("injected")
        for cid in cids:  # the messages the struck call carried: retried, or not published in the end
            live.log.mark(cid, f"publish call hit by {fault.kind}")
        return effect

    injector.rules.append(rule)
    sessions = run.sessions()
    policy = RETRY_MODES[fault.retries]
    before = sessions.retry_override
    if policy is not None:
        sessions.retry_override = policy
    try:
        yield
    finally:
        injector.rules.remove(rule)
        sessions.retry_override = before
        live.log.closed()


@dataclass(frozen=True)
class ApiThrottle(ApiFault):
    kind = "api_throttle"
    summary = "the call is throttled as AWS throttles it (SNS Throttling, SQS RequestThrottled, S3 SlowDown)"

    def what(self) -> str:
        return "throttled (400 Throttling / RequestThrottled, 503 SlowDown on S3)"

    def effect(self) -> Effect:
        return Effect(error="throttling")


@dataclass(frozen=True)
class ApiError(ApiFault):
    error: str = "internal_error"
    kind = "api_error"
    keys = ("operations", "retries", "error")
    summary = "the call fails on the service's side: 500 InternalError or 503 ServiceUnavailable"

    @classmethod
    def read_extra(cls, f: dict[str, Node]) -> float | str | None:
        if "error" not in f:
            return "internal_error"
        error = f["error"].string(what="error", hint="write error: internal_error or service_unavailable")
        if error is not None and error not in ERRORS or error == "throttling":
            f["error"].problem(f"{error} is not a server error; write error: internal_error (500) or service_unavailable (503)")
            return None
        return error

    @classmethod
    def build(cls, ops: tuple[str, ...], mode: str, when: When, line: int, extra: float | str) -> ApiFault:
        return cls(ops, mode, when, line, str(extra))

    def what(self) -> str:
        return f"answered {ERRORS[self.error][0]} {ERRORS[self.error][1]['query']}"

    def effect(self) -> Effect:
        return Effect(error=self.error)


@dataclass(frozen=True)
class ApiTimeout(ApiFault):
    after: float = 1.0
    kind = "api_timeout"
    keys = ("operations", "retries", "after")
    summary = "no answer: the read times out after `after` (botocore's ReadTimeoutError)"

    @classmethod
    def read_extra(cls, f: dict[str, Node]) -> float | str | None:
        return read_duration(f["after"]) if "after" in f else 1.0

    @classmethod
    def build(cls, ops: tuple[str, ...], mode: str, when: When, line: int, extra: float | str) -> ApiFault:
        return cls(ops, mode, when, line, float(extra))

    def what(self) -> str:
        return f"read timeout after {self.after:g}s"

    def effect(self) -> Effect:
        return Effect(raise_="timeout", delay=self.after)


@dataclass(frozen=True)
class ApiReset(ApiFault):
    kind = "api_reset"
    summary = "the connection is reset before an answer (botocore's ConnectionClosedError)"

    def what(self) -> str:
        return "connection reset"

    def effect(self) -> Effect:
        return Effect(raise_="reset")


@dataclass(frozen=True)
class ApiLatency(ApiFault):
    delay: float = 0.1
    kind = "api_latency"
    keys = ("operations", "retries", "delay")
    required = ("operations", "delay")
    summary = "the call is answered, `delay` later"

    @classmethod
    def read_extra(cls, f: dict[str, Node]) -> float | str | None:
        return read_duration(f["delay"]) if "delay" in f else None

    @classmethod
    def build(cls, ops: tuple[str, ...], mode: str, when: When, line: int, extra: float | str) -> ApiFault:
        return cls(ops, mode, when, line, float(extra))

    def what(self) -> str:
        return f"{self.delay * 1000:g} ms added"

    def effect(self) -> Effect:
        return Effect(delay=self.delay)


@dataclass(frozen=True)
class PublishCrash(ApiFault):
    kind = "publish_crash"
    keys = ("operations",)
    required = ()
    default_operations = PUBLISHING
    summary = ("the publishing process dies after its payload upload, before its publish: nothing cleans the "
               "object up (orphaned_payloads finds it)")

    def what(self) -> str:
        return "the publisher crashes after its upload, before the publish (no cleanup)"

    def effect(self) -> Effect:
        return Effect(raise_="crash")


API_FAULTS: tuple[type[Fault], ...] = (ApiThrottle, ApiError, ApiTimeout, ApiReset, ApiLatency, PublishCrash)
