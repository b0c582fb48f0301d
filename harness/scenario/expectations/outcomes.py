"""Outcome expectations for the bad day (issue 23), each judged over the queues the scenario expects
(``expect:``) or the one it names::

    lost: 0                                   # or {max: 2, queue: b-eu}
    duplicates: {max: 5}                      # or duplicates: forbidden | allowed
    redelivered: {queue: b-eu, min: 1}        # receives of a message the consumer had received before
    dead_lettered: {queue: b-eu-dlq, count: 3, within: 60s}

``lost`` counts every message the scenario meant to deliver to the queue that was never delivered:
published and never received, and never published at all (a publish an injected fault made fail:
nothing hides it). ``redelivered`` counts the deliveries after the first (a crashed or slow consumer)
and the rejections (a consumer that gave the message back).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.expectations.base import Expectation, ReadContext, RunContext, Watch
from harness.scenario.format.sends import queue_ref
from harness.scenario.format.units import read_duration
from harness.scenario.judge.objectives import at_least, at_most
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext

LOAD_REFUSED = "it is judged per message over one scenario run; use `harness run`"


def _expected_queues(run: RunContext, queue: str | None) -> list[str]:
    return [queue] if queue else sorted({e.queue for e in run.scenario.expect})


def _bounded(cls_key: str, node: Node, r: ReadContext, allowed: tuple[str, ...]) -> tuple[int, str | None] | None:
    """``key: N`` or ``key: {max: N, queue: q}``: (N, q)."""
    if node.kind == "scalar":
        value = node.integer(min=0, hint=f"e.g. {cls_key}: 0")
        return None if value is None else (value, None)
    f = node.mapping(allowed=allowed, required=("max",))
    if f is None or "max" not in f:
        return None
    value = f["max"].integer(min=0, hint="e.g. max: 0")
    queue = queue_ref(r.topology, f["queue"]) if "queue" in f else None
    if value is None or ("queue" in f and queue is None):
        return None
    return value, queue


@dataclass(frozen=True)
class Lost(Expectation):
    max: int
    queue: str | None = None
    line: int = field(default=0, compare=False)

    key = "lost"
    many = False
    load = LOAD_REFUSED
    keys = ("max", "queue")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        got = _bounded(cls.key, node, r, cls.keys)
        return None if got is None else [cls(got[0], got[1], node.line)]

    def judge(self, run: RunContext) -> None:
        for queue in _expected_queues(run, self.queue):
            planned = run.planned(queue)
            got = {d.correlation_id for d in run.watch(queue).deliveries()} if run.has_watch(queue) else set()
            lost = [cid for cid in planned if cid not in got]
            run.objective(at_most("lost", f"queue {queue}", float(len(lost)), float(self.max), "messages", line=self.line))
            if len(lost) > self.max:
                run.fail(f"lost {queue}: {len(lost)} of {len(planned)} messages never delivered (at most {self.max} may be); "
                         f"e.g. {', '.join(c.rsplit('.', 1)[-1] for c in lost[:10])} (seq)")

    def cost(self, c: CostContext) -> None:
        return None


@dataclass(frozen=True)
class Duplicates(Expectation):
    max: int
    queue: str | None = None
    line: int = field(default=0, compare=False)

    key = "duplicates"
    many = False
    load = LOAD_REFUSED
    keys = ("max", "queue")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        if node.kind == "scalar" and node.raw in ("forbidden", "allowed"):
            return [cls(0, None, node.line)] if node.raw == "forbidden" else []
        got = _bounded(cls.key, node, r, cls.keys)
        return None if got is None else [cls(got[0], got[1], node.line)]

    def judge(self, run: RunContext) -> None:
        for queue in _expected_queues(run, self.queue):
            seen = Counter(d.correlation_id for d in run.watch(queue).deliveries()) if run.has_watch(queue) else Counter()
            extra = {cid: n - 1 for cid, n in seen.items() if n > 1}
            count = sum(extra.values())
            run.objective(at_most("duplicates", f"queue {queue}", float(count), float(self.max), "deliveries", line=self.line))
            if count > self.max:
                run.fail(f"duplicates {queue}: {count} duplicate deliveries (at most {self.max}): "
                         + ", ".join(f"{cid} ×{n + 1}" for cid, n in sorted(extra.items())[:10]))

    def cost(self, c: CostContext) -> None:
        return None


@dataclass(frozen=True)
class Redelivered(Expectation):
    queue: str
    min: int | None
    max: int | None
    line: int = field(default=0, compare=False)

    key = "redelivered"
    many = False
    load = LOAD_REFUSED
    keys = ("queue", "min", "max")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        f = node.mapping(allowed=cls.keys, required=("queue",))
        if f is None or "queue" not in f:
            return None
        queue = queue_ref(r.topology, f["queue"])
        low = f["min"].integer(min=0) if "min" in f else None
        high = f["max"].integer(min=0) if "max" in f else None
        if queue is None or ("min" in f and low is None) or ("max" in f and high is None):
            return None
        if low is None and high is None:
            node.problem("say how many redeliveries: add min: <n> and/or max: <n>, e.g. redelivered: {queue: b-eu, min: 1}")
            return None
        return [cls(queue, low, high, node.line)]

    def watches(self) -> list[Watch]:
        return [Watch(self.queue)]

    def judge(self, run: RunContext) -> None:
        from harness.scenario.faults.running import shared

        deliveries = run.watch(self.queue).deliveries() if run.has_watch(self.queue) else []
        seen = Counter(d.correlation_id for d in deliveries)
        count = sum(n - 1 for n in seen.values())
        faults = shared(run)
        if faults is not None:
            count += sum(lf.log.events.get("rejected", 0) for lf in faults.live if getattr(lf.fault, "queue", None) == self.queue)
        where = f"queue {self.queue}"
        if self.min is not None:
            run.objective(at_least("redelivered", where, float(count), float(self.min), "receives", line=self.line))
            if count < self.min:
                run.fail(f"redelivered {self.queue}: {count} redeliveries, at least {self.min} expected")
        if self.max is not None:
            run.objective(at_most("redelivered", where, float(count), float(self.max), "receives", line=self.line))
            if count > self.max:
                run.fail(f"redelivered {self.queue}: {count} redeliveries, at most {self.max} expected")

    def cost(self, c: CostContext) -> None:
        return None


@dataclass(frozen=True)
class DeadLettered(Expectation):
    queue: str  # the dead-letter queue
    count: int
    within: float
    line: int = field(default=0, compare=False)

    key = "dead_lettered"
    many = False
    load = LOAD_REFUSED
    keys = ("queue", "count", "within")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        f = node.mapping(allowed=cls.keys, required=cls.keys)
        if f is None or any(k not in f for k in cls.keys):
            return None
        queue = queue_ref(r.topology, f["queue"])
        count = f["count"].integer(min=0)
        within = read_duration(f["within"])
        if queue is None or count is None or within is None:
            return None
        dlqs = {q.dead_letter.queue for q in r.topology.queues.values() if q.dead_letter} | {
            s.dead_letter_queue for s in r.topology.subscriptions if s.dead_letter_queue}
        if queue not in dlqs:
            f["queue"].problem(f"queue {queue} is no queue's or subscription's dead-letter queue; name one of {', '.join(sorted(dlqs)) or 'none'}")
            return None
        return [cls(queue, count, within, node.line)]

    def watches(self) -> list[Watch]:
        return [Watch(self.queue)]

    def judge(self, run: RunContext) -> None:
        watch = run.watch(self.queue)
        sent = run.sent()
        deadline = (min((s.t_send for s in sent), default=time.time())) + self.within
        while watch.received() < self.count and time.time() < deadline:  # bounded by within
            watch.poll(wait_seconds=1)  # the receivers stopped with the wait: this expectation polls on
        got = watch.received()
        run.objective(at_least("dead-lettered", f"queue {self.queue}", float(got), float(self.count), "messages", line=self.line))
        if got < self.count:
            run.fail(f"dead_lettered {self.queue}: {got} of the scenario's messages arrived there within {self.within:g}s, "
                     f"{self.count} expected")

    def cost(self, c: CostContext) -> None:
        c.idle_polls(self.queue, self.within)


OUTCOMES: tuple[type[Expectation], ...] = (Lost, Duplicates, Redelivered, DeadLettered)
