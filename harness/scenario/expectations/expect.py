"""``expect:``: queues that must receive every message of the sends that reach them — intact, in
time, in order (FIFO), without duplicates if asked, fast enough (latency percentiles)::

    expect:
      - queue: b-eu
        within: 10s
        intact: true
        ordered: false                  # FIFO order per group
        duplicates: allowed             # allowed | forbidden
        latency: {p99: 500ms}
        hops: {sns_to_sqs: {p99: 200ms}}   # per-hop bounds (publish_to_sns, sns_to_sqs, sqs_to_first_receive, harness_wait)
        throughput: {min: 95%}          # delivered msg/s on each path into it: a share of the sends' rate, or {min: 400/s}
        delete_payloads: false          # the consumer deletes payload objects on ack (as Java does)
        receivers: 4                    # receivers long-polling this queue in parallel

Each is judged into objectives (:mod:`harness.scenario.judge.path_objectives`): delivered within
``within``, intact, ordered, duplicates, every latency and hop percentile, throughput. An entry
naming ``function:`` instead of ``queue:`` is a Lambda function's (:mod:`.function_expect`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.expectations.base import SUPPORTED, Arrival, Expectation, ReadContext, RunContext, Watch
from harness.scenario.expectations.function_expect import ONLY_FUNCTIONS, has_function, read_function_expect
from harness.scenario.format.bounds import read_throughput
from harness.scenario.format.model import RateBound
from harness.scenario.format.sends import expect_problem, queue_ref, reaching
from harness.scenario.format.units import read_duration
from harness.scenario.judge import verdicts
from harness.scenario.judge.measure import HOPS, QUEUE_HOPS
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext
    from harness.scenario.format.model import Scenario
    from harness.scenario.judge.verdicts import PathVerdict

EXPECT_KEYS = ("queue", "within", "intact", "ordered", "duplicates", "latency", "hops", "throughput", "delete_payloads", "receivers")
LATENCY_KEYS = ("p50", "p90", "p99", "max")
MAX_RECEIVERS = 32
DEFAULT_RECEIVERS = 4


@dataclass(frozen=True)
class Latency:
    """Latency objectives in milliseconds (None = not checked)."""

    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    max: float | None = None

    def objectives(self) -> dict[str, float]:
        return {k: v for k, v in (("p50", self.p50), ("p90", self.p90), ("p99", self.p99), ("max", self.max)) if v is not None}


@dataclass(frozen=True)
class Expect(Expectation):
    queue: str
    within: float  # seconds
    intact: bool = True
    ordered: bool = False  # FIFO order per message group
    duplicates_allowed: bool = True
    latency: Latency = field(default_factory=Latency)
    delete_payloads: bool = False  # the consumer deletes payload objects on ack (as Java does)
    receivers: int = DEFAULT_RECEIVERS  # receivers long-polling this queue in parallel (verifiers: as many)
    line: int = field(default=0, compare=False)  # where it was written
    where: str = field(default="expect", compare=False)  # its field: expect[0]
    throughput: RateBound | None = None  # delivered msg/s each path into the queue must reach
    hops: dict[str, Latency] = field(default_factory=dict)  # per-hop latency bounds (ms), hop -> percentiles

    key = "expect"
    load = SUPPORTED
    keys = EXPECT_KEYS + ONLY_FUNCTIONS  # a queue's, and a function's (function_expect.FUNCTION_EXPECT_KEYS)

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        out: list[Expectation] = []
        ok = True
        for item in node.items() or []:
            one: Expectation | None = read_function_expect(r, item) if has_function(item) else cls._read_one(r, item)
            ok = ok and one is not None
            if one is not None:
                out.append(one)
        return out if ok else None

    @classmethod
    def _read_one(cls, r: ReadContext, node: Node) -> Expect | None:
        topo = r.topology
        f = node.mapping(allowed=EXPECT_KEYS, required=("queue", "within"),
                         required_hints={"queue": "add queue: <name> (or function: <name> for a Lambda function)"})
        if f is None:
            return None
        queue = queue_ref(topo, f["queue"]) if "queue" in f else None
        within = read_duration(f["within"]) if "within" in f else None
        if queue and r.sends and (why := expect_problem(topo, r.sends, queue)):
            f["queue"].problem(why)
            queue = None
        intact = f["intact"].boolean() if "intact" in f else True
        ordered = f["ordered"].boolean() if "ordered" in f else False
        if ordered and queue and not topo.queues[queue].fifo:
            f["ordered"].problem(f"queue {queue} is a standard queue, which does not keep order; remove ordered or use a FIFO queue")
        duplicates = "allowed"
        if "duplicates" in f:
            duplicates = f["duplicates"].string(pattern=r"allowed|forbidden", what="duplicates mode", hint="write allowed or forbidden") or "allowed"
        latency = read_latency(f["latency"], "e.g. latency: {p99: 500ms}") if "latency" in f else Latency()
        hops = read_hops(f["hops"], QUEUE_HOPS) if "hops" in f else {}
        throughput = None
        if "throughput" in f and queue is not None:
            rates = [s.rate for s in reaching(topo, r.sends, queue)]
            requested = sum(x for x in rates if x) if rates and all(rates) else None
            throughput = read_throughput(f["throughput"], requested)
        delete_payloads = f["delete_payloads"].boolean() if "delete_payloads" in f else False
        receivers = f["receivers"].integer(min=1, max=MAX_RECEIVERS, hint="receivers in parallel, e.g. receivers: 4") if "receivers" in f else DEFAULT_RECEIVERS
        if queue is None or within is None or intact is None or ordered is None or receivers is None:
            return None
        return cls(queue, within, bool(intact), bool(ordered), duplicates == "allowed", latency, bool(delete_payloads), receivers, node.line,
                   node.field, throughput, hops)

    @classmethod
    def cross_check(cls, r: ReadContext, node: Node) -> bool:
        others = any(e.needs_send for key, entries in r.read.items() if key != cls.key for e in entries)
        if not (node.items() or []) and not others:  # expect: [] and nothing else to check
            node.problem("a scenario needs at least one expectation; add - {queue: <name>, within: 10s}")
            return False
        return True

    # -- running ----------------------------------------------------------------------------------
    def reads_from(self) -> list[tuple[str, bool]]:
        return [(self.queue, self.delete_payloads)]

    def watches(self) -> list[Watch]:
        return [Watch(self.queue, self.delete_payloads, self.receivers)]

    def arrivals(self, scenario: Scenario) -> list[Arrival]:
        return [Arrival(self.queue, self.within, None)]  # None: the sends that reach it (the runner knows the routing)

    def judge(self, run: RunContext) -> None:
        deliveries = run.watch(self.queue).deliveries()
        for key, sent in run.paths_to(self.queue).items():
            run.add(verdicts.judge_expect(self, key, sent, deliveries, run.requested_rate(key)))

    def partial(self, run: RunContext) -> list[PathVerdict]:
        got = run.watch(self.queue).deliveries() if run.has_watch(self.queue) else []
        return [verdicts.judge_expect(self, key, sent, got, run.requested_rate(key)) for key, sent in run.paths_to(self.queue).items()]

    def cost(self, c: CostContext) -> None:
        c.receive(self.queue)
        c.idle_polls(self.queue, self.within)


def read_latency(node: Node, hint: str) -> Latency:
    fields = node.mapping(allowed=LATENCY_KEYS, hint=hint) or {}
    values = {k: read_duration(v) for k, v in fields.items()}
    return Latency(**{k: (v * 1000.0 if v is not None else None) for k, v in values.items()})


def read_hops(node: Node, hops: tuple[str, ...] = HOPS) -> dict[str, Latency]:
    """Per-hop bounds; ``hops``: the hops this kind of path has (the schema lists them all)."""
    fields = node.mapping(allowed=HOPS, hint=f"e.g. hops: {{{hops[1]}: {{p99: 200ms}}}}") or {}
    out = {}
    for hop, value in fields.items():
        if hop not in hops:
            value.problem(f"a path to a {'function' if 'function_duration' in hops else 'queue'} has no hop {hop}; use one of {', '.join(hops)}")
            continue
        out[hop] = read_latency(value, f"e.g. {hop}: {{p99: 200ms}}")
    return out
