"""SNS → SQS subscription: the ``subscription`` module.

Not a sweep kind: a subscription has no run-scoped name, and deleting its topic deletes it. Which
account's provider creates it is the target's rule (:meth:`Target.subscription_creator`); it is
always created in the topic's region.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from harness.provision.kinds.base import RenderContext, ref
from harness.provision.manifest import SubscriptionEntry
from harness.provision.naming import queue_module, subscription_module, topic_module
from harness.topology.model import Subscription


@dataclass(frozen=True)
class PlacedSubscription:
    """One subscription as render placed it, before Terraform reports its ARN."""

    topic: str
    queue: str
    key: str  # the output's key, "<topic>-><queue>"
    raw_delivery: bool
    filter_policy: dict | None
    created_by: str  # account name whose provider creates it
    filter_policy_scope: str = "MessageAttributes"


class SubscriptionKind:
    group = "subscriptions"
    module_dir = "subscription"

    def module_name(self, sub: Subscription) -> str:
        return subscription_module(sub.topic, sub.queue)

    def place(self, ctx: RenderContext, sub: Subscription) -> PlacedSubscription:
        topic = ctx.topology.topics[sub.topic]
        queue = ctx.topology.queues[sub.queue]
        creator = ctx.target.subscription_creator(topic.account, queue.account)
        return PlacedSubscription(sub.topic, sub.queue, sub.key, sub.raw_delivery, sub.filter_policy, creator, sub.filter_policy_scope)

    def module_call(self, ctx: RenderContext, sub: Subscription, placed: PlacedSubscription) -> dict:
        topic = ctx.topology.topics[sub.topic]
        call: dict = {
            "source": ctx.source(self.module_dir),
            "providers": {"aws": ctx.provider_for(placed.created_by, topic.region)},
            "topic_arn": ref(topic_module(sub.topic), "arn"),
            "queue_arn": ref(queue_module(sub.queue), "arn"),
            "raw_message_delivery": sub.raw_delivery,
            # The queue's policy must exist before SNS delivers (and on AWS before Subscribe validates).
            "depends_on": [f"module.{queue_module(sub.queue)}"],
        }
        if sub.filter_policy is not None:
            call["filter_policy"] = json.dumps(sub.filter_policy, sort_keys=True)
        if sub.filter_policy_scope != "MessageAttributes":
            # Provider 3.39 cannot set the scope: the module leaves it (and the policy) to
            # harness.provision.body_filters after the apply.
            call["filter_scope"] = sub.filter_policy_scope
        if sub.dead_letter_queue:
            call["dead_letter_queue_arn"] = ref(queue_module(sub.dead_letter_queue), "arn")
            call["depends_on"].append(f"module.{queue_module(sub.dead_letter_queue)}")
        return call

    def output(self, sub: Subscription) -> str:
        return ref(self.module_name(sub), "arn")

    def entry(self, placed: PlacedSubscription, outputs: Mapping[str, str]) -> SubscriptionEntry:
        return SubscriptionEntry(
            placed.topic, placed.queue, outputs[placed.key], placed.raw_delivery, placed.filter_policy, placed.created_by,
            placed.filter_policy_scope,
        )


KIND = SubscriptionKind()
