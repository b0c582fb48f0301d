"""Item 6: the static check of a topology against the policies its own modules would write."""

from __future__ import annotations

import dataclasses

import pytest

from harness.access.static import UnauthorisedTopologyError, check_topology, declared_hops, raise_if_unauthorised, rendered_policies
from harness.errors import InputFileError
from harness.paths import REFERENCE_TOPOLOGY
from harness.topology.loader import load_topology


@pytest.fixture(scope="module")
def reference():
    return load_topology(REFERENCE_TOPOLOGY)


def test_reference_topology_is_authorised(reference) -> None:
    hops = declared_hops(reference)
    fields = {f for f, _ in hops}
    assert {"subscriptions[orders->b-eu]", "subscriptions[orders->b-eu].dead_letter_queue", "queues.b-eu.producers", "buckets.payloads.readers", "buckets.payloads.readers_may_delete"} <= fields
    assert check_topology(reference) == []
    raise_if_unauthorised(reference)  # no error


def test_rendered_policies_follow_the_modules(reference) -> None:
    policies = rendered_policies(reference)
    b_eu = policies.by_arn["arn:aws:sqs:eu-west-1:222222222222:b-eu"]
    assert [s.sid for s in b_eu.statements] == ["AllowSnsTopicsToDeliver", "AllowProducerAccountsToSend"]
    assert not policies.by_arn["arn:aws:sqs:eu-west-1:222222222222:b-eu-dlq"].present  # no policy written
    assert policies.by_arn["arn:aws:sqs:us-east-1:222222222222:b-sub-dlq"].present  # fed as subscription DLQ


def test_topic_in_an_opt_in_region_is_refused(reference) -> None:
    """The queue module names only sns.amazonaws.com: SNS in af-south-1 would be dropped."""
    topics = dict(reference.topics)
    topics["orders"] = dataclasses.replace(topics["orders"], region="af-south-1")
    topo = dataclasses.replace(reference, resources={**reference.resources, "topics": topics}, regions=reference.regions + ("af-south-1",))
    problems = check_topology(topo)
    assert {p.field for p in problems} == {
        "subscriptions[orders->b-eu]", "subscriptions[orders->b-eu].dead_letter_queue",
        "subscriptions[orders->b-ap]", "subscriptions[orders->c-us]", "subscriptions[orders->b-fn-in]",
        "subscriptions[orders->c-fn]",  # the function module's permission names sns.amazonaws.com too
    }
    first = problems[0].message
    assert first.startswith("b-eu: SNS cannot deliver from topic orders: the queue policy has no statement allowing sqs:SendMessage to sns.af-south-1.amazonaws.com")
    with pytest.raises(UnauthorisedTopologyError) as err:
        raise_if_unauthorised(topo)
    assert str(err.value).splitlines()[0].startswith(f"{topo.source}: subscriptions[orders->b-eu]: b-eu: SNS cannot deliver")
    with pytest.raises(InputFileError) as err2:
        raise_if_unauthorised(topo, line_of=lambda field: 42)
    assert err2.value.problems[0].line == 42


def test_every_declared_grant_reaches_its_module_policy(reference) -> None:
    """Publishers, producers and readers all flow into the rendered policies (guards the inputs)."""
    topics = dict(reference.topics)
    topics["orders"] = dataclasses.replace(topics["orders"], publishers=("C",))
    queues = dict(reference.queues)
    queues["b-ap"] = dataclasses.replace(queues["b-ap"], producers=("A", "C"))
    topo = dataclasses.replace(reference, resources={**reference.resources, "topics": topics, "queues": queues})
    fields = [f for f, _ in declared_hops(topo)]
    assert fields.count("topics.orders.publishers") == 1 and fields.count("queues.b-ap.producers") == 2
    assert check_topology(topo) == []
