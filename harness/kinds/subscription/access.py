"""A subscription's access facts: it has no policy of its own, but it declares accesses the topic's
and queues' policies must authorise — SNS delivers to the queue (and to the subscription's
dead-letter queue) as the service principal of the topic's region with ``aws:SourceArn`` = the
topic, and across accounts the queue's account may ``sns:Subscribe`` (protocol sqs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.access.kind import AccessKind
from harness.access.paths import Hop, deliver_hop, subscribe_hop
from harness.kinds.subscription.spec import Subscription
from harness.topology.model import Topology

if TYPE_CHECKING:
    from harness.access.deployment import Deployment


class SubscriptionAccess(AccessKind):
    kind = "subscription"
    group = "subscriptions"

    def declared_hops(self, topology: Topology, name: str, spec: Subscription, dep: Deployment) -> list[tuple[str, Hop]]:
        where = f"subscriptions[{spec.key}]"
        topic, queue = dep.topic(spec.topic), dep.queue(spec.queue)
        out = [(where, deliver_hop(topic, queue))]
        if spec.dead_letter_queue:
            out.append((f"{where}.dead_letter_queue", deliver_hop(topic, dep.queue(spec.dead_letter_queue))))
        queue_account = topology.queues[spec.queue].account
        if queue_account != topology.topics[spec.topic].account:
            out.append((where, subscribe_hop(topology.account_id(queue_account), topic, queue)))
        return out


PART = SubscriptionAccess()
