"""Static check (issue 11, item 6): would the kit's own modules authorise what a topology declares?

:func:`check_topology_access` raises it as ``file:line: field:`` problems of the topology file.
Topology validation is an earlier stage than access, so the places that drive validation call it
right after loading: ``harness validate`` / ``harness up`` (cli), the scenario loader (so
``harness run`` and the pytest plugin refuse too) and the driver before it applies.

Before anything is applied, render each resource's policy as the Terraform modules would write it
(:mod:`harness.access.modules`, fed with the same inputs :mod:`harness.render` passes), then
judge, with the evaluator, every access the topology declares:

- each subscription: SNS delivers to the queue (and to the subscription's dead-letter queue), as
  the service principal of the topic's region, with ``aws:SourceArn`` = the topic;
- each subscription across accounts: the queue's account may ``sns:Subscribe`` (protocol sqs);
- each topic publisher: ``sns:Publish``; each queue producer: ``sqs:SendMessage``;
- each bucket writer: ``s3:PutObject`` over TLS;
- each bucket reader: ``s3:GetObject`` over TLS, and ``s3:DeleteObject`` with ``readers_may_delete``.

ARNs are built from the logical names (the physical ``hx-<run>-`` names do not change who may
do what). Callers are assumed to have full access in their own account, as on the harness's roles.
Today's modules grant every declared access except one: SNS delivery from a topic in an opt-in
region, which needs ``sns.<region>.amazonaws.com`` where the queue module writes only
``sns.amazonaws.com``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.access import modules
from harness.access.deployment import Deployment
from harness.access.paths import Hop, HopKind, deliver_hop, payload_hop, publish_hop, send_hop, subscribe_hop
from harness.access.policy import AccessError, parse_policy
from harness.access.readback import BUCKET_POLICY, KEY_POLICY, QUEUE_POLICY, TOPIC_POLICY
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
    """Every resource's policy as the modules would render it (inputs as harness.render passes
    them), for the ARNs of ``where`` (default: logical names, :meth:`Deployment.from_topology`)."""
    ids = topology.account_id
    where = where or Deployment.from_topology(topology)
    by_arn = {}
    for name, topic in topology.topics.items():
        arn = where.topic(name).arn
        doc = modules.topic_policy(arn, [ids(a) for a in topology.subscriber_accounts(name)], [ids(a) for a in topic.publishers])
        by_arn[arn] = parse_policy(doc, TOPIC_POLICY)
    for name, queue in topology.queues.items():
        arn = where.queue(name).arn
        sources = [where.topic(t).arn for t in topology.topics_feeding(name)]
        by_arn[arn] = parse_policy(modules.queue_policy(arn, sources, [ids(a) for a in queue.producers]), QUEUE_POLICY)
    for name, bucket in topology.buckets.items():
        arn = where.bucket(name).arn
        doc = modules.bucket_policy(arn, [ids(a) for a in bucket.readers], bucket.readers_may_delete, [ids(a) for a in bucket.writers])
        by_arn[arn] = parse_policy(doc, BUCKET_POLICY)
    for name, key in topology.keys.items():
        feeding = sorted({t for q, queue in topology.queues.items() if queue.kms_key == name for t in topology.topics_feeding(q)})
        doc = modules.key_policy(ids(key.account), [ids(a) for a in key.encrypt], [ids(a) for a in key.decrypt], [where.topic(t).arn for t in feeding])
        by_arn[where.keys[name].arn] = parse_policy(doc, KEY_POLICY)
    return AppliedPolicies(by_arn)


def declared_hops(topology: Topology) -> list[tuple[str, Hop]]:
    """(topology field, hop) for every access the topology declares."""
    ids = topology.account_id
    dep = Deployment.from_topology(topology)
    out: list[tuple[str, Hop]] = []
    for sub in topology.subscriptions:
        where = f"subscriptions[{sub.key}]"
        topic, queue = dep.topic(sub.topic), dep.queue(sub.queue)
        out.append((where, deliver_hop(topic, queue)))
        if sub.dead_letter_queue:
            out.append((f"{where}.dead_letter_queue", deliver_hop(topic, dep.queue(sub.dead_letter_queue))))
        queue_account = topology.queues[sub.queue].account
        if queue_account != topology.topics[sub.topic].account:
            out.append((where, subscribe_hop(ids(queue_account), topic, queue)))
    for name, topic in topology.topics.items():
        for account in topic.publishers:
            out.append((f"topics.{name}.publishers", publish_hop(ids(account), dep.topic(name))))
    for name, queue in topology.queues.items():
        for account in queue.producers:
            out.append((f"queues.{name}.producers", send_hop(ids(account), dep.queue(name))))
    for name, bucket in topology.buckets.items():
        ref = dep.bucket(name)
        for account in bucket.writers:
            out.append((f"buckets.{name}.writers", payload_hop(HopKind.PUT_PAYLOAD, account, ids(account), ref)))
        for account in bucket.readers:
            out.append((f"buckets.{name}.readers", payload_hop(HopKind.GET_PAYLOAD, account, ids(account), ref)))
            if bucket.readers_may_delete:
                out.append((f"buckets.{name}.readers_may_delete", payload_hop(HopKind.DELETE_PAYLOAD, account, ids(account), ref)))
    return out


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
