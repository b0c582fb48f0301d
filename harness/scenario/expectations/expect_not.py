"""``expect_not:``: queues that must receive none of the scenario's messages within a while (a filter
policy should drop them, or they are not routed there)::

    expect_not:
      - {queue: c-us, within: 3s}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.expectations.base import SUPPORTED, Expectation, ReadContext, RunContext, Watch
from harness.scenario.expectations.expect import Expect
from harness.scenario.format.sends import expect_not_problem, queue_ref
from harness.scenario.format.units import read_duration
from harness.scenario.judge import verdicts
from harness.scenario.judge.objectives import at_most
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext


@dataclass(frozen=True)
class ExpectNot(Expectation):
    queue: str
    within: float
    line: int = field(default=0, compare=False)

    key = "expect_not"
    load = SUPPORTED
    keys = ("queue", "within")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        out: list[Expectation] = []
        ok = True
        expected = {e.queue: e for e in r.of(Expect)}
        for item in node.items() or []:
            one = cls._read_one(r, item, expected)
            ok = ok and one is not None
            if one is not None:
                out.append(one)
        return out if ok else None

    @classmethod
    def _read_one(cls, r: ReadContext, node: Node, expected: dict[str, Expect]) -> ExpectNot | None:
        f = node.mapping(allowed=cls.keys, required=cls.keys)
        if f is None:
            return None
        queue = queue_ref(r.topology, f["queue"]) if "queue" in f else None
        within = read_duration(f["within"]) if "within" in f else None
        if queue is not None and queue in expected:
            first = expected[queue]
            f["queue"].problem(
                f"queue {queue} is also under expect ({first.where}, line {first.line}); it cannot both "
                "receive these messages and not receive them, so remove one of the two"
            )
            return None
        if queue and (why := expect_not_problem(r.topology, r.sends, queue)):
            f["queue"].problem(why)
            return None
        return cls(queue, within, node.line) if queue and within else None

    def watches(self) -> list[Watch]:
        return [Watch(self.queue)]

    def quiet_for(self) -> float:
        return self.within

    def judge(self, run: RunContext) -> None:
        got = run.watch(self.queue).deliveries()
        run.objective(at_most(f"none in {self.queue} within {self.within:g}s", f"queue {self.queue}", len({d.correlation_id for d in got}), 0,
                              "", line=self.line))
        for failure in verdicts.judge_expect_not(self, got):
            run.fail(failure)

    def cost(self, c: CostContext) -> None:
        c.idle_polls(self.queue, self.within)  # it should stay empty: only empty receives
