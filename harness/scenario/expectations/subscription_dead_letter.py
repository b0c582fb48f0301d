"""``subscription_dead_letter:``: SNS cannot deliver to ``queue`` (the harness deletes it for the
duration of the send and restores it after: the ``queue_deleted`` fault of
:mod:`harness.scenario.faults.infrastructure`), so every message of the send must arrive in the
subscription's dead-letter queue within ``within``::

    subscription_dead_letter: {queue: b-eu, within: 30s}
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.expectations.base import Arrival, Expectation, ReadContext, RunContext, Watch
from harness.scenario.expectations.expect import Expect
from harness.scenario.faults.infrastructure import QueueDeleted, applied
from harness.scenario.faults.when import When
from harness.scenario.format.sends import queue_ref
from harness.scenario.format.units import read_duration
from harness.scenario.judge import verdicts
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.kinds.subscription.spec import Subscription
    from harness.scenario.cost import CostContext
    from harness.scenario.format.model import Scenario


@dataclass(frozen=True)
class SubscriptionDeadLetterCheck(Expectation):
    topic: str
    queue: str
    dead_letter_queue: str
    within: float
    line: int = field(default=0, compare=False)

    key = "subscription_dead_letter"
    many = False
    one_send_only = True
    load = "it takes the endpoint queue away for the whole send, which a load run's other streams would lose too; use `harness run`"
    keys = ("queue", "within")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        topo = r.topology
        f = node.mapping(allowed=cls.keys, required=cls.keys)
        if f is None or "queue" not in f or "within" not in f:
            return None
        queue = queue_ref(topo, f["queue"])
        within = read_duration(f["within"])
        if queue is None or within is None or len(r.sends) != 1:
            return None
        send = r.sends[0]
        if send.topic is None:
            f["queue"].problem("a subscription dead-letter queue takes what SNS cannot deliver; send through a topic (topic: <name>)")
            return None
        matching: list[Subscription | None] = [s for s in topo.subscriptions if s.topic == send.topic and s.queue == queue]
        [sub] = matching or [None]
        if sub is None:
            f["queue"].problem(f"queue {queue} is not subscribed to topic {send.topic}; name the endpoint queue of a subscription of {send.topic}")
            return None
        if sub.dead_letter_queue is None:
            f["queue"].problem(f"the subscription of {queue} to {send.topic} has no dead_letter_queue; add dead_letter_queue: <queue> to it in the topology")
            return None
        if queue in {e.queue for e in r.of(Expect)}:
            f["queue"].problem(f"queue {queue} is also under expect, but SNS cannot deliver to it during this check; remove one of the two")
            return None
        return [cls(send.topic, queue, sub.dead_letter_queue, within, node.line)]

    def _as_expect(self) -> Expect:
        return Expect(self.dead_letter_queue, self.within)

    def watches(self) -> list[Watch]:
        return [Watch(self.dead_letter_queue)]

    def outage(self, run: RunContext) -> AbstractContextManager[None] | None:
        return applied(QueueDeleted(self.queue, When(), self.line), run)

    def arrivals(self, scenario: Scenario) -> list[Arrival]:
        return [Arrival(self.dead_letter_queue, self.within, tuple(range(len(scenario.sends))))]  # every message

    def judge(self, run: RunContext) -> None:
        key = run.path(run.scenario.send, self.dead_letter_queue)
        run.add(verdicts.judge_expect(self._as_expect(), key, run.sent(), run.watch(self.dead_letter_queue).deliveries()))

    def cost(self, c: CostContext) -> None:
        c.receive(self.dead_letter_queue, via_subscription_of=self.queue)
        c.idle_polls(self.dead_letter_queue, self.within)
