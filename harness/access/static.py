"""Static check (issue 11, item 6): would the kit's own modules authorise what a topology declares?

:func:`check_topology_access` raises it as ``file:line: field:`` problems of the topology file.
Topology validation is an earlier stage than access, so the places that drive validation call it
right after loading: ``harness validate`` / ``harness up`` (cli), the scenario loader (so
``harness run`` and the pytest plugin refuse too) and the driver before it applies.

Before anything is applied, render each resource's policy as the Terraform modules would write it
(each kind's ``rendered_policy`` in ``harness/kinds/<kind>/access.py``, fed with the same inputs render passes), then
judge, with the evaluator, every access the topology declares:

- each subscription: SNS delivers to the queue (and to the subscription's dead-letter queue), as
  the service principal of the topic's region, with ``aws:SourceArn`` = the topic;
- each subscription across accounts: the queue's account may ``sns:Subscribe`` (protocol sqs);
- each topic publisher: ``sns:Publish``; each queue producer: ``sqs:SendMessage``;
- each bucket writer: ``s3:PutObject`` over TLS;
- each bucket reader: ``s3:GetObject`` over TLS, and ``s3:DeleteObject`` with ``readers_may_delete``;
- each function subscription: SNS invokes the function (its resource policy, ``aws:SourceArn``);
- each function's execution role: receives from the queue it polls and gets the payloads of each
  bucket it reads (the role's own policy and the bucket's, across accounts).

ARNs are built from the logical names (the physical ``hx-<run>-`` names do not change who may
do what). Callers are assumed to have full access in their own account, as on the harness's roles.
Today's modules grant every declared access except one: SNS delivery from a topic in an opt-in
region, which needs ``sns.<region>.amazonaws.com`` where the queue module writes only
``sns.amazonaws.com``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.access.deployment import Deployment
from harness.access.kind import access_kinds
from harness.access.paths import Hop
from harness.access.policy import AccessError, parse_policy
from harness.access.verdicts import AppliedPolicies, HopVerdict, judge_hop
from harness.errors import InputFileError, Problem
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, line_resolver, load_yaml


@dataclass(frozen=True)
class StaticProblem:
    """A declared access the module policies would refuse. ``field`` points into the topology file
    (``subscriptions[orders->b-eu]``, ``buckets.payloads.readers``, ...)."""

    field: str
    verdict: HopVerdict

    @property
    def message(self) -> str:
        return f"{self.verdict.line} — the Terraform modules would not authorise what the topology declares"


class UnauthorisedTopologyError(AccessError):
    """Raised by :func:`raise_if_unauthorised`; ``problems`` lists every refused access."""

    def __init__(self, source: str, problems: list[StaticProblem]):
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p.field}: {p.message}" for p in problems))


def rendered_policies(topology: Topology, where: Deployment | None = None) -> AppliedPolicies:
    """Every resource's policy as the modules would render it (inputs as render passes them), for
    the ARNs of ``where`` (default: logical names, :meth:`Deployment.from_topology`)."""
    where = where or Deployment.from_topology(topology)
    by_arn = {}
    roles = {}
    for kind in access_kinds():
        if kind.policy_name is None:
            continue
        for name, spec in topology.of(kind.group).items():
            placed = where.resources[kind.group][name]
            doc = kind.rendered_policy(topology, name, spec, where)
            by_arn[placed.arn] = parse_policy(doc, kind.policy_name)
            identity = kind.rendered_identity(topology, name, spec, where)
            if identity is not None and placed.principal:
                roles[placed.principal] = [parse_policy(identity, f"{kind.kind} {name}'s role policy")]
    return AppliedPolicies(by_arn, roles=roles)


def declared_hops(topology: Topology) -> list[tuple[str, Hop]]:
    """(topology field, hop) for every access the topology declares, kind by kind."""
    dep = Deployment.from_topology(topology)
    return [hop for kind in access_kinds() for name, spec in topology.of(kind.group).items() for hop in kind.declared_hops(topology, name, spec, dep)]


def check_topology(topology: Topology) -> list[StaticProblem]:
    """Every declared access the module policies would refuse (empty: all authorised)."""
    policies = rendered_policies(topology)
    problems = []
    for where, hop in declared_hops(topology):
        verdict = judge_hop(hop, policies)
        if not verdict.ok:
            problems.append(StaticProblem(where, verdict))
    return problems


def raise_if_unauthorised(topology: Topology, line_of: Callable[[str], int] | None = None) -> None:
    """Raise when some declared access would be refused. With ``line_of`` (topology field →
    line, from the YAML reader) the error is an :class:`InputFileError` (``file:line: field:
    message``); without it, an :class:`UnauthorisedTopologyError` (``file: field: message``)."""
    problems = check_topology(topology)
    if not problems:
        return
    if line_of is not None:
        raise InputFileError([Problem(topology.source, line_of(p.field), p.field, p.message) for p in problems])
    raise UnauthorisedTopologyError(topology.source, problems)


def check_topology_access(topology: Topology) -> None:
    """Raise :class:`~harness.errors.InputFileError` (``file:line: field: message``) when the
    topology declares a subscription, publisher, producer or reader its own modules' policies
    would refuse; nothing when every declared access is authorised."""
    root: Node | None = None

    def line_of(field: str) -> int:
        nonlocal root
        if root is None:
            root = load_yaml(topology.source)
        return line_resolver(root)(field)

    raise_if_unauthorised(topology, line_of)
