"""``dead_letter:`` naming a function that polls a queue (one that SNS invokes is checked by
:mod:`.function_on_failure`: its on-failure destination): the function fails some of the messages its event source
mapping hands it — every ``fail_every``-th, on every receive, as failed batch items
(``ReportBatchItemFailures``) — and the queue's redrive must move exactly those to its dead-letter
queue, intact, after ``max_receive_count`` failed receives, while the others of the same batches are
acknowledged once (a partial batch response retries only the failed items)::

    dead_letter: {function: b-fn, fail_every: 2, within: 60s}

Judged into two paths — the failed messages into the dead-letter queue, the others to the function —
and objectives: dead-lettered within ``within``; moved only after the redrive's receives; the others
delivered, intact, without duplicates; and at least one batch that held both (else the partial
batch response was not exercised: not observable). Read through :class:`~.dead_letter.DeadLetterCheck`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.payload.function_consumer import ACK, FAIL
from harness.scenario.execute.function_watch import Receipt, function_key
from harness.scenario.expectations.base import Arrival, Expectation, ReadContext, RunContext, Watch
from harness.scenario.expectations.function_on_failure import FunctionOnFailure
from harness.scenario.format.function_routes import function_ref, function_routes
from harness.scenario.format.units import read_duration
from harness.scenario.judge import verdicts
from harness.scenario.judge.facts import Sent
from harness.scenario.judge.objectives import MET, MISSED, NOT_OBSERVABLE, Objective
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext
    from harness.scenario.format.model import Scenario

FUNCTION_DEAD_LETTER_KEYS = ("function", "fail_every", "within")


@dataclass(frozen=True)
class FunctionDeadLetter(Expectation):
    function: str
    queue: str  # the queue its mapping polls
    dead_letter_queue: str
    receives: int  # the redrive's max_receive_count
    fail_every: int
    within: float
    sends: tuple[int, ...] = ()
    line: int = field(default=0, compare=False)

    key = "dead_letter"
    many = False
    one_send_only = True
    load = "a function's failed batch items and the queue's dead-letter queue are checked per scenario run, not under load; use `harness run`"
    keys = FUNCTION_DEAD_LETTER_KEYS

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        f = node.mapping(allowed=FUNCTION_DEAD_LETTER_KEYS, required=("function", "within"))
        if f is None:
            return None
        function = function_ref(r.topology, f["function"])
        within = read_duration(f["within"]) if "within" in f else None
        every = f["fail_every"].integer(min=1, max=100, hint="fail every k-th message, e.g. fail_every: 2") if "fail_every" in f else 1
        if function is None or within is None or every is None:
            return None
        fn = r.topology.functions[function]
        routes_all = function_routes(r.topology, r.sends, function)
        via_sns = tuple(i for i, through in routes_all if not through)
        if via_sns and len(via_sns) < len(routes_all):
            f["function"].problem(f"the sends reach function {function} both through SNS and through queue {fn.queue}, and a dead_letter "
                                  "check follows one of the two; send either to the topic or to the queue")
            return None
        if via_sns or (not fn.queue and r.topology.topics_invoking(function)):  # SNS invokes it: its on-failure destination
            return FunctionOnFailure.for_function(r, f, function, within, every, via_sns, node.line)
        if not fn.queue:
            f["function"].problem(f"function {function} polls no queue and no topic invokes it, so nothing of it is dead-lettered; "
                                  f"add functions.{function}.queue, or subscribe it to a topic and give it an on_failure destination")
            return None
        redrive = r.topology.queues[fn.queue].dead_letter
        if redrive is None:
            f["function"].problem(f"queue {fn.queue}, which function {function} polls, has no dead_letter in the topology; add "
                                  "dead_letter: {queue: <dlq>, max_receive_count: 2} there")
            return None
        routes = [i for i, through in function_routes(r.topology, r.sends, function) if through == fn.queue]
        if r.sends and not routes:
            f["function"].problem(f"no send reaches queue {fn.queue}, which function {function} polls; send to it or to a topic it is subscribed to")
            return None
        return [cls(function, fn.queue, redrive.queue, redrive.max_receive_count, every, within, tuple(routes), node.line)]

    def functions_read(self) -> list[tuple[str, bool]]:
        return [(self.function, False)]

    def function_behaviour(self) -> list[tuple[str, dict[str, int]]]:
        return [(self.function, {"fail_every": self.fail_every})]

    def watches(self) -> list[Watch]:
        return [Watch(function_key(self.function), False, 2), Watch(self.dead_letter_queue, False, 1)]

    def arrivals(self, scenario: Scenario) -> list[Arrival]:
        return [Arrival(self.dead_letter_queue, self.within, self.sends, only_every=self.fail_every),
                Arrival(function_key(self.function), self.within, self.sends, skip_every=self.fail_every)]

    def _failing(self, s: Sent) -> bool:
        return s.seq % self.fail_every == self.fail_every - 1

    def judge(self, run: RunContext) -> None:
        for verdict in self._verdicts(run, run.receipts(self.function)):
            run.add(verdict)

    def partial(self, run: RunContext) -> list[verdicts.PathVerdict]:
        if not (run.has_watch(self.dead_letter_queue) and run.has_watch(function_key(self.function))):
            return []
        return self._verdicts(run, [])

    def _verdicts(self, run: RunContext, receipts: list[Receipt]) -> list[verdicts.PathVerdict]:
        sent = run.sent()
        failing, passing = [s for s in sent if self._failing(s)], [s for s in sent if not self._failing(s)]
        dlq_key = run.path(run.scenario.send, self.dead_letter_queue)
        into_dlq = verdicts.judge_path(verdicts.PathRules(queue=self.dead_letter_queue, late_after=None, hops=False, report_lost=False),
                                       dlq_key, failing, run.watch(self.dead_letter_queue).deliveries())
        failed_receives: dict[str, int] = defaultdict(int)
        acked: dict[str, int] = defaultdict(int)
        batches: dict[str, set[str]] = defaultdict(set)
        for r in receipts:
            if r.action == FAIL:
                failed_receives[r.correlation_id] += 1
            elif r.action == ACK:
                acked[r.correlation_id] += 1
            batches[r.request_id].add(r.action)
        arrived, total = into_dlq.stats.counts["received"], len(failing)
        early = sum(1 for s in failing if s.correlation_id in {d.correlation_id for d in run.watch(self.dead_letter_queue).deliveries()}
                    and failed_receives[s.correlation_id] < self.receives)
        where = dlq_key.label
        into_dlq.objectives = [
            Objective(f"dead-lettered within {self.within:g}s", where, f"all {total}", f"{arrived} of {total}", MET if arrived == total else MISSED,
                      unit="messages", bound_value=total, measured_value=arrived, line=self.line),
            Objective(f"moved only after {self.receives} failed receives", where, "none earlier", f"{early} earlier", MET if not early else MISSED,
                      unit="messages", bound_value=0, measured_value=early, line=self.line),
        ]
        seqs = sorted(int(c.rsplit(".", 1)[-1]) for c in failed_receives if c.rsplit(".", 1)[-1].isdigit())
        times = sorted(set(failed_receives.values()))
        into_dlq.note = (f"dead_letter function {self.function}: messages {seqs[:10] or 'none'} failed on each receive "
                         f"({'/'.join(map(str, times)) or 0} times), {arrived}/{total} in {self.dead_letter_queue}")
        if arrived < total:
            into_dlq.failures.append(f"{self.dead_letter_queue}: {total - arrived} of {total} failed messages not dead-lettered within {self.within:g}s; "
                                     f"the redrive of {self.queue} (max_receive_count {self.receives}) did not move them")
        elif early:
            into_dlq.failures.append(f"{self.dead_letter_queue}: {early} messages were dead-lettered before {self.receives} failed receives")
        stray = [s.seq for s in passing if s.correlation_id in {d.correlation_id for d in run.watch(self.dead_letter_queue).deliveries()}]
        if stray:
            into_dlq.failures.append(f"{self.dead_letter_queue}: messages {stray[:10]} were dead-lettered though the function acknowledged them")
        rules = verdicts.PathRules(queue=f"function {self.function}", late_after=self.within, duplicates_allowed=False, line=self.line)
        fn_key = run.paths_to_function(self.function, [(i, self.queue) for i in self.sends])
        to_function = [verdicts.judge_path(rules, key, [s for s in got if not self._failing(s)], run.watch(function_key(self.function)).deliveries())
                       for key, got in fn_key.items()]
        mixed = sum(1 for actions in batches.values() if ACK in actions and FAIL in actions)
        if to_function:
            to_function[0].objectives.append(
                Objective("batches with failed and acknowledged items (partial batch response)", to_function[0].stats.key.label, "≥ 1",
                          str(mixed), MET if mixed else NOT_OBSERVABLE, unit="batches", bound_value=1, measured_value=mixed, line=self.line,
                          reason="" if mixed else "every batch held only failing or only passing messages: send more at once or widen the batching window"))
        return [into_dlq, *to_function]

    def cost(self, c: CostContext) -> None:
        c.function(self.function, self.queue, times=self.receives)
        c.receive(self.dead_letter_queue)
        c.idle_polls(self.dead_letter_queue, self.within)
