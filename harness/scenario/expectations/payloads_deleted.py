"""``payload_deleted_after_ack: true``: after the one expected queue's consumer acknowledged a
message whose payload went through S3, the payload object must be gone (the consumer deletes it
on ack, as the Java extended client does; the bucket must let it: ``readers_may_delete``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.expectations.base import Expectation, ReadContext, RunContext
from harness.scenario.format.preflight import may_offload
from harness.scenario.judge import verdicts
from harness.scenario.judge.objectives import MET, MISSED, NOT_OBSERVABLE, Objective
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext


@dataclass(frozen=True)
class PayloadsDeleted(Expectation):
    line: int = field(default=0, compare=False)

    key = "payload_deleted_after_ack"
    many = False
    one_send_only = True
    load = "payload deletion is checked object by object after one scenario run, not under load; use `harness run`"

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        value = node.boolean()
        if value is None:
            return None
        return [cls(node.line)] if value else []

    @classmethod
    def cross_check(cls, r: ReadContext, node: Node) -> bool:
        expects = len(r.top["expect"].items() or []) if "expect" in r.top else 0  # written, read cleanly or not
        if r.of(cls) and expects != 1:
            node.problem(
                "needs exactly one expect queue: with fan-out, one consumer deleting the payload on ack "
                "would take it away from the others; split the scenario"
            )
            return False
        deleting = [e for e in r.read.get("expect", []) if getattr(e, "delete_payloads", False)]
        if r.of(cls) and r.read.get("expect") and not deleting and any(may_offload(s) for s in r.sends):
            where = getattr(r.read["expect"][0], "where", "expect[0]")
            node.warning(  # a warning: the run's check that catches a payload left behind must stay testable
                f"checks that the consumer deleted each payload on acknowledgement, but {where} does not delete "
                f"them, so every offloaded payload is left and this check fails; add delete_payloads: true to {where}"
            )
        return True

    def judge(self, run: RunContext) -> None:
        pointers = verdicts.offloaded(run.sent())
        left = run.still_stored(pointers) if pointers else set()
        gone = len(pointers) - len(left)
        result = MET if pointers and not left else (NOT_OBSERVABLE if not pointers else MISSED)
        run.objective(Objective("payload objects gone after ack", "payloads", f"all {len(pointers)}", f"{gone} of {len(pointers)}", result,
                                unit="objects", bound_value=len(pointers), measured_value=gone, line=self.line,
                                reason="no message was offloaded" if not pointers else ""))
        for failure in verdicts.judge_payloads_deleted(pointers, left):
            run.fail(failure)

    def cost(self, c: CostContext) -> None:
        c.head_objects()  # HeadObject per offloaded payload: is it gone?
