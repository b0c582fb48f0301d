"""SNS → SQS or SNS → Lambda subscription: the ``subscription`` module.

Not a sweep kind: a subscription has no run-scoped name, and deleting its topic deletes it. Which
account's provider creates it is the target's rule (:meth:`Target.subscription_creator`); it is
always created in the topic's region. The manifest keeps subscriptions as a list (each entry
carries its topic and queue).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from harness.kinds.subscription.spec import Subscription
from harness.provision.kind import Placed, ProvisionKind, RenderContext, ref
from harness.provision.manifest import SubscriptionEntry
from harness.provision.naming import function_module, queue_module, subscription_module, topic_module


class SubscriptionKind(ProvisionKind):
    kind = "subscription"
    group = "subscriptions"
    module_dir = "subscription"
    entry_type = SubscriptionEntry

    def module_name(self, key: str, spec: Subscription) -> str:
        return subscription_module(spec.topic, spec.endpoint)

    def place(self, ctx: RenderContext, key: str, spec: Subscription) -> Placed:
        topic = ctx.topology.topics[spec.topic]
        creator = ctx.target.subscription_creator(topic.account, ctx.topology.endpoint_account(spec))
        return Placed(self, key, {"spec": spec, "created_by": creator})

    def module_call(self, ctx: RenderContext, key: str, spec: Subscription) -> dict[str, Any]:
        topic = ctx.topology.topics[spec.topic]
        creator = self.place(ctx, key, spec).facts["created_by"]
        call: dict[str, Any] = {
            "source": ctx.source(self.module_dir),
            "providers": {"aws": ctx.provider_for(creator, topic.region)},
            "topic_arn": ref(topic_module(spec.topic), "arn"),
            "raw_message_delivery": spec.raw_delivery,
        }
        if spec.function:
            # The function's permission for SNS exists before SNS invokes it.
            call["function_arn"] = ref(function_module(spec.function), "arn")
            call["depends_on"] = [f"module.{function_module(spec.function)}"]
        else:
            call["queue_arn"] = ref(queue_module(spec.queue), "arn")
            # The queue's policy must exist before SNS delivers (and on AWS before Subscribe validates).
            call["depends_on"] = [f"module.{queue_module(spec.queue)}"]
        if spec.filter_policy is not None:
            call["filter_policy"] = json.dumps(spec.filter_policy, sort_keys=True)
        if spec.filter_policy_scope != "MessageAttributes":
            # Provider 3.39 cannot set the scope: the module leaves it (and the policy) to
            # harness.provision.body_filters after the apply.
            call["filter_scope"] = spec.filter_policy_scope
        if spec.dead_letter_queue:
            call["dead_letter_queue_arn"] = ref(queue_module(spec.dead_letter_queue), "arn")
            call["depends_on"].append(f"module.{queue_module(spec.dead_letter_queue)}")
        return call

    def output(self, key: str, spec: Subscription) -> dict[str, str]:
        return {"arn": ref(self.module_name(key, spec), "arn")}

    def entry(self, placed: Placed, value: Mapping[str, str]) -> SubscriptionEntry:
        sub: Subscription = placed.facts["spec"]
        return SubscriptionEntry(
            sub.topic, sub.queue, value["arn"], sub.raw_delivery, sub.filter_policy, placed.facts["created_by"], sub.filter_policy_scope,
            sub.function or "",
        )

    def dump(self, entries: Mapping[str, Any]) -> Any:
        return [asdict(e) for e in entries.values()]

    def load(self, data: Any) -> dict[str, Any]:
        items = data.values() if isinstance(data, dict) else (data or [])
        entries = [SubscriptionEntry(**s) for s in items]
        return {f"{e.topic}->{e.endpoint}": e for e in entries}


PART = SubscriptionKind()
