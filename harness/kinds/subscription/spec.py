"""``subscriptions:``: a list joining topics to queues or to Lambda functions, each with its
delivery options.

Cross-checks: one subscription per topic and endpoint, joining matching kinds (FIFO to FIFO; a FIFO
topic never to a function), a function in the topic's region (SNS invokes functions of its own
region only), no raw delivery to a function, and a subscription dead-letter queue in the
endpoint's account and the topic's region.
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

SUBSCRIPTION_KEYS = ("topic", "queue", "function", "raw_delivery", "filter_policy", "filter_policy_scope", "dead_letter_queue")


@dataclass(frozen=True)
class Subscription:
    topic: str
    queue: str = ""  # logical queue name; "" for a function subscription
    raw_delivery: bool = False
    filter_policy: dict[str, Any] | None = None  # the JSON object SNS stores, as parsed YAML
    dead_letter_queue: str | None = None  # logical queue name (subscription DLQ)
    filter_policy_scope: str = "MessageAttributes"  # or "MessageBody" (the policy then filters the JSON body)
    function: str | None = None  # logical function name (protocol lambda) instead of a queue

    @property
    def endpoint(self) -> str:
        """The queue's or the function's logical name (never both alike: harness.kinds.function.spec)."""
        return self.function or self.queue

    @property
    def protocol(self) -> str:
        return "lambda" if self.function else "sqs"

    @property
    def key(self) -> str:
        return f"{self.topic}->{self.endpoint}"


@dataclass
class SubscriptionDraft:
    node: Node
    topic: Ref | None = None
    queue: Ref | None = None
    function: Ref | None = None
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
    example = "- {topic: orders, queue: b-eu}  or  - {topic: orders, function: c-fn}"

    def read(self, d: Drafts, node: Node) -> None:
        if node.is_null:
            return
        items = node.items(hint="write subscriptions as a list, e.g. subscriptions: [{topic: orders, queue: b-eu}]")
        for item in items or []:
            fields = item.mapping(
                allowed=SUBSCRIPTION_KEYS,
                required=("topic",),
                hint="write each subscription as a mapping, e.g. - {topic: orders, queue: b-eu}",
                required_hints={
                    "topic": f"add topic: <one of {join_names(d.topics)}>" if d.topics else "add topic: <name> and define that topic under topics:",
                },
            )
            if fields is None:
                continue
            if "queue" in fields and "function" in fields:
                item.problem("name exactly one endpoint: queue: <name> (SNS → SQS) or function: <name> (SNS → Lambda), not both")
            elif "queue" not in fields and "function" not in fields:
                queues = f"<one of {join_names(d.queues)}>" if d.queues else "<name> and define that queue under queues:"
                item.problem(f'missing required field "queue"; add queue: {queues}, or function: <name> for a Lambda function',
                             field=item.child_path("queue"))
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
            if "function" in fields:
                sub.function = _function_ref(d, fields["function"])
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
            endpoint = sub.queue or sub.function
            if sub.topic and endpoint:
                pair = (sub.topic.value, endpoint.value)
                if pair in seen:
                    first = seen[pair]
                    sub.node.problem(
                        f"{pair[0]} -> {pair[1]} is already subscribed at {first.field} (line {first.line}); "
                        "remove one of the two (one subscription per topic and endpoint)"
                    )
                else:
                    seen[pair] = sub.node
            _check_subscription(d, sub)
            check_function_subscription(d, sub)

    def build(self, draft: SubscriptionDraft, d: Drafts) -> Subscription:
        return Subscription(
            topic=need(d, draft.topic, f"{draft.node.field}.topic").value,
            queue=draft.queue.value if draft.queue else "",
            raw_delivery=draft.raw_delivery,
            filter_policy=draft.filter_policy,
            dead_letter_queue=draft.dlq.value if draft.dlq else None,
            filter_policy_scope=draft.filter_policy_scope,
            function=need(d, draft.function, f"{draft.node.field}.function").value if not draft.queue else None,
        )

    def key_of(self, entry: Subscription) -> str:
        return entry.key

    def claims(self, draft: SubscriptionDraft, d: Drafts) -> list[NameClaim]:
        endpoint = draft.queue or draft.function
        if not (draft.topic and endpoint):
            return []
        who = f"subscription {draft.topic.value} -> {endpoint.value}"
        return [NameClaim(who, subscription_module(draft.topic.value, endpoint.value), "Terraform module", draft.node)]


def _queue_ref(d: Drafts, node: Node, hint: str) -> Ref | None:
    value = node.string(what="queue name", hint=hint)
    if value is None:
        return None
    ref = Ref(value, node)
    return ref if known_queue(d, ref, "queue") is not None else None


def _function_ref(d: Drafts, node: Node) -> Ref | None:
    value = node.string(what="function name", hint=f"write one of the functions: {join_names(d.functions)}")
    if value is None:
        return None
    if value not in d.functions:
        node.problem(f"unknown function {quote(value)}; {choices(d.functions, 'functions')}{suggest(value, d.functions)}")
        return None
    return Ref(value, node)


def check_function_subscription(d: Drafts, sub: SubscriptionDraft) -> None:
    """SNS → Lambda: what AWS refuses (a function of another region, a FIFO topic) and raw delivery."""
    if sub.function is None or sub.topic is None:
        return
    topic, fn = d.topics[sub.topic.value], d.functions[sub.function.value]
    if topic.region and fn.region and topic.region.value != fn.region.value:
        sub.function.node.problem(
            f"function {quote(fn.name)} is in {fn.region.value} but topic {quote(topic.name)} is in {topic.region.value}; SNS "
            f"invokes Lambda functions of the topic's region only, so use a function in {topic.region.value} (or let a "
            f"function in {fn.region.value} poll a queue subscribed to the topic: functions.{fn.name}.queue)"
        )
    if topic.fifo:
        sub.function.node.problem(
            f"topic {quote(topic.name)} is FIFO, and a FIFO topic delivers to SQS FIFO queues only; subscribe a FIFO queue and "
            f"let the function poll it (functions.{fn.name}.queue), or use a standard topic"
        )
    if sub.raw_delivery:
        sub.node.problem("raw_delivery applies to queue endpoints; SNS always invokes a function with its JSON record, so remove raw_delivery")


def _check_subscription(d: Drafts, sub: SubscriptionDraft) -> None:
    topic = d.topics[sub.topic.value] if sub.topic else None
    queue = d.queues[sub.queue.value] if sub.queue else None
    endpoint = queue or (d.functions[sub.function.value] if sub.function else None)
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
    what = "queue" if queue is not None else "function"
    if endpoint is not None and endpoint.account and dlq.account and dlq.account.value != endpoint.account.value:
        node.problem(
            f"dead-letter queue {quote(dlq.name)} is in account {dlq.account.value} but a subscription "
            f"DLQ must be in the subscribing {what}'s account ({endpoint.account.value}); use a queue owned "
            f"by {endpoint.account.value}"
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
