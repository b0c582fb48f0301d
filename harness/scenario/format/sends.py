"""``send:`` (one) or ``sends:`` (several, run concurrently), and which expectations they can meet.

Several sends may differ in account, region, topic or queue, FIFO group, rate and everything else
a send has; each message is still judged on its own, on the path its send takes. Two sends may not
share a FIFO message group on one target (the order across two concurrent producers of one group
is nobody's to check). An ``expect`` queue is judged against the messages of every send that reaches
it (a topic it is subscribed to, or a direct send to it).
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.scenario.format.attributes import body_filter_unmatchable, numeric_filter_on_string
from harness.scenario.format.model import Send, SubscriptionDeadLetterCheck
from harness.scenario.format.send_reader import queue_ref, read_send
from harness.scenario.format.units import read_duration
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node

MAX_SENDS = 16
SINGLE_SEND_ONLY = ("dead_letter", "payload_deleted_after_ack", "subscription_dead_letter")


def read_sends(topo: Topology, top: dict[str, Node]) -> tuple[list[Send], bool]:
    """The scenario's sends in file order, and whether they all read cleanly."""
    if "send" in top and "sends" in top:
        top["sends"].problem("write either send: (one) or sends: (a list), not both")
        return [], False
    if "send" in top:
        one = read_send(topo, top["send"])
        return ([one] if one is not None else []), one is not None
    if "sends" not in top:
        return [], True
    items = top["sends"].items(hint="write sends: as a list of send mappings, e.g. - {from: A/us-east-1, topic: orders}")
    if items is None:
        return [], False
    if not 1 <= len(items) <= MAX_SENDS:
        top["sends"].problem(f"lists {len(items)} sends; write 1 to {MAX_SENDS}")
        return [], False
    read = [read_send(topo, item) for item in items]
    sends = [s for s in read if s is not None]
    ok = len(sends) == len(read)
    seen: dict[tuple[str, str], int] = {}
    for i, (item, send) in enumerate(zip(items, read)):
        if send is None or send.group is None:
            continue
        key = (send.via, send.group)
        if key in seen:
            item.problem(
                f"sends[{seen[key]}] already sends FIFO group {send.group} to {send.via.replace(':', ' ')}; "
                "give each send its own group (order is checked per group)"
            )
            ok = False
        seen.setdefault(key, i)
    if ok and len(sends) > 1:
        for key in SINGLE_SEND_ONLY:
            if key in top:
                top[key].problem(f"{key} follows the messages of one send; this scenario has {len(sends)}: split it")
                ok = False
    return sends, ok


def subscribed(topo: Topology) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for sub in topo.subscriptions:
        out.setdefault(sub.topic, set()).add(sub.queue)
    return out


def reaching(topo: Topology, sends: Sequence[Send], queue: str) -> list[Send]:
    """The sends whose messages are routed to ``queue``."""
    subs = subscribed(topo)
    return [s for s in sends if s.queue == queue or (s.topic is not None and queue in subs.get(s.topic, set()))]


def expect_problem(topo: Topology, sends: Sequence[Send], queue: str) -> str | None:
    """Why ``queue`` under ``expect`` could never receive the messages of the sends that reach it."""
    reach = reaching(topo, sends, queue)
    if not reach:
        if len(sends) == 1:
            send = sends[0]
            if send.topic:
                return (f"queue {queue} is not subscribed to topic {send.topic}, so it can never receive these; "
                        "subscribe it in the topology or move it to expect_not")
            return f"messages go straight to queue {send.queue}; expect that queue or send through a topic"
        targets = ", ".join(dict.fromkeys(s.via.replace(":", " ") for s in sends))
        return f"no send reaches queue {queue} (they go to {targets}); subscribe it in the topology or move it to expect_not"
    for send in reach:
        if send.topic is None:
            continue
        key = numeric_filter_on_string(topo, send.topic, queue, send.attributes)
        if key:
            return (f"the subscription of {queue} filters {key} numerically, and on AWS a numeric filter matches only "
                    f"Number attributes, so it never receives these (LocalStack 4.13.1 would deliver them); "
                    f"send {key}: {{type: Number, value: ...}}")
        why = body_filter_unmatchable(topo, send.topic, queue, send.body, send.offload)
        if why:
            return f"the subscription of {queue} filters the message body, but {why}"
    return None


def expect_not_problem(topo: Topology, sends: Sequence[Send], queue: str) -> str | None:
    """Why ``queue`` under ``expect_not`` would be judged differently on LocalStack and on AWS."""
    for send in sends:
        key = numeric_filter_on_string(topo, send.topic, queue, send.attributes) if send.topic else None
        if key:
            return (f"the subscription of {queue} filters {key} numerically and {key} is sent as a String: AWS never delivers "
                    f"it there but LocalStack 4.13.1 does, so this check would fail on LocalStack only; send {key} as "
                    "{type: Number, value: ...} or filter it with a string condition")
    return None


def read_subscription_dead_letter(topo: Topology, node: Node, sends: Sequence[Send], expected: Sequence[str]) -> SubscriptionDeadLetterCheck | None:
    """``subscription_dead_letter: {queue: <endpoint queue>, within: 30s}`` for the one send's topic."""
    f = node.mapping(allowed=("queue", "within"), required=("queue", "within"))
    if f is None or "queue" not in f or "within" not in f:
        return None
    queue = queue_ref(topo, f["queue"])
    within = read_duration(f["within"])
    if queue is None or within is None or len(sends) != 1:
        return None
    send = sends[0]
    if send.topic is None:
        f["queue"].problem("a subscription dead-letter queue takes what SNS cannot deliver; send through a topic (topic: <name>)")
        return None
    [sub] = [s for s in topo.subscriptions if s.topic == send.topic and s.queue == queue] or [None]
    if sub is None:
        f["queue"].problem(f"queue {queue} is not subscribed to topic {send.topic}; name the endpoint queue of a subscription of {send.topic}")
        return None
    if sub.dead_letter_queue is None:
        f["queue"].problem(f"the subscription of {queue} to {send.topic} has no dead_letter_queue; add dead_letter_queue: <queue> to it in the topology")
        return None
    if queue in expected:
        f["queue"].problem(f"queue {queue} is also under expect, but SNS cannot deliver to it during this check; remove one of the two")
        return None
    return SubscriptionDeadLetterCheck(send.topic, queue, sub.dead_letter_queue, within)
