"""Preflight: what a scenario's access step would refuse, refused when the scenario is validated.

Right before a scenario sends, the runner judges every hop of its paths against the policies read
back from the applied resources (:mod:`harness.scenario.execute.access_step`): the sender publishes
or sends, SNS delivers, the sender puts an offloaded payload, each consumer gets it (and deletes it
with ``delete_payloads``), every party uses the keys it needs. The same hops
(:func:`scenario_hops`), judged here against the policies the topology's own Terraform modules
would write (:func:`harness.access.static.rendered_policies`), refuse the scenario at validation
with the run's own words and the fix, at the scenario line that asks for the access::

    s.scenario.yaml:12: expect[1].queue: access denied: c-orders: account 333333333333 cannot get the payload
    from bucket payloads: …; add C to buckets.payloads.readers in the topology

The topology's *declared* accesses are judged by :mod:`harness.access.static`; this judges what a
scenario *uses*: a consumer of offloaded payloads whose account the bucket does not list among its
readers, one that deletes payloads from a bucket without ``readers_may_delete``, a reader of an
SSE-KMS bucket without the key's ``decrypt``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.access.deployment import Deployment
from harness.access.paths import Hop, HopKind
from harness.access.static import rendered_policies
from harness.access.verdicts import HopVerdict, judge_hop
from harness.payload import wire
from harness.scenario.format.model import Scenario, Send
from harness.scenario.format.sends import ATTRIBUTE_ALLOWANCE
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node

SENDER_HOPS = (HopKind.PUBLISH, HopKind.SEND, HopKind.PUT_PAYLOAD)
NOT_CONSUMERS = ("send", "sends", "expect_denied")  # fields naming a queue that no consumer reads


def may_offload(send: Send) -> bool:
    """Whether some payload of ``send`` may go through S3 (the loader's rule: ``offload: always``,
    or a size within the attribute allowance of the path's threshold)."""
    threshold = wire.DEFAULT_SNS_THRESHOLD if send.topic else wire.DEFAULT_SQS_THRESHOLD
    return send.offload == "always" or any(s.bytes > threshold - ATTRIBUTE_ALLOWANCE for s in send.sizes)


def scenario_hops(
    dep: Deployment,
    scenario: Scenario,
    subscribed: Iterable[str] | None = None,
    send: Send | None = None,
    invoking: Iterable[str] = (),
    polls: Mapping[str, str] | None = None,
    failing: Mapping[str, str] | None = None,
) -> list[Hop]:
    """Every hop of the paths of one send (the first by default; none when it sends nothing).
    ``subscribed``: the queues subscribed to its topic (a dead-letter check's queue counts only when
    it is one); ``invoking``: the functions subscribed to it; ``polls``: function → the queue it polls;
    ``failing``: function → its on-failure destination (a function SNS invokes sends its failure records there)."""
    send = send or scenario.send
    if send is None:
        return []
    fed = set(subscribed) if subscribed is not None and send.topic else {send.queue}
    reads = [r for e in scenario.expectations for r in e.reads_from()]  # (queue, deletes payloads) of each consumer
    receivers = list(dict.fromkeys(q for q, _ in reads))
    if subscribed is not None or send.queue:  # only the consumers of queues this send reaches
        receivers = [q for q in receivers if q in fed]
    functions = [r for e in scenario.expectations for r in e.functions_read()]  # (function, deletes payloads)
    named = list(dict.fromkeys(f for f, _ in functions))
    invoked = [f for f in named if send.topic and f in set(invoking)]
    polling = [(f, q) for f in named if (q := (polls or {}).get(f)) and q in fed]
    deleting = list(dict.fromkeys([q for q, deletes in reads if deletes] + [f for f, deletes in functions if deletes]))
    bucket = send.bucket if send.bucket and may_offload(send) else None
    return dep.path_hops(
        send.account,
        topic=send.topic,
        queue=send.queue,
        receivers=receivers,
        deleting=deleting,
        bucket=bucket,
        secure_transport=True,
        invoked=invoked,
        polling=polling,
        failing=failing,
    )


def refused_hops(scenario: Scenario, topology: Topology) -> list[tuple[int, HopVerdict]]:
    """(send index, verdict) of every hop of every send that the modules' policies would refuse."""
    dep = Deployment.from_topology(topology)
    policies = rendered_policies(topology, dep)
    seen: list[Hop] = []
    out = []
    polls = {name: f.queue for name, f in topology.functions.items() if f.queue}
    failing = {name: f.on_failure for name, f in topology.functions.items() if f.on_failure}
    for index, send in enumerate(scenario.sends):
        subscribed = [s.queue for s in topology.subscriptions if s.topic == send.topic and s.queue]
        invoking = [s.function for s in topology.subscriptions if s.topic == send.topic and s.function]
        for hop in scenario_hops(dep, scenario, subscribed, send, invoking, polls, failing):
            if hop in seen:
                continue
            seen.append(hop)
            verdict = judge_hop(hop, policies)
            if not verdict.ok:
                out.append((index, verdict))
    return out


def _by_sender(hop: Hop, send: Send, sender_id: str) -> bool:
    """Whether the sender makes this request (the rest are SNS's or a consumer's)."""
    if hop.kind in SENDER_HOPS:
        return True
    if hop.request.is_service or hop.request.principal != sender_id:
        return False
    start = f"topic {send.topic}" if send.topic else f"queue {send.queue}"
    return hop.kind is HopKind.ENCRYPT or hop.via == start


def fix(hop: Hop, topology: Topology) -> str:
    """What to change in the topology so that the modules grant ``hop``."""
    names = {a.id: a.name for a in topology.accounts.values()}
    who = names.get(hop.request.principal, hop.request.principal)
    r = hop.resource
    fixes = {
        HopKind.PUBLISH: f"add {who} to topics.{r}.publishers in the topology",
        HopKind.SEND: f"add {who} to queues.{r}.producers in the topology",
        HopKind.PUT_PAYLOAD: f"add {who} to buckets.{r}.writers in the topology",
        HopKind.GET_PAYLOAD: f"add {who} to buckets.{r}.readers in the topology",
        HopKind.DELETE_PAYLOAD: f"set buckets.{r}.readers_may_delete: true in the topology, or remove delete_payloads here",
        HopKind.ENCRYPT: f"add {who} to keys.{r}.encrypt in the topology",
        HopKind.DECRYPT: f"add {who} to keys.{r}.decrypt in the topology",
    }
    if hop.request.is_service or hop.kind not in fixes:
        return f"`harness access --topology {topology.source}` shows what the modules grant"
    return fixes[hop.kind]


def _entries(node: Node) -> list[Node]:
    if node.kind == "list":
        return node.items() or []
    return [node] if node.kind == "mapping" else []


def _child(node: Node, key: str) -> Node | None:
    return next((value for name, _, value in node.entries() or [] if name == key), None)


def consumer_node(top: dict[str, Node], queue: str, deleting: bool) -> Node | None:
    """Where the scenario asks ``queue``'s consumer to read (its ``delete_payloads`` when it deletes)."""
    for key in (k for k in top if k not in NOT_CONSUMERS):
        for entry in _entries(top[key]):
            q = _child(entry, "queue") if entry.kind == "mapping" else None
            if q is not None and q.raw == queue:
                return (_child(entry, "delete_payloads") if deleting else None) or q
    return None


def sender_node(top: dict[str, Node], index: int, hop: Hop) -> Node:
    """Where the scenario asks for the sender's access: its ``from`` (or ``bucket`` for a payload)."""
    send = top["send"] if "send" in top else (top["sends"].items() or [top["sends"]])[index]
    wanted = "bucket" if hop.kind is HopKind.PUT_PAYLOAD else "from"
    return _child(send, wanted) or _child(send, "from") or send


def check_scenario_access(scenario: Scenario, topology: Topology, top: dict[str, Node], root: Node) -> bool:
    """Record, at the scenario's lines, every hop the run's access step would refuse; False if any."""
    refused = refused_hops(scenario, topology)
    for index, verdict in refused:
        hop, send = verdict.hop, scenario.sends[index]
        if _by_sender(hop, send, topology.account_id(send.account)):
            node: Node | None = sender_node(top, index, hop)
        else:
            node = consumer_node(top, hop.subject, hop.kind is HopKind.DELETE_PAYLOAD)
        (node or root).problem(f"access denied: {verdict.line}; {fix(hop, topology)}")
    return not refused
