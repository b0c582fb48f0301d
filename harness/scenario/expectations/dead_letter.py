"""``dead_letter:``: a consumer on ``queue`` rejects every message (receives, never deletes), and each
must reach the queue's dead-letter queue — intact, and not before it was rejected ``rejections``
times (default: the redrive's ``max_receive_count``)::

    dead_letter: {queue: b-eu, rejections: 3, within: 30s}

The rejecting consumer is the ``consumer_reject`` fault (:mod:`harness.scenario.faults.consumer`)
striking every message ``rejections`` times, on the queue's watch while the scenario sends and
waits; the wait waits for every message in the dead-letter queue. Written as faults, the same is::

    faults: [{kind: consumer_reject, queue: b-eu, times: 3}]
    dead_lettered: {queue: b-eu-dlq, count: <every message>, within: 30s}

Naming ``function:`` instead of ``queue:``, the function polling the queue fails the messages and
its partial batch responses are checked too (:mod:`.function_dead_letter`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.expectations.base import Arrival, Expectation, ReadContext, RunContext, Watch
from harness.scenario.expectations.function_dead_letter import FUNCTION_DEAD_LETTER_KEYS, FunctionDeadLetter
from harness.scenario.expectations.function_expect import has_function
from harness.scenario.faults.base import LiveFault
from harness.scenario.faults.consumer import ConsumerReject
from harness.scenario.faults.when import Trigger, When
from harness.scenario.format.sends import queue_ref
from harness.scenario.format.units import read_duration
from harness.scenario.judge import verdicts
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext
    from harness.scenario.format.model import Scenario
    from harness.scenario.judge.verdicts import PathVerdict


@dataclass(frozen=True)
class DeadLetterCheck(Expectation):
    queue: str
    dead_letter_queue: str
    rejections: int  # receives without delete before the queue's redrive moves the message
    within: float
    line: int = field(default=0, compare=False)

    key = "dead_letter"
    many = False
    one_send_only = True
    load = "a rejecting consumer and its dead-letter queue are checked per scenario run, not under load; use `harness run`"
    keys = ("queue", "rejections", "within", *(k for k in FUNCTION_DEAD_LETTER_KEYS if k != "within"))  # a queue's, and a function's

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        if has_function(node):
            return FunctionDeadLetter.read(r, node)
        f = node.mapping(allowed=("queue", "rejections", "within"), required=("queue", "within"),
                         required_hints={"queue": "add queue: <name> (or function: <name>, the function polling it)"})
        if f is None:
            return None
        queue = queue_ref(r.topology, f["queue"]) if "queue" in f else None
        within = read_duration(f["within"]) if "within" in f else None
        if queue is None or within is None:
            return None
        redrive = r.topology.queues[queue].dead_letter
        if redrive is None:
            f["queue"].problem(f"queue {queue} has no dead_letter in the topology; add dead_letter: {{queue: <dlq>, max_receive_count: 3}} there")
            return None
        rejections = f["rejections"].integer(min=1, max=1000) if "rejections" in f else redrive.max_receive_count
        if rejections is None:
            return None
        if rejections < redrive.max_receive_count:
            f["rejections"].problem(
                f"{rejections} rejections never reach the queue's max_receive_count {redrive.max_receive_count}; "
                f"write rejections: {redrive.max_receive_count} or more"
            )
            return None
        return [cls(queue, redrive.queue, rejections, within, node.line)]

    def reads_from(self) -> list[tuple[str, bool]]:
        return [(self.queue, False)]

    def watches(self) -> list[Watch]:
        return [Watch(self.queue), Watch(self.dead_letter_queue)]

    def outage(self, run: RunContext) -> AbstractContextManager[None] | None:
        live = LiveFault(ConsumerReject(self.queue, When(), self.line, times=self.rejections), Trigger(When()))
        live.trigger.begin()
        run.share()[self._key] = live
        return live.fault.start(live, run)

    def arrivals(self, scenario: Scenario) -> list[Arrival]:
        return [Arrival(self.dead_letter_queue, self.within, tuple(range(len(scenario.sends))))]

    @property
    def _key(self) -> str:
        return f"dead_letter {self.queue}"

    def judge(self, run: RunContext) -> None:
        live = run.share().get(self._key)
        rejected = {cid: n["rejected"] for cid, n in live.log.messages.items()} if isinstance(live, LiveFault) else {}
        run.add(self._verdict(run, rejected))

    def partial(self, run: RunContext) -> list[PathVerdict]:
        return [self._verdict(run, {})] if run.has_watch(self.dead_letter_queue) else []

    def _verdict(self, run: RunContext, rejected: dict[str, int]) -> PathVerdict:
        # The path into the DLQ is reported like any other; its latency is send → dead-lettered.
        key = run.path(run.scenario.send, self.dead_letter_queue)
        sent = {s.correlation_id: s for s in run.sent()}
        # dead-lettered in time: what arrived after `within` (the wait's grace) does not count
        deliveries = [d for d in run.watch(self.dead_letter_queue).deliveries()
                      if d.correlation_id in sent and d.t_recv - sent[d.correlation_id].t_origin <= self.within]
        return verdicts.judge_dead_letter(self, key, run.sent(), deliveries, rejected)

    def cost(self, c: CostContext) -> None:
        # Received `rejections` times on the source queue (each a download when offloaded), then
        # once more from the dead-letter queue, which is watched until the messages arrive.
        c.receive(self.queue, times=self.rejections + 1)
        c.idle_polls(self.dead_letter_queue, self.within)
