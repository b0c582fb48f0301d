"""``recovery:``: how latency on a queue behaves during a fault and how soon it is back after::

    recovery: {queue: b-eu, latency: 2s, within: 20s, during: 30s}

- **recovery time** — from the end of the scenario's faults (the last one undone or whose window
  closed) until every later delivery's end-to-end latency is within ``latency``; bound ``within``;
- **latency after the fault** — the slowest delivery of the messages sent after the fault ended:
  bound ``latency``;
- **latency during the fault** (with ``during``) — the slowest delivery of the messages sent while a
  fault was on.

The report's ``faults`` section carries the windows and the recovery point; report.html draws them
on the queue's latency-over-time chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.expectations.base import Expectation, ReadContext, RunContext, Watch
from harness.scenario.format.sends import queue_ref
from harness.scenario.format.units import read_duration
from harness.scenario.judge.objectives import NOT_OBSERVABLE, Objective, at_most
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext


def recovered_at(deliveries: list[tuple[float, float]], bound: float, fault_end: float) -> float | None:
    """The first time after ``fault_end`` from which every delivery (receive time, latency) has its
    latency within ``bound``: ``fault_end`` itself when none after it is over the bound; None when
    nothing was delivered after it or the last delivery is still over the bound. Pure."""
    later = sorted(d for d in deliveries if d[0] >= fault_end)
    over = [i for i, (_, latency) in enumerate(later) if latency > bound]
    if not later or (over and over[-1] == len(later) - 1):
        return None
    return later[over[-1] + 1][0] if over else fault_end


@dataclass(frozen=True)
class Recovery(Expectation):
    queue: str
    latency: float
    within: float
    during: float | None = None
    line: int = field(default=0, compare=False)

    key = "recovery"
    many = False
    load = "recovery is measured from one scenario's fault, which `harness load` does not inject; use `harness run`"
    keys = ("queue", "latency", "within", "during")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        f = node.mapping(allowed=cls.keys, required=("queue", "latency", "within"))
        if f is None or any(k not in f for k in ("queue", "latency", "within")):
            return None
        queue = queue_ref(r.topology, f["queue"])
        latency, within = read_duration(f["latency"]), read_duration(f["within"])
        during = read_duration(f["during"]) if "during" in f else None
        if queue is None or latency is None or within is None or ("during" in f and during is None):
            return None
        if "faults" not in r.top:
            node.problem("recovery is measured from the end of a fault; add faults: to this scenario")
            return None
        return [cls(queue, latency, within, during, node.line)]

    def watches(self) -> list[Watch]:
        return [Watch(self.queue)]

    def judge(self, run: RunContext) -> None:
        from harness.scenario.faults.running import shared

        faults = shared(run)
        end = faults.ended_at() if faults is not None else None
        where = f"queue {self.queue}"
        if faults is None or end is None:
            run.objective(Objective("recovery time", where, f"≤ {self.within:g} s", "no fault ended", NOT_OBSERVABLE, line=self.line,
                                    reason="no fault of this scenario was on and then ended, so there is nothing to recover from"))
            return
        starts = [w["from"] for w in faults.windows() if w["from"] is not None]
        start = min(starts) if starts else end
        by_cid = {s.correlation_id: s for s in run.sent()}
        firsts: dict[str, tuple[float, float, float]] = {}
        for d in run.watch(self.queue).deliveries() if run.has_watch(self.queue) else []:
            s = by_cid.get(d.correlation_id)
            if s is not None and d.correlation_id not in firsts:
                firsts[d.correlation_id] = (d.t_recv, d.t_recv - s.t_origin, s.t_send)
        points = [(t, lat) for t, lat, _ in firsts.values()]
        back = recovered_at(points, self.latency, end)
        recovery = None if back is None else max(0.0, back - end)
        run.objective(at_most("recovery time", where, recovery, self.within, "s", line=self.line,
                              reason="latency was not back within its bound by the last delivery"))
        after = [lat for _, lat, sent in firsts.values() if sent >= end]
        run.objective(at_most("latency max after the fault", where, max(after) if after else None, self.latency, "s",
                              line=self.line, reason="no message was sent after the fault ended"))
        if self.during is not None:
            inside = [lat for _, lat, sent in firsts.values() if start <= sent < end]
            run.objective(at_most("latency max during the fault", where, max(inside) if inside else None, self.during, "s",
                                  line=self.line, reason="no message was sent while the fault was on"))
        run.section("recovery", {"queue": self.queue, "fault_started": start, "fault_ended": end, "recovered_at": back,
                                 "recovery_s": recovery, "latency_bound_s": self.latency})
        if recovery is None or recovery > self.within:
            shown = "not back" if recovery is None else f"{recovery:.1f}s"
            run.fail(f"recovery {self.queue}: latency within {self.latency:g}s {shown} after the fault ended (bound {self.within:g}s)")

    def cost(self, c: CostContext) -> None:
        return None
