"""The reference topology applied by Terraform on LocalStack, judged from its read-back policies.

This is the end-to-end guard of the Python mirror of the module policies (harness/access/modules.py):
what Terraform really wrote, read back through boto3, must equal what the mirror renders for the
same ARNs; and every hop of the reference paths must be allowed under it."""

from __future__ import annotations

from typing import Any

import pytest

from harness import paths
from harness.access.deployment import Deployment
from harness.access.policy import Policy
from harness.access.readback import read_applied
from harness.access.static import rendered_policies
from harness.access.verdicts import AppliedPolicies, denial_verdict, denied, judge
from harness.topology.loader import load_topology

pytestmark = pytest.mark.localstack

TOPOLOGY = load_topology(paths.REFERENCE_TOPOLOGY)


@pytest.fixture(scope="module")
def applied(reference_run: Any) -> Any:
    return reference_run  # the session's reference run: this module only reads its policies


def canonical(policy: Policy) -> list[tuple]:
    """Order-insensitive form (AWS may reorder list elements; LocalStack keeps them)."""
    return [
        (
            s.sid, s.effect, sorted(s.actions or ()), sorted(s.not_actions or ()), sorted(s.resources or ()),
            sorted(str(p) for p in s.principals or ()), sorted((c.operator, c.key, tuple(sorted(c.values))) for c in s.conditions),
        )
        for s in policy.statements
    ]


def test_read_back_policies_equal_the_mirror(applied: Any, aws) -> None:
    dep = Deployment.from_manifest(applied)
    actual = read_applied(dep.applied(), aws)
    mirror = rendered_policies(TOPOLOGY, dep).by_arn
    for arn, policy in actual.items():
        if arn in dep.topics and not mirror[arn].present:
            continue  # no module policy: SNS keeps its default one
        assert policy.present == mirror[arn].present, arn
        assert canonical(policy) == canonical(mirror[arn]), arn


def test_reference_paths_are_allowed_and_outsiders_refused(applied: Any, aws) -> None:
    dep = Deployment.from_manifest(applied)
    policies = AppliedPolicies(read_applied(dep.applied(), aws))
    hops = dep.path_hops("A", topic="orders", receivers=["b-eu", "b-ap", "c-us"], deleting=["b-eu"], bucket="payloads")
    hops += dep.path_hops("A", queue="b-eu") + dep.path_hops("B", queue="c-us")
    hops += dep.path_hops("A", topic="orders-fifo", receivers=["b-eu-fifo"])
    assert [v.line for v in denied(judge(hops, policies))] == []
    outsider = denial_verdict(dep.denial_hop("444444444444", "send", queue="b-eu"), policies)
    assert outsider.ok, outsider.line
    not_a_reader = denial_verdict(dep.denial_hop("444444444444", "read_payloads", bucket="payloads"), policies)
    assert not_a_reader.ok, not_a_reader.line
