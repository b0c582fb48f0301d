"""The access matrix of a deployment (issue 11, item 5): who may publish, subscribe, send, receive,
put, read, delete and invoke what — and which topics SNS may deliver into which queues and which
functions it may invoke.

Pure: it takes a :class:`~harness.access.deployment.Deployment` and the policies read back
(:class:`~harness.access.verdicts.AppliedPolicies`) and judges one request per (resource,
capability, account). Callers are assumed to have full access in their own account unless
``policies.identity`` says otherwise, so the matrix shows what the *resource policies* open up
across accounts. :meth:`AccessMatrix.table` is the plain-text table for the terminal;
:meth:`AccessMatrix.as_dict` the report's form (with the deciding statement of every cell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.access.deployment import Deployment
from harness.access.evaluate import Decision, Outcome
from harness.access.kind import access_kinds
from harness.access.paths import invoke_hop
from harness.access.verdicts import AppliedPolicies, HopVerdict, judge_hop, judge_request
from harness.topology.model import Topology

MARK = {Outcome.ALLOWED: "yes", Outcome.IMPLICIT_DENY: "-", Outcome.EXPLICIT_DENY: "DENY"}


@dataclass(frozen=True)
class MatrixCell:
    kind: str  # topic | queue | bucket
    resource: str  # logical name
    capability: str
    account: str  # account name (or 12-digit id of an account outside the deployment)
    decision: Decision


@dataclass(frozen=True)
class DeliveryCell:
    topic: str
    queue: str  # the queue's logical name, or the function's when ``function``
    decision: Decision
    function: bool = False

    @property
    def endpoint(self) -> str:
        return f"function {self.queue}" if self.function else self.queue


@dataclass(frozen=True)
class RoleCell:
    """What a principal the deployment creates (a function's execution role) may do: one declared
    access of it (``where``: the topology field declaring it) and the verdict's line."""

    where: str
    verdict: HopVerdict


@dataclass(frozen=True)
class AccessMatrix:
    accounts: tuple[str, ...]
    cells: tuple[MatrixCell, ...]
    deliveries: tuple[DeliveryCell, ...]
    roles: tuple[RoleCell, ...] = ()

    def cell(self, kind: str, resource: str, capability: str, account: str) -> MatrixCell:
        for c in self.cells:
            if (c.kind, c.resource, c.capability, c.account) == (kind, resource, capability, account):
                return c
        raise KeyError((kind, resource, capability, account))

    def table(self) -> str:
        """Rows: resource × capability; columns: accounts; ``yes`` / ``-`` / ``DENY`` (explicit)."""
        rows: list[list[str]] = [["resource", "may", *self.accounts]]
        seen: dict[tuple[str, str, str], dict[str, str]] = {}
        for c in self.cells:
            seen.setdefault((c.kind, c.resource, c.capability), {})[c.account] = MARK[c.decision.outcome]
        for (kind, resource, capability), marks in seen.items():
            rows.append([f"{kind} {resource}", capability, *(marks.get(a, "?") for a in self.accounts)])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        allowed = [f"{d.topic} -> {d.endpoint}" for d in self.deliveries if d.decision.allowed]
        lines.append("")
        lines.append("SNS may deliver: " + (", ".join(allowed) if allowed else "nothing"))
        if self.roles:
            lines.append("Function roles:")
            lines += [f"  {'yes' if r.verdict.ok else 'NO '} {r.verdict.line}" for r in self.roles]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        def decision(d: Decision) -> dict[str, object]:
            st = d.statement
            return {
                "verdict": d.outcome.value,
                "statement": None if st is None else {"policy": st.policy, "sid": st.sid, "index": st.index},
                "reason": d.reason,
            }

        return {
            "accounts": list(self.accounts),
            "cells": [
                {"kind": c.kind, "resource": c.resource, "capability": c.capability, "account": c.account, **decision(c.decision)}
                for c in self.cells
            ],
            "deliveries": [{"topic": d.topic, ("function" if d.function else "queue"): d.queue, **decision(d.decision)} for d in self.deliveries],
            **({"roles": [{"where": r.where, "hop": r.verdict.hop.kind.value, "subject": r.verdict.hop.subject, **decision(r.verdict.decision),
                           "line": r.verdict.line} for r in self.roles]} if self.roles else {}),
        }


def access_matrix(dep: Deployment, policies: AppliedPolicies, outsiders: Sequence[str] = (), topology: Topology | None = None) -> AccessMatrix:
    """Judge every capability of every resource for every account of ``dep`` (and ``outsiders``,
    12-digit ids of accounts outside it, to show they are shut out); with ``topology``, also what
    each principal the deployment creates may do (a function's role: poll its queue, read payloads)."""
    accounts = tuple(dep.accounts) + tuple(outsiders)
    cells: list[MatrixCell] = []
    for kind in access_kinds():
        for name in dep.resources.get(kind.group, {}):
            for capability, action in kind.capabilities:
                for account in accounts:
                    request, policy_arn = kind.matrix_request(dep, name, action, dep.account_id(account))
                    cells.append(MatrixCell(kind.kind, name, capability, account, judge_request(request, policy_arn, policies)))
    deliveries = tuple(
        DeliveryCell(t, q, judge_hop(dep.delivery_hop(t, q), policies).decision) for t in dep.topics for q in dep.queues
    ) + tuple(
        DeliveryCell(t, f, judge_hop(invoke_hop(dep.topic(t), dep.function(f)), policies).decision, function=True)
        for t in dep.topics for f in dep.functions
    )
    roles: tuple[RoleCell, ...] = ()
    if topology is not None:
        declared = [(where, hop) for kind in access_kinds() for name, spec in topology.of(kind.group).items()
                    for where, hop in kind.declared_hops(topology, name, spec, dep) if hop.caller]
        roles = tuple(RoleCell(where, judge_hop(hop, policies)) for where, hop in declared)
    return AccessMatrix(accounts, tuple(cells), deliveries, roles)
