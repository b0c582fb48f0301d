"""``subscriptions:``: a list joining topics to queues, each with its delivery options.

Cross-checks: one subscription per topic and queue, joining matching kinds (FIFO to FIFO), and a
subscription dead-letter queue in the subscribing queue's account and the topic's region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.topology.drafts import Drafts, Ref
from harness.topology.filter_policy import read_filter_policy, read_filter_policy_scope
from harness.topology.kind import KindSpec, NameClaim, need
from harness.topology.names import subscription_module
from harness.topology.readers import choices, kind_of, known_queue
from harness.topology.sourced_yaml import Node, join_names, quote, suggest

SUBSCRIPTION_KEYS = ("topic", "queue", "raw_delivery", "filter_policy", "filter_policy_scope", "dead_letter_queue")


@dataclass(frozen=True)
class Subscription:
    topic: str
    queue: str
    raw_delivery: bool = False
    filter_policy: dict[str, Any] | None = None  # the JSON object SNS stores, as parsed YAML
    dead_letter_queue: str | None = None  # logical queue name (subscription DLQ)
    filter_policy_scope: str = "MessageAttributes"  # or "MessageBody" (the policy then filters the JSON body)

    @property
    def key(self) -> str:
        return f"{self.topic}->{self.queue}"


@dataclass
class SubscriptionDraft:
    node: Node
    topic: Ref | None = None
    queue: Ref | None = None
    raw_delivery: bool = False
    filter_policy: dict[str, Any] | None = None
    dlq: Ref | None = None
    filter_policy_scope: str = "MessageAttributes"


class SubscriptionSpec(KindSpec):
    name = "subscription"
    group = "subscriptions"
    keys = SUBSCRIPTION_KEYS
    model = Subscription
    named = False
    example = "- {topic: orders, queue: b-eu}"

    def read(self, d: Drafts, node: Node) -> None:
        if node.is_null:
            return
        items = node.items(hint="write subscriptions as a list, e.g. subscriptions: [{topic: orders, queue: b-eu}]")
        for item in items or []:
            fields = item.mapping(
                allowed=SUBSCRIPTION_KEYS,
                required=("topic", "queue"),
                hint="write each subscription as a mapping, e.g. - {topic: orders, queue: b-eu}",
                required_hints={
                    "topic": f"add topic: <one of {join_names(d.topics)}>" if d.topics else "add topic: <name> and define that topic under topics:",
                    "queue": f"add queue: <one of {join_names(d.queues)}>" if d.queues else "add queue: <name> and define that queue under queues:",
                },
            )
            if fields is None:
                continue
            sub = SubscriptionDraft(item)
            section = d.section(self.group)
            section[str(len(section))] = sub
            if "topic" in fields:
                tnode = fields["topic"]
                value = tnode.string(what="topic name", hint=f"write one of the topics: {join_names(d.topics)}")
                if value is not None:
                    if value in d.topics:
                        sub.topic = Ref(value, tnode)
                    else:
                        tnode.problem(f"unknown topic {quote(value)}; {choices(d.topics, 'topics')}{suggest(value, d.topics)}")
            if "queue" in fields:
                sub.queue = _queue_ref(d, fields["queue"], f"write one of the queues: {join_names(d.queues)}")
            if "raw_delivery" in fields:
                sub.raw_delivery = bool(fields["raw_delivery"].boolean(hint="write raw_delivery: true or false"))
            if "filter_policy_scope" in fields:
                sub.filter_policy_scope = read_filter_policy_scope(fields["filter_policy_scope"], "filter_policy" in fields)
            if "filter_policy" in fields:
                sub.filter_policy = read_filter_policy(fields["filter_policy"], sub.filter_policy_scope)
            if "dead_letter_queue" in fields:
                sub.dlq = _queue_ref(d, fields["dead_letter_queue"], "write the logical name of a queue")

    def cross_check(self, d: Drafts) -> None:
        seen: dict[tuple[str, str], Node] = {}
        for sub in d.subscriptions:
            if sub.topic and sub.queue:
                pair = (sub.topic.value, sub.queue.value)
                if pair in seen:
                    first = seen[pair]
                    sub.node.problem(
                        f"{pair[0]} -> {pair[1]} is already subscribed at {first.field} (line {first.line}); "
                        "remove one of the two (one subscription per topic and queue)"
                    )
                else:
                    seen[pair] = sub.node
            _check_subscription(d, sub)

    def build(self, draft: SubscriptionDraft, d: Drafts) -> Subscription:
        return Subscription(
            topic=need(d, draft.topic, f"{draft.node.field}.topic").value,
            queue=need(d, draft.queue, f"{draft.node.field}.queue").value,
            raw_delivery=draft.raw_delivery,
            filter_policy=draft.filter_policy,
            dead_letter_queue=draft.dlq.value if draft.dlq else None,
            filter_policy_scope=draft.filter_policy_scope,
        )

    def key_of(self, entry: Subscription) -> str:
        return entry.key

    def claims(self, draft: SubscriptionDraft, d: Drafts) -> list[NameClaim]:
        if not (draft.topic and draft.queue):
            return []
        who = f"subscription {draft.topic.value} -> {draft.queue.value}"
        return [NameClaim(who, subscription_module(draft.topic.value, draft.queue.value), "Terraform module", draft.node)]


def _queue_ref(d: Drafts, node: Node, hint: str) -> Ref | None:
    value = node.string(what="queue name", hint=hint)
    if value is None:
        return None
    ref = Ref(value, node)
    return ref if known_queue(d, ref, "queue") is not None else None


def _check_subscription(d: Drafts, sub: SubscriptionDraft) -> None:
    topic = d.topics[sub.topic.value] if sub.topic else None
    queue = d.queues[sub.queue.value] if sub.queue else None
    if topic is not None and queue is not None and sub.queue is not None:
        if topic.fifo and not queue.fifo:
            sub.queue.node.problem(
                f"topic {quote(topic.name)} is FIFO but queue {quote(queue.name)} is standard; a FIFO "
                "topic delivers only to FIFO queues, so set fifo: true on the queue or use a standard topic"
            )
        elif queue.fifo and not topic.fifo:
            sub.queue.node.problem(
                f"topic {quote(topic.name)} is standard but queue {quote(queue.name)} is FIFO; a standard "
                "topic cannot deliver to a FIFO queue, so subscribe the queue to a FIFO topic or remove "
                "fifo: true from the queue"
            )
    if sub.dlq is None:
        return
    dlq = d.queues[sub.dlq.value]
    node = sub.dlq.node
    if queue is not None and dlq.name == queue.name:
        node.problem(f"the subscription's dead-letter queue cannot be the subscribed queue {quote(queue.name)}; name a separate queue")
        return
    if queue is not None and queue.account and dlq.account and dlq.account.value != queue.account.value:
        node.problem(
            f"dead-letter queue {quote(dlq.name)} is in account {dlq.account.value} but a subscription "
            f"DLQ must be in the subscribing queue's account ({queue.account.value}); use a queue owned "
            f"by {queue.account.value}"
        )
    if topic is not None and topic.region and dlq.region and dlq.region.value != topic.region.value:
        node.problem(
            f"dead-letter queue {quote(dlq.name)} is in {dlq.region.value} but a subscription DLQ must "
            f"be in the topic's region ({topic.region.value}); use a queue in {topic.region.value}"
        )
    if topic is not None and topic.fifo != dlq.fifo:
        node.problem(
            f"dead-letter queue {quote(dlq.name)} is {kind_of(dlq.fifo)} but topic {quote(topic.name)} is "
            f"{kind_of(topic.fifo)}; a subscription DLQ must match the topic, so use a "
            f"{kind_of(topic.fifo)} queue"
        )


PART = SubscriptionSpec()
