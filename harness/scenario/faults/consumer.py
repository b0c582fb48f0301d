"""Consumer faults: the harness's own consumer of a queue misbehaves (its receivers are
:mod:`harness.scenario.execute.receive_pool`; the fault is a
:class:`~harness.scenario.execute.watch.ConsumerBehaviour` on the queue's watch)::

    faults:
      - {kind: consumer_crash, queue: b-eu, count: 3}          # processed, crashed before the delete
      - {kind: consumer_slow, queue: b-eu, delay: 35s, count: 1}   # deletes after the visibility timeout
      - {kind: consumer_reject, queue: b-eu, times: 2}         # gives each message back twice, then takes it
      - {kind: consumer_stop, queue: b-eu, from: 0s, for: 10s}     # no receive at all for a while

Each message of the scenario a receiver gets is one chance of the fault (``count``, ``probability``,
``from``/``for``). A crash records the delivery (the message was processed) and never deletes it:
SQS hands it out again after the queue's visibility timeout, and the second delivery is a duplicate
(at-least-once). A slow consumer deletes ``delay`` after receiving: past the visibility timeout the
message is delivered again meanwhile. A rejecting consumer sets the message's visibility to 0
``times`` times before it takes it (``times`` ≥ the redrive's max_receive_count: the message goes to
the dead-letter queue instead). A stopped consumer's receivers do not poll: a backlog, then a drain.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar

from harness import retry
from harness.payload.message import ReceivedMessage
from harness.scenario.execute.watch import MINE, QueueWatch, ack
from harness.scenario.faults.base import CONSUMER, Fault, LiveFault
from harness.scenario.faults.when import When
from harness.scenario.format.sends import queue_ref
from harness.scenario.format.units import read_duration
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext
    from harness.scenario.expectations.base import ReadContext, RunContext, Watch


REDELIVERY_MARGIN_SECONDS = 5.0  # after the visibility timeout, until the message is received again


@dataclass(frozen=True)
class ConsumerFault(Fault):
    queue: str
    when: When
    line: int = field(default=0, compare=False)
    visibility: int = field(default=30, compare=False)  # the queue's visibility timeout (s): when a message comes back

    family: ClassVar[str] = CONSUMER
    keys: ClassVar[tuple[str, ...]] = ("queue",)
    required: ClassVar[tuple[str, ...]] = ("queue",)

    @classmethod
    def read(cls, r: ReadContext, f: dict[str, Node], when: When, line: int) -> Fault | None:
        queue = queue_ref(r.topology, f["queue"])
        extra = cls.read_extra(r, f, queue)
        if queue is None or extra is None:
            return None
        fault = cls.build(queue, when, line, extra)
        return replace(fault, visibility=r.topology.queues[queue].visibility_timeout)

    @classmethod
    def read_extra(cls, r: ReadContext, f: dict[str, Node], queue: str | None) -> float | None:
        return 0.0

    @classmethod
    def build(cls, queue: str, when: When, line: int, extra: float) -> ConsumerFault:
        return cls(queue, when, line)

    def where(self) -> str:
        return f"consumer of queue {self.queue}"

    def watches(self) -> list[Watch]:
        from harness.scenario.expectations.base import Watch  # not at the top: the expectations import the faults

        return [Watch(self.queue)]

    def start(self, live: LiveFault, run: RunContext) -> AbstractContextManager[None] | None:
        return _on_watch(run.watch(self.queue), live)

    def take(self, live: LiveFault, watch: QueueWatch, msg: ReceivedMessage, state: _QueueFaults) -> bool:
        """Act on one of the scenario's messages; True when the fault took it (no normal handling)."""
        return False

    def cost(self, c: CostContext) -> None:
        c.receive(self.queue, times=2)  # every fault-struck message is received again


class _QueueFaults:
    """The consumer faults of one queue, as the watch's behaviour."""

    def __init__(self) -> None:
        self.live: list[LiveFault] = []
        self.rejections: dict[str, int] = defaultdict(int)
        self.rejecting: set[str] = set()
        self.pending: list[threading.Timer] = []
        self.lock = threading.Lock()

    def paused(self) -> bool:
        stopped = [lf for lf in self.live if isinstance(lf.fault, ConsumerStop) and lf.trigger.in_window()]
        for lf in stopped:
            if lf.log.applied_at is None:
                lf.log.opened()
                lf.log.note("stopped")
        for lf in self.live:
            if isinstance(lf.fault, ConsumerStop) and lf.log.applied_at is not None and not lf.trigger.in_window():
                lf.log.closed()
        return bool(stopped)

    def intercept(self, watch: QueueWatch, messages: list[ReceivedMessage]) -> list[ReceivedMessage]:
        rest = []
        for msg in messages:
            if watch.classify(msg) != MINE or not any(lf.fault.take(lf, watch, msg, self) for lf in self.live
                                                        if isinstance(lf.fault, ConsumerFault)):
                rest.append(msg)
        return rest

    def finish(self) -> None:
        """The scenario is over: a slow consumer's deletes still pending are done now."""
        with self.lock:
            pending, self.pending = self.pending, []
        for timer in pending:
            timer.cancel()
            timer.function(*timer.args, **timer.kwargs)


@contextmanager
def _on_watch(watch: QueueWatch, live: LiveFault) -> Iterator[None]:
    state = watch.behaviour if isinstance(watch.behaviour, _QueueFaults) else _QueueFaults()
    state.live.append(live)
    watch.behaviour = state
    try:
        yield
    finally:
        state.live.remove(live)
        live.log.closed()
        if not state.live:
            watch.behaviour = None
            state.finish()


@dataclass(frozen=True)
class ConsumerCrash(ConsumerFault):
    kind = "consumer_crash"
    summary = "the consumer processes a message and crashes before deleting it: redelivered after the visibility timeout"

    def what(self) -> str:
        return "crash after receive (processed), before delete"

    def settle_seconds(self) -> float:
        return self.visibility + REDELIVERY_MARGIN_SECONDS

    def take(self, live: LiveFault, watch: QueueWatch, msg: ReceivedMessage, state: _QueueFaults) -> bool:
        if not live.trigger.fire():
            return False
        live.log.opened()
        watch.record(watch.check(msg))  # processed: the side effect happened, the delete never will
        live.log.note("crashed", msg.correlation_id)
        return True


@dataclass(frozen=True)
class ConsumerSlow(ConsumerFault):
    delay: float = 35.0
    kind = "consumer_slow"
    keys = ("queue", "delay")
    required = ("queue", "delay")
    summary = "the consumer takes `delay` per message: past the visibility timeout it is delivered a second time"

    @classmethod
    def read_extra(cls, r: ReadContext, f: dict[str, Node], queue: str | None) -> float | None:
        return read_duration(f["delay"]) if "delay" in f else None

    @classmethod
    def build(cls, queue: str, when: When, line: int, extra: float) -> ConsumerFault:
        return cls(queue, when, line, delay=extra)

    def what(self) -> str:
        return f"takes {self.delay:g}s per message before deleting it"

    def settle_seconds(self) -> float:
        return min(self.delay, self.visibility) + REDELIVERY_MARGIN_SECONDS

    def take(self, live: LiveFault, watch: QueueWatch, msg: ReceivedMessage, state: _QueueFaults) -> bool:
        if not live.trigger.fire():
            return False
        live.log.opened()
        watch.record(watch.check(msg))
        live.log.note("slow", msg.correlation_id)
        timer = threading.Timer(self.delay, ack, args=(watch.consumer, watch.name, msg, False))
        timer.daemon = True
        with state.lock:
            state.pending.append(timer)
        timer.start()
        return True


@dataclass(frozen=True)
class ConsumerReject(ConsumerFault):
    times: int = 1
    kind = "consumer_reject"
    keys = ("queue", "times")
    summary = "the consumer gives a message back (visibility 0) `times` times before taking it"

    @classmethod
    def read_extra(cls, r: ReadContext, f: dict[str, Node], queue: str | None) -> float | None:
        times = f["times"].integer(min=1, max=1000, hint="e.g. times: 2") if "times" in f else 1
        return None if times is None else float(times)

    @classmethod
    def build(cls, queue: str, when: When, line: int, extra: float) -> ConsumerFault:
        return cls(queue, when, line, times=int(extra))

    def what(self) -> str:
        return f"rejects each struck message {self.times} time{'s' if self.times != 1 else ''} (visibility 0)"

    def take(self, live: LiveFault, watch: QueueWatch, msg: ReceivedMessage, state: _QueueFaults) -> bool:
        cid = msg.correlation_id or ""
        with state.lock:
            if cid not in state.rejecting and state.rejections[cid] == 0:
                if not live.trigger.fire():
                    return False
                state.rejecting.add(cid)
            if cid not in state.rejecting or state.rejections[cid] >= self.times:
                return False
            state.rejections[cid] += 1
        live.log.opened()
        consumer = watch.consumer
        retry.call("sqs.ChangeMessageVisibility", consumer.sqs.change_message_visibility, policy=consumer.settings.retry,
                   QueueUrl=consumer.queue_url, ReceiptHandle=msg.receipt_handle, VisibilityTimeout=0)
        live.log.note("rejected", cid)
        return True

    def cost(self, c: CostContext) -> None:
        c.receive(self.queue, times=self.times + 1)


@dataclass(frozen=True)
class ConsumerStop(ConsumerFault):
    kind = "consumer_stop"
    summary = "the consumer stops receiving from `from` for `for`: a backlog builds, then drains"

    def what(self) -> str:
        return "stops receiving" + (f" for {self.when.duration:g}s" if self.when.duration is not None else "")


CONSUMER_FAULTS: tuple[type[Fault], ...] = (ConsumerCrash, ConsumerSlow, ConsumerReject, ConsumerStop)
