"""Payload lifecycle accounting: what the extended-client pattern leaves behind::

    orphaned_payloads: 0      # objects under this scenario's keys that no sent message points to
    dangling_pointers: 0      # delivered pointers whose object was gone when the consumer read it

Every payload object a scenario uploads is named ``<scenario token>/<uuid>`` (the publisher's
``key_prefix``, :func:`harness.scenario.execute.send.sender_for`), so after the scenario the bucket
lists exactly its objects. An orphan is one that no published message points to: an upload whose
publish failed and whose cleanup did not happen (a crashed publisher). A dangling pointer is a
delivered message whose object was missing when it was read.

Both are implied (``stated: false``, bound 0) in every scenario that offloads: a scenario with a
payload bucket gets them without writing them, and they are judged when an object was uploaded or
a pointer delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.payload.outcome import Outcome
from harness.scenario.execute.watch import list_payloads
from harness.scenario.expectations.base import Expectation, ReadContext, RunContext
from harness.scenario.judge.objectives import at_most
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext

LOAD_REFUSED = "payload objects are accounted for per scenario run (a listing of its keys); use `harness run`"
SECTION = "payloads"


def _offloads(r: ReadContext) -> bool:
    return any(s.bucket for s in r.sends)


@dataclass(frozen=True)
class _ImpliedBound(Expectation):
    """A count that must stay at most ``max``: stated in the file, or implied (bound 0) wherever a
    scenario offloads. An implied one is not judged under load, and is no reason to refuse it."""

    max: int = 0
    stated: bool = True
    line: int = field(default=0, compare=False)

    many = False
    load = LOAD_REFUSED

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        value = node.integer(min=0, hint=f"e.g. {cls.key}: 0")
        return None if value is None else [cls(value, True, node.line)]

    @classmethod
    def implied(cls, r: ReadContext) -> list[Expectation]:
        return [cls(0, False)] if _offloads(r) else []

    def load_refusal(self) -> str | None:
        return self.load if self.stated else None


@dataclass(frozen=True)
class OrphanedPayloads(_ImpliedBound):
    key = "orphaned_payloads"

    def judge(self, run: RunContext) -> None:
        from harness.scenario.faults.running import shared

        bucket = run.bucket()
        faults = shared(run)
        offloaded = any(s.pointer for s in run.sent()) or (faults is not None and bool(faults.unsent))
        if bucket is None or not (self.stated or offloaded):
            return  # implied, and nothing went through S3 (nor failed on its way): no listing, no request
        objects = list_payloads(run.sessions().client("s3", bucket.account, bucket.region), bucket.name, f"{run.token()}/")
        pointed = {key for s in run.sent() if s.pointer for key in (s.pointer[1],)}
        if not objects and not pointed and not self.stated:
            return  # nothing offloaded: nothing to account for
        orphans = sorted(k for k in objects if k not in pointed)
        section = run.share().setdefault(SECTION, {"bucket": bucket.name, "prefix": f"{run.token()}/"})
        section.update(objects=len(objects), pointed=len(pointed), orphaned=[f"s3://{bucket.name}/{k}" for k in orphans[:100]])
        run.section(SECTION, section)
        run.objective(at_most("orphaned payloads", f"bucket {bucket.name}", float(len(orphans)), float(self.max), "objects",
                              stated=self.stated, line=self.line))
        if len(orphans) > self.max:
            run.fail(f"orphaned_payloads: {len(orphans)} object(s) no sent message points to (at most {self.max}): "
                     + ", ".join(f"s3://{bucket.name}/{k}" for k in orphans[:5]))

    def cost(self, c: CostContext) -> None:
        if self.stated or any(b.offload for b in c.batches):
            c.tally.gets += 1  # one ListObjectsV2 (priced as a GET-class request, though a LIST costs more)


@dataclass(frozen=True)
class DanglingPointers(_ImpliedBound):
    key = "dangling_pointers"

    def judge(self, run: RunContext) -> None:
        bucket = run.bucket()
        pointers = {s.correlation_id: s.pointer for s in run.sent() if s.pointer}
        if bucket is None or (not pointers and not self.stated):
            return
        dangling: list[str] = []
        for queue in sorted({e.queue for e in run.scenario.expect}):
            if run.has_watch(queue):
                dangling += [f"{queue}: {d.correlation_id}" for d in run.watch(queue).deliveries()
                             if d.correlation_id in pointers and d.outcome is Outcome.MISSING_OBJECT]
        section = run.share().setdefault(SECTION, {"bucket": bucket.name, "prefix": f"{run.token()}/"})
        section.update(dangling=dangling[:100])
        run.section(SECTION, section)
        run.objective(at_most("dangling pointers", f"bucket {bucket.name}", float(len(dangling)), float(self.max), "pointers",
                              stated=self.stated, line=self.line))
        if len(dangling) > self.max:
            run.fail(f"dangling_pointers: {len(dangling)} delivered pointer(s) whose object was gone (at most {self.max}): "
                     + ", ".join(dangling[:5]))

    def cost(self, c: CostContext) -> None:
        return None


ACCOUNTING: tuple[type[Expectation], ...] = (OrphanedPayloads, DanglingPointers)
