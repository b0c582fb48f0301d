"""``faults:``: the scenario's faults, one registered expectation holding every entry (each entry one
registered fault kind, :func:`harness.scenario.faults.registry`)::

    faults:
      - {kind: consumer_crash, queue: b-eu, count: 3}
      - {kind: api_throttle, operations: [Publish], probability: 0.2}

While the scenario sends and waits (:meth:`FaultsSection.outage`): the API faults' injector is on
every client of the run's sessions, the consumer faults are on their queues' watches, the kit's
retries are counted, and the infrastructure faults are applied at their ``from`` and undone after
their ``for`` — and, whatever happens, when the block is left (an error, a SIGINT or SIGTERM: the
CLI raises them as KeyboardInterrupt in this thread). A publish an injected fault made fail is
counted as not sent, not fatal (:meth:`FaultsSection.send_failed`). The report's ``faults`` section
(:meth:`FaultsSection.judge`) says what was injected, where, how often and what became of each
message it struck; each fault the target cannot show is a *not observable* objective.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.expectations.base import SUPPORTED, Expectation, ReadContext, RunContext, Watch
from harness.scenario.expectations.dead_letter import DeadLetterCheck
from harness.scenario.expectations.outcomes import DeadLettered
from harness.scenario.expectations.subscription_dead_letter import SubscriptionDeadLetterCheck
from harness.scenario.faults import by_kind, registry
from harness.scenario.faults.base import Fault
from harness.scenario.faults.running import report, running, shared, took
from harness.scenario.faults.when import WHEN_KEYS, read_when
from harness.scenario.judge.objectives import CONDITION, MET, MISSED, NOT_OBSERVABLE, Objective
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext
    from harness.scenario.judge.verdicts import PathVerdict


@dataclass(frozen=True)
class FaultsSection(Expectation):
    faults: tuple[Fault, ...]
    line: int = field(default=0, compare=False)

    key = "faults"
    many = False
    load = "a fault is injected and undone per scenario run, not under a load run's shared streams; use `harness run`"
    keys = ()  # each entry has its kind's fields (docs/schema: $defs/fault_<kind>)

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        items = node.items(hint="write faults: as a list of entries, e.g. - {kind: consumer_crash, queue: b-eu, count: 1}")
        if items is None:
            return None
        faults: list[Fault] = []
        ok = True
        for item in items:
            head = item.mapping(allowed=None, required=("kind",))
            if head is None or "kind" not in head:
                ok = False
                continue
            name = head["kind"].string(what="fault kind")
            kind = by_kind(name) if name else None
            if kind is None:
                if name is not None:
                    head["kind"].problem(f"{name} is not a fault kind; write one of {', '.join(k.kind for k in registry())}")
                ok = False
                continue
            f = item.mapping(allowed=("kind", *kind.keys, *WHEN_KEYS), required=("kind", *kind.required))
            when = read_when(f, kind.default_count) if f is not None else None
            if f is None or when is None or any(k not in f for k in kind.required):
                ok = False
                continue
            if kind.kind == "consumer_stop" and when.duration is None:
                item.problem("a stopped consumer must start again to drain its backlog; add for: <duration>, e.g. for: 10s")
                ok = False
                continue
            fault = kind.read(r, f, when, item.line)
            ok = ok and fault is not None
            if fault is not None:
                faults.append(fault)
        return [cls(tuple(faults), node.line)] if ok and faults else None

    def watches(self) -> list[Watch]:
        return [w for f in self.faults for w in f.watches()]

    def load_refusal(self) -> str | None:
        # each fault says whether `harness load` takes it (none does yet: one line for the first)
        return next((f"{f.kind}: {f.load}" for f in self.faults if f.load != SUPPORTED), None)

    def quiet_for(self) -> float:
        # the wait goes on until what the faults set off can show (a crashed consumer's redelivery)
        return max((f.settle_seconds() for f in self.faults), default=0.0)

    def outage(self, run: RunContext) -> AbstractContextManager[None] | None:
        return running(self, self.faults, run)

    def send_failed(self, error: BaseException, correlation_ids: Sequence[str]) -> bool:
        return took(self, error, correlation_ids)  # only injected errors, only while the faults are on

    def judge(self, run: RunContext) -> None:
        faults = shared(run)
        if faults is None:
            return
        target = run.manifest().target
        for lf in faults.live:
            f = lf.fault
            reason = f.not_observable_on(target)
            where = f"{f.kind} on {f.where()}"
            if reason is not None:
                run.objective(Objective("fault effect", where, "observable on this target", f"not observable on {target}",
                                        NOT_OBSERVABLE, line=f.line, reason=reason))
                continue
            struck = lf.trigger.fired + lf.log.events["applied"] + lf.log.events["stopped"]  # a strike, or a while on
            run.objective(Objective("fault injected", where, "≥ 1 time", f"{struck} time{'s' if struck != 1 else ''}",
                                    MET if struck else MISSED, kind=CONDITION, unit="times", bound_value=1,
                                    measured_value=struck, line=f.line))
            for obj in f.objectives(lf, run):
                run.objective(obj)
        unsent = {cid: why for cid, why in faults.unsent.items() if cid not in {s.correlation_id for s in run.sent()}}
        planned = len({cid for queue in run.manifest().queues for cid in run.planned(queue)})
        if unsent or faults.unsent:
            run.objective(Objective("published", "every message the scenario meant to send", f"all {planned or len(unsent)}",
                                    f"{(planned or len(unsent)) - len(unsent)} (not published: {len(unsent)})",
                                    MET if not unsent else MISSED, unit="messages", bound_value=0, measured_value=len(unsent),
                                    stated=False, line=self.line))
        if unsent:
            first = sorted(unsent)[:5]
            run.fail(f"faults: {len(unsent)} message(s) never published after the retries gave up ({', '.join(first)}); "
                     "they are lost to every consumer")
        run.section("faults", report(faults, target, unsent, _fates(run)))

    def partial(self, run: RunContext) -> list[PathVerdict]:
        # the scenario could not finish: the report still says what was injected and undone
        faults = shared(run)
        if faults is not None:
            run.section("faults", report(faults, run.manifest().target, dict(faults.unsent)))
        return []

    def cost(self, c: CostContext) -> None:
        for f in self.faults:
            f.cost(c)




def _fates(run: RunContext) -> dict[str, Counter[str]]:
    """What became of each message on the expected queues and the watched dead-letter queues:
    ``redelivered on q`` (deliveries after the first), ``lost on q`` (meant for q, never delivered),
    ``dead-lettered to dlq``."""
    fates: dict[str, Counter[str]] = {}
    expected = {e.queue for e in run.scenario.expect}
    for queue in sorted(expected):
        if not run.has_watch(queue):
            continue
        seen = Counter(d.correlation_id for d in run.watch(queue).deliveries())
        for cid in run.planned(queue):
            if seen[cid] == 0:
                fates.setdefault(cid, Counter())[f"lost on {queue}"] += 1
            elif seen[cid] > 1:
                fates.setdefault(cid, Counter())[f"redelivered on {queue}"] += seen[cid] - 1
    sc = run.scenario
    dlqs = ({e.queue for e in sc.of(DeadLettered)} | {e.dead_letter_queue for e in sc.of(DeadLetterCheck)}
            | {e.dead_letter_queue for e in sc.of(SubscriptionDeadLetterCheck)})
    for queue in sorted(dlqs):
        if run.has_watch(queue):
            for d in run.watch(queue).deliveries():
                fates.setdefault(d.correlation_id, Counter())[f"dead-lettered to {queue}"] += 1
    return fates
