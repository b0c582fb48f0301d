"""A subscription's access facts: it has no policy of its own, but it declares accesses the topic's,
queues' and functions' policies must authorise — SNS delivers to the queue (and to the
subscription's dead-letter queue) or invokes the function, as the service principal of the topic's
region with ``aws:SourceArn`` = the topic, and across accounts the endpoint's account may
``sns:Subscribe`` (protocol sqs or lambda)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.access.kind import AccessKind
from harness.access.paths import Hop, Named, deliver_hop, invoke_hop, subscribe_hop
from harness.kinds.subscription.spec import Subscription
from harness.topology.model import Topology

if TYPE_CHECKING:
    from harness.access.deployment import Deployment


class SubscriptionAccess(AccessKind):
    kind = "subscription"
    group = "subscriptions"

    def declared_hops(self, topology: Topology, name: str, spec: Subscription, dep: Deployment) -> list[tuple[str, Hop]]:
        where = f"subscriptions[{spec.key}]"
        topic = dep.topic(spec.topic)
        if spec.function:
            fn = dep.function(spec.function)
            out = [(where, invoke_hop(topic, fn))]
            endpoint = Named(fn.name, fn.arn)
        else:
            endpoint = dep.queue(spec.queue)
            out = [(where, deliver_hop(topic, endpoint))]
        if spec.dead_letter_queue:
            out.append((f"{where}.dead_letter_queue", deliver_hop(topic, dep.queue(spec.dead_letter_queue))))
        account = topology.endpoint_account(spec)
        if account != topology.topics[spec.topic].account:
            out.append((where, subscribe_hop(topology.account_id(account), topic, endpoint, spec.protocol)))
        return out


PART = SubscriptionAccess()
