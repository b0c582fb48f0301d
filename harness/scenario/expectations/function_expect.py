"""``expect:`` entries that name a function: every message of the sends that reach the Lambda
function must reach it — acknowledged by it, intact, in time, without duplicates if asked, fast
enough — judged from the receipts its handler writes::

    expect:
      - function: c-fn
        within: 10s
        latency: {p99: 2s}
        hops: {sns_to_invoke: {p99: 1s}}   # publish_to_sns, sns_to_sqs, sqs_to_first_receive, sns_to_invoke, sqs_to_batch, function_duration
        duplicates: allowed
        reject: 1                          # the function fails each message on its first receive (it comes back)
        slow: 200ms                        # the function takes this long per message
        delete_payloads: true              # the function deletes the payload object once it acknowledged it

A send reaches a function when SNS invokes it (a topic subscribed to it) or when its event source
mapping polls a queue the send reaches; each is its own delivery path (to the function, through the
queue). ``reject``, ``slow`` and ``delete_payloads`` are the function's behaviour for this
scenario's messages only (:class:`harness.payload.function_consumer.Behaviour`), set before it sends.
Read through :class:`~.expect.Expect` (one ``expect:`` list holds queue and function entries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.scenario.execute.function_watch import function_key
from harness.scenario.expectations.base import Arrival, Expectation, ReadContext, RunContext, Watch
from harness.scenario.expectations.function_on_failure import attempts_expected
from harness.scenario.format.bounds import read_throughput
from harness.scenario.format.function_routes import function_expect_problem, function_ref, function_routes
from harness.scenario.format.model import RateBound
from harness.scenario.format.sends import may_offload
from harness.scenario.format.units import read_duration
from harness.scenario.judge import verdicts
from harness.scenario.judge.measure import FUNCTION_HOPS
from harness.scenario.judge.objectives import MET, MISSED, Objective
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext
    from harness.scenario.expectations.expect import Latency
    from harness.scenario.format.model import Scenario, Send

FUNCTION_EXPECT_KEYS = ("function", "within", "intact", "duplicates", "latency", "hops", "throughput", "delete_payloads", "reject", "slow",
                        "receivers")
ONLY_FUNCTIONS = ("function", "reject", "slow")  # keys a queue entry does not have
SNS_MAX_REJECTS = 2  # Lambda retries a failed asynchronous (SNS) invocation twice by default (functions.<f>.max_retry_attempts)
SNS_RETRY_SECONDS = 60.0  # ... about a minute, then two more, apart (AWS, and LocalStack's default)
DEFAULT_RECEIVERS = 2  # receipts are small: two long-polls keep up with a function


@dataclass(frozen=True)
class ExpectFunction(Expectation):
    function: str
    within: float  # seconds
    routes: tuple[tuple[int, str], ...] = ()  # (send index, the queue it comes through or "")
    intact: bool = True
    duplicates_allowed: bool = True
    latency: Latency | None = None
    hops: dict[str, Latency] = field(default_factory=dict)
    throughput: RateBound | None = None
    delete_payloads: bool = False
    reject: int = 0
    slow: float = 0.0  # seconds
    receivers: int = DEFAULT_RECEIVERS
    line: int = field(default=0, compare=False)

    key = "expect"
    load = "a function's receipts are judged per scenario run (`harness run`); under load the function is the system under test"
    keys = FUNCTION_EXPECT_KEYS

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        one = read_function_expect(r, node)
        return [one] if one is not None else None

    # -- running ----------------------------------------------------------------------------------
    def functions_read(self) -> list[tuple[str, bool]]:
        return [(self.function, self.delete_payloads)]

    def watches(self) -> list[Watch]:
        return [Watch(function_key(self.function), False, self.receivers)]

    def arrivals(self, scenario: Scenario) -> list[Arrival]:
        return [Arrival(function_key(self.function), self.within, tuple(sorted({i for i, _ in self.routes})))]

    def function_behaviour(self) -> list[tuple[str, dict[str, Any]]]:
        wanted = {"reject": self.reject, "slow_ms": int(self.slow * 1000), "delete_payloads": self.delete_payloads}
        return [(self.function, wanted)] if any(wanted.values()) else []

    def rules(self, requested_rate: float | None) -> verdicts.PathRules:
        latency = self.latency.objectives() if self.latency is not None else {}
        bound = self.throughput.resolve(requested_rate) if self.throughput is not None else None
        return verdicts.PathRules(
            queue=f"function {self.function}", late_after=self.within, intact=self.intact, duplicates_allowed=self.duplicates_allowed,
            objectives=latency, hop_limits={hop: lat.objectives() for hop, lat in self.hops.items()}, throughput_min=bound,
            throughput_label=self.throughput.label(requested_rate) if self.throughput is not None else "", line=self.line,
        )

    def judge(self, run: RunContext) -> None:
        watch = run.watch(function_key(self.function))
        deliveries = watch.deliveries()
        for key, sent in run.paths_to_function(self.function, self.routes).items():
            verdict = verdicts.judge_path(self.rules(run.requested_rate(key)), key, sent, deliveries)
            if self.reject:
                verdict.objectives.append(self._rejections(run, key.label, {s.correlation_id for s in sent}))
            run.add(verdict)

    def _rejections(self, run: RunContext, where: str, mine: set[str]) -> Objective:
        """Every delivered message was rejected ``reject`` times before the function acknowledged it."""
        rejected: dict[str, int] = {}
        for receipt in run.receipts(self.function):
            if receipt.correlation_id in mine and receipt.action == "reject":
                rejected[receipt.correlation_id] = rejected.get(receipt.correlation_id, 0) + 1
        delivered = {d.correlation_id for d in run.watch(function_key(self.function)).deliveries()} & mine
        short = [c for c in delivered if rejected.get(c, 0) < self.reject]
        ok = len(delivered) - len(short)
        return Objective(f"rejected {self.reject}× before it was acknowledged", where, f"all {len(delivered)} delivered", f"{ok} of {len(delivered)}",
                         MET if not short else MISSED, unit="messages", bound_value=len(delivered), measured_value=ok, line=self.line)

    def partial(self, run: RunContext) -> list[verdicts.PathVerdict]:
        key = function_key(self.function)
        got = run.watch(key).deliveries() if run.has_watch(key) else []
        return [verdicts.judge_path(self.rules(run.requested_rate(k)), k, sent, got)
                for k, sent in run.paths_to_function(self.function, self.routes).items()]

    def cost(self, c: CostContext) -> None:
        # each route once; the context counts it only for a send that takes it
        for through in sorted({t for _, t in self.routes}):
            c.function(self.function, through, self.slow, times=self.reject + 1)
        c.idle_polls(self.function, self.within)  # the harness's polls of the receipts queue


def has_function(node: Node) -> bool:
    """Whether an ``expect`` entry names a function (not a queue)."""
    return node.kind == "mapping" and any(name == "function" for name, _, _ in node.entries() or [])


def read_function_expect(r: ReadContext, node: Node) -> ExpectFunction | None:
    from harness.scenario.expectations.expect import read_hops, read_latency  # expect reads this module's entries

    topo = r.topology
    f = node.mapping(allowed=FUNCTION_EXPECT_KEYS, required=("function", "within"))
    if f is None:
        return None
    function = function_ref(topo, f["function"])
    within = read_duration(f["within"]) if "within" in f else None
    if function and r.sends and (why := function_expect_problem(topo, r.sends, function)):
        f["function"].problem(why)
        function = None
    intact = f["intact"].boolean() if "intact" in f else True
    duplicates = "allowed"
    if "duplicates" in f:
        duplicates = f["duplicates"].string(pattern=r"allowed|forbidden", what="duplicates mode", hint="write allowed or forbidden") or "allowed"
    latency = read_latency(f["latency"], "e.g. latency: {p99: 2s}") if "latency" in f else None
    hops = read_hops(f["hops"], FUNCTION_HOPS) if "hops" in f else {}
    routes = tuple(function_routes(topo, r.sends, function)) if function else ()
    throughput = None
    if "throughput" in f and function is not None:
        rates = [r.sends[i].rate for i, _ in routes]
        throughput = read_throughput(f["throughput"], sum(x for x in rates if x) if rates and all(rates) else None)
    delete_payloads = bool(f["delete_payloads"].boolean()) if "delete_payloads" in f else False
    receivers = f["receivers"].integer(min=1, max=8, hint="receipt pollers, e.g. receivers: 2") if "receivers" in f else DEFAULT_RECEIVERS
    slow = (read_duration(f["slow"]) or 0.0) if "slow" in f else 0.0
    reject = f["reject"].integer(min=0, max=10, hint="receives the function fails before it acknowledges, e.g. reject: 1") if "reject" in f else 0
    if function is None or within is None or intact is None or receivers is None or reject is None:
        return None
    ok = _behaviour_fits(topo, r.sends, function, routes, f, within, reject, slow, delete_payloads)
    if not ok:
        return None
    return ExpectFunction(function, within, routes, bool(intact), duplicates == "allowed", latency, hops, throughput, delete_payloads,
                          reject, slow, receivers, node.line)


def _behaviour_fits(topo: Topology, sends: list[Send], function: str, routes: tuple[tuple[int, str], ...], f: dict[str, Node],
                    within: float, reject: int, slow: float, delete_payloads: bool) -> bool:
    """What the function is asked to do is what it can: read each payload bucket (and delete from
    it), reject fewer times than the queue dead-letters, or than Lambda retries an SNS invocation."""
    fn = topo.functions[function]
    ok = True
    for i, through in routes:
        send = sends[i]
        if send.bucket and may_offload(send) and send.bucket not in fn.reads:
            f["function"].problem(f"payloads go through bucket {send.bucket}, which function {function} does not read; add it to functions.{function}.reads")
            ok = False
        elif send.bucket and delete_payloads and may_offload(send) and not topo.buckets[send.bucket].readers_may_delete:
            f["delete_payloads"].problem(f"bucket {send.bucket} does not let readers delete; set buckets.{send.bucket}.readers_may_delete: true")
            ok = False
        if reject and through and (redrive := topo.queues[through].dead_letter) is not None and reject >= redrive.max_receive_count:
            f["reject"].problem(f"queue {through} moves a message to its dead-letter queue after {redrive.max_receive_count} receives, so "
                                f"{reject} rejections would never be followed by an acknowledgement; write reject: {redrive.max_receive_count - 1} "
                                "or less (or check the redrive with dead_letter: {function: ...})")
            ok = False
        if reject and not through:
            need = SNS_RETRY_SECONDS * sum(range(1, reject + 1)) + 30
            retries = attempts_expected(fn.retry_attempts, fn.max_event_age)[0] - 1  # the retries sure to happen
            if reject > retries:
                setting = (f"functions.{function}.max_retry_attempts is {fn.max_retry_attempts}" if fn.max_retry_attempts is not None
                           else f"Lambda's default is {SNS_MAX_REJECTS}")
                age = f" within max_event_age {fn.max_event_age} s" if fn.max_event_age is not None else ""
                f["reject"].problem(f"SNS invokes {function} asynchronously and Lambda retries a failed invocation {retries} time(s){age} "
                                    f"({setting}); write reject: {retries} or less")
                ok = False
            elif within < need:
                f["reject"].problem(f"Lambda retries a failed SNS invocation about {SNS_RETRY_SECONDS:.0f} s later, then twice that; "
                                    f"{reject} rejection(s) need within: {need:.0f}s or more")
                ok = False
    if slow and slow >= fn.timeout:
        f["slow"].problem(f"{slow:g}s per message reaches function {function}'s timeout of {fn.timeout} s; take less or raise functions.{function}.timeout")
        ok = False
    return ok
