"""``dead_letter:`` naming a function SNS invokes: the function fails every ``fail_every``-th
message on every attempt, Lambda retries each failed asynchronous invocation
``functions.<f>.max_retry_attempts`` times (within ``max_event_age``) and then sends a record of it
to the function's on-failure destination (``functions.<f>.on_failure``), while the other messages
are handled once::

    dead_letter: {function: c-fn, fail_every: 2, within: 30s}

Judged into two paths — the failed messages to the on-failure destination (the kit's message
recovered from the record's ``requestPayload``, verified against what was sent), the others to the
function — and objectives: every failed message recorded there within ``within``; each tried as
often as the function's settings say before (the function's receipts count its attempts; the
record's ``approximateInvokeCount`` says Lambda's); each record carrying the failure context (the
function's ARN and the condition that matches its attempts: ``RetriesExhausted``, or
``EventAgeExceeded`` when ``max_event_age`` cut the retries short); none of the others there, each
acknowledged once. Read through :class:`~.function_dead_letter.FunctionDeadLetter`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from harness.payload.function_consumer import FAIL
from harness.scenario.execute.failure_watch import EVENT_AGE_EXCEEDED, RETRIES_EXHAUSTED, FailureRecord, failure_key
from harness.scenario.execute.function_watch import function_key
from harness.scenario.expectations.base import Arrival, Expectation, ReadContext, RunContext, Watch
from harness.scenario.format.sends import may_offload
from harness.scenario.judge import verdicts
from harness.scenario.judge.facts import Sent
from harness.scenario.judge.objectives import MET, MISSED, Objective
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext
    from harness.scenario.format.model import Scenario

RETRY_DELAYS = (60.0, 120.0)  # Lambda's gaps before its first and second retry (AWS: about; LocalStack: LAMBDA_RETRY_BASE_DELAY × n)
SCHEDULE_SLACK = 30.0  # how far AWS's timing may stray from those gaps


def attempts_expected(retries: int, max_event_age: int | None) -> tuple[int, int]:
    """(fewest, most) invocations of an event that fails every time: 1 + the retries, unless the
    event grows older than ``max_event_age`` before a retry is due (then Lambda gives up early);
    a retry due within :data:`SCHEDULE_SLACK` of the age may happen or not."""
    fewest = most = 1
    due = 0.0
    for k in range(retries):
        due += RETRY_DELAYS[k]
        if max_event_age is None or due + SCHEDULE_SLACK <= max_event_age:
            fewest += 1
            most += 1
        elif due - SCHEDULE_SLACK <= max_event_age:
            most += 1
    return fewest, most


def schedule_seconds(attempts: int) -> float:
    """When the last of ``attempts`` invocations starts, after the first."""
    return sum(RETRY_DELAYS[: attempts - 1])


@dataclass(frozen=True)
class FunctionOnFailure(Expectation):
    function: str
    destination: str  # the on-failure destination queue
    retries: int  # max_retry_attempts (Lambda's default 2)
    max_event_age: int | None
    fail_every: int
    within: float
    sends: tuple[int, ...] = ()
    line: int = field(default=0, compare=False)

    key = "dead_letter"
    many = False
    one_send_only = True
    load = "a function's failed invocations and their on-failure records are checked per scenario run, not under load; use `harness run`"
    keys = ("function", "fail_every", "within")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        """``dead_letter: {function: …}``: read by the function's dead-letter check, which hands a function SNS invokes to :meth:`for_function`."""
        from harness.scenario.expectations.function_dead_letter import FunctionDeadLetter  # that module imports this one

        return FunctionDeadLetter.read(r, node)

    @classmethod
    def for_function(cls, r: ReadContext, f: dict[str, Node], function: str, within: float, every: int, sends: tuple[int, ...],
                     line: int) -> list[Expectation] | None:
        """The check of ``function``'s asynchronous failures, or None after a problem at ``f``'s line."""
        topo, where = r.topology, f["function"]
        fn = topo.functions[function]
        if r.sends and not sends:
            where.problem(f"no send reaches function {function} (SNS invokes it for topic {', '.join(topo.topics_invoking(function))}, "
                          "and it polls no queue); send to that topic")
            return None
        if not fn.on_failure:
            where.problem(f"SNS invokes function {function} and it has no on-failure destination; add functions.{function}.on_failure: "
                          f"<a standard queue in {fn.region}> to the topology (with max_retry_attempts: 0 the records come at once)")
            return None
        _, most = attempts_expected(fn.retry_attempts, fn.max_event_age)
        need = schedule_seconds(most) + SCHEDULE_SLACK
        if within < need:
            (f["within"] if "within" in f else where).problem(
                f"function {function} is tried up to {most} times (max_retry_attempts {fn.retry_attempts}), the last about "
                f"{schedule_seconds(most):.0f} s after the first; write within: {need:.0f}s or more, or lower "
                f"functions.{function}.max_retry_attempts")
            return None
        destination = topo.queues[fn.on_failure]
        for i in sends:
            bucket = r.sends[i].bucket
            if not bucket or not may_offload(r.sends[i]):
                continue
            readers = {topo.buckets[bucket].account, *topo.buckets[bucket].readers}
            if bucket not in fn.reads:
                where.problem(f"payloads go through bucket {bucket}, which function {function} does not read; add it to functions.{function}.reads")
                return None
            if destination.account not in readers:
                where.problem(f"the harness verifies the failed messages in queue {destination.name} as its account {destination.account}, "
                              f"which may not read bucket {bucket}; add {destination.account} to buckets.{bucket}.readers")
                return None
        return [cls(function, fn.on_failure, fn.retry_attempts, fn.max_event_age, every, within, sends, line)]

    # -- running ----------------------------------------------------------------------------------
    def functions_read(self) -> list[tuple[str, bool]]:
        return [(self.function, False)]

    def function_behaviour(self) -> list[tuple[str, dict[str, int]]]:
        return [(self.function, {"fail_every": self.fail_every})]

    def watches(self) -> list[Watch]:
        return [Watch(function_key(self.function), False, 2), Watch(failure_key(self.destination), False, 1)]

    def arrivals(self, scenario: Scenario) -> list[Arrival]:
        return [Arrival(failure_key(self.destination), self.within, self.sends, only_every=self.fail_every),
                Arrival(function_key(self.function), self.within, self.sends, skip_every=self.fail_every)]

    def _failing(self, s: Sent) -> bool:
        return s.seq % self.fail_every == self.fail_every - 1

    # -- judging ----------------------------------------------------------------------------------
    def judge(self, run: RunContext) -> None:
        for verdict in self._verdicts(run, full=True):
            run.add(verdict)

    def partial(self, run: RunContext) -> list[verdicts.PathVerdict]:
        if not (run.has_watch(failure_key(self.destination)) and run.has_watch(function_key(self.function))):
            return []
        return self._verdicts(run, full=False)

    def _settings(self) -> str:
        return f"max_retry_attempts {self.retries}" + (f", max_event_age {self.max_event_age}s" if self.max_event_age is not None else "")

    def _verdicts(self, run: RunContext, full: bool) -> list[verdicts.PathVerdict]:
        sent = run.sent()
        failing, passing = [s for s in sent if self._failing(s)], [s for s in sent if not self._failing(s)]
        watch = run.watch(failure_key(self.destination))
        key = replace(run.path(run.scenario.send, self.destination), after=self.function)
        into = verdicts.judge_path(verdicts.PathRules(queue=self.destination, late_after=None, hops=False, report_lost=False),
                                   key, failing, watch.deliveries())
        mine = {s.correlation_id for s in failing}
        recorded: dict[str, FailureRecord] = {}
        for record in run.failure_records(self.destination):
            recorded.setdefault(record.correlation_id, record)
        attempts: dict[str, int] = defaultdict(int)
        for receipt in run.receipts(self.function) if full else []:
            if receipt.action == FAIL:
                attempts[receipt.correlation_id] += 1
        arrived, total = sum(1 for c in mine if c in recorded), len(failing)
        fewest, most = attempts_expected(self.retries, self.max_event_age)
        tried = f"{fewest}" if fewest == most else f"{fewest}-{most}"
        here = [recorded[c] for c in sorted(mine) if c in recorded]
        off = [r.correlation_id for r in here if not (fewest <= attempts[r.correlation_id] <= most and fewest <= r.invoke_count <= most)]
        fn_arn = run.manifest().functions[self.function].arn
        no_context = [r.correlation_id for r in here if not r.function_arn.startswith(fn_arn) or r.condition != _condition(r, self.retries)]
        label = key.label
        into.objectives = [
            Objective(f"failed events recorded at the on-failure destination within {self.within:g}s", label, f"all {total}", f"{arrived} of {total}",
                      MET if arrived == total else MISSED, unit="messages", bound_value=total, measured_value=arrived, line=self.line),
            *([Objective(f"tried {tried}× before the record ({self._settings()})", label, f"all {len(here)} recorded",
                         f"{len(here) - len(off)} of {len(here)}", MET if not off else MISSED, unit="messages", bound_value=len(here),
                         measured_value=len(here) - len(off), line=self.line)] if full else []),  # attempts come from the receipts, read at the end
            Objective("each record names the function and why it failed (requestContext)", label, f"all {len(here)} recorded",
                      f"{len(here) - len(no_context)} of {len(here)}", MET if not no_context else MISSED, unit="records",
                      bound_value=len(here), measured_value=len(here) - len(no_context), line=self.line),
        ]
        seqs = sorted(int(c.rsplit(".", 1)[-1]) for c in mine if c.rsplit(".", 1)[-1].isdigit())
        conditions = sorted({r.condition for r in here})
        into.note = (f"dead_letter function {self.function} ({self._settings()}): messages {seqs[:10] or 'none'} failed on every attempt "
                     f"(tried {'/'.join(str(n) for n in sorted(set(attempts[c] for c in mine))) or 0} times), {arrived}/{total} recorded in "
                     f"{self.destination} ({', '.join(conditions) or 'no record'})")
        if arrived < total:
            into.failures.append(f"{self.destination}: {total - arrived} of {total} failed invocations of function {self.function} left no record "
                                 f"within {self.within:g}s; check functions.{self.function}.on_failure and that its role may send there")
        if off and full:
            seen = {c: (attempts[c], recorded[c].invoke_count) for c in off[:3]}
            into.failures.append(f"{self.destination}: {len(off)} message(s) were not tried {tried}× ({self._settings()}): "
                                 + ", ".join(f"{c.rsplit('.', 1)[-1]}: {n} attempt(s), record says {k}" for c, (n, k) in seen.items()))
        if no_context:
            r = recorded[no_context[0]]
            into.failures.append(f"{self.destination}: {len(no_context)} record(s) lack the failure context expected, e.g. function "
                                 f"{r.function_arn or '?'} condition {r.condition or '?'} after {r.invoke_count} invocation(s)")
        stray = sorted(s.seq for s in passing if s.correlation_id in {r.correlation_id for r in run.failure_records(self.destination)})
        if stray:
            into.failures.append(f"{self.destination}: messages {stray[:10]} have on-failure records though function {self.function} acknowledged them")
        rules = verdicts.PathRules(queue=f"function {self.function}", late_after=self.within, duplicates_allowed=False, line=self.line)
        got = run.watch(function_key(self.function)).deliveries()
        to_function = [verdicts.judge_path(rules, k, [s for s in sent_on if not self._failing(s)], got)
                       for k, sent_on in run.paths_to_function(self.function, [(i, "") for i in self.sends]).items()]
        return [into, *to_function]

    def cost(self, c: CostContext) -> None:
        _, most = attempts_expected(self.retries, self.max_event_age)
        c.function(self.function, "", times=most)  # an upper bound: every message tried as often as a failing one
        c.failure_records(self.function, self.destination, 1.0 / self.fail_every)
        c.idle_polls(self.destination, self.within)


def _condition(record: FailureRecord, retries: int) -> str:
    """The condition a record must give for its invocations: every retry made, or the event too old for the next."""
    return RETRIES_EXHAUSTED if record.invoke_count >= retries + 1 else EVENT_AGE_EXCEEDED
