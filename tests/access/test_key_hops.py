"""Key policies in the access verdicts (issue 10 item 4): every path through an encrypted topic,
queue or payload bucket asks KMS, and a key policy that does not grant it fails naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.access.deployment import Deployment
from harness.access.paths import HopKind
from harness.access.policy import parse_policy
from harness.access.static import check_topology, rendered_policies
from harness.access.verdicts import AppliedPolicies, judge
from harness.kinds.key.access import key_policy
from harness.topology.loader import load_topology

TOPOLOGY = Path(__file__).parents[1] / "integration" / "topologies" / "central-bucket.topology.yaml"
A, B, D = "111111111111", "222222222222", "444444444444"


@pytest.fixture(scope="module")
def topo():
    return load_topology(TOPOLOGY)


def test_encrypted_path_hops_and_their_verdicts(topo) -> None:
    dep = Deployment.from_topology(topo)
    hops = dep.path_hops("A", topic="orders", receivers=["b-eu"], bucket="central")
    keyed = [(h.kind, h.subject, h.request.principal, h.request.action, h.resource) for h in hops if h.resource_kind == "key"]
    assert keyed == [
        (HopKind.ENCRYPT, "orders", A, "kms:GenerateDataKey", "topic-key"),
        (HopKind.DECRYPT, "orders", A, "kms:Decrypt", "topic-key"),
        (HopKind.ENCRYPT, "b-eu", "sns.amazonaws.com", "kms:GenerateDataKey", "queue-key"),
        (HopKind.DECRYPT, "b-eu", B, "kms:Decrypt", "queue-key"),
        (HopKind.ENCRYPT, "central", A, "kms:GenerateDataKey", "payload-key"),
        (HopKind.DECRYPT, "b-eu", B, "kms:Decrypt", "payload-key"),
    ]
    verdicts = judge(hops, rendered_policies(topo))
    assert all(v.ok for v in verdicts), [v.line for v in verdicts if not v.ok]
    sns = next(v for v in verdicts if v.hop.request.is_service and v.hop.resource_kind == "key")
    assert sns.line == "b-eu: SNS may encrypt queue b-eu with KMS key queue-key (key policy statement AllowSnsToEncryptForSubscribedQueues)"
    assert check_topology(topo) == []


def test_a_reader_missing_from_the_key_policy_is_denied_naming_the_key(topo) -> None:
    dep = Deployment.from_topology(topo)
    policies = rendered_policies(topo)
    key_arn = dep.keys["payload-key"].arn
    by_arn = dict(policies.by_arn)
    by_arn[key_arn] = parse_policy(key_policy(D, [A], []), "key policy")
    hops = dep.path_hops("A", topic="orders", receivers=["b-eu"], bucket="central")
    refused = [v for v in judge(hops, AppliedPolicies(by_arn)) if not v.ok]
    assert [v.line for v in refused] == [
        f"b-eu: account {B} cannot decrypt payloads of bucket central with KMS key payload-key: "
        f"the key policy has no statement allowing kms:Decrypt to account {B}"
    ]


def test_sns_from_a_topic_the_key_policy_does_not_name_is_denied(topo) -> None:
    dep = Deployment.from_topology(topo)
    by_arn = dict(rendered_policies(topo).by_arn)
    by_arn[dep.keys["queue-key"].arn] = parse_policy(key_policy(B, [], [], ["arn:aws:sns:us-east-1:111111111111:other"]), "key policy")
    refused = [v for v in judge(dep.path_hops("A", topic="orders", receivers=["b-eu"]), AppliedPolicies(by_arn)) if not v.ok]
    assert [v.line for v in refused] == [
        "b-eu: SNS cannot encrypt queue b-eu with KMS key queue-key: the key policy has no statement whose "
        "aws:SourceArn matches arn:aws:sns:us-east-1:111111111111:orders"
    ]


def test_a_direct_send_to_an_encrypted_queue_needs_encrypt_and_decrypt(topo) -> None:
    dep = Deployment.from_topology(topo)
    hops = dep.path_hops("B", queue="b-eu", receivers=["b-eu"])
    assert [(h.kind, h.request.principal) for h in hops if h.resource_kind == "key"] == [
        (HopKind.ENCRYPT, B), (HopKind.DECRYPT, B), (HopKind.DECRYPT, B)
    ]
    assert dep.applied()[0].kind == "key"


def test_the_access_matrix_shows_who_may_use_each_key(topo) -> None:
    from harness.access.matrix import access_matrix

    m = access_matrix(Deployment.from_topology(topo), rendered_policies(topo))
    assert m.cell("key", "payload-key", "decrypt", "B").decision.allowed
    assert not m.cell("key", "payload-key", "decrypt", "C").decision.allowed
    assert not m.cell("key", "payload-key", "decrypt", "A").decision.allowed
    assert m.cell("key", "payload-key", "encrypt", "A").decision.allowed
    assert m.cell("key", "payload-key", "decrypt", "D").decision.allowed  # the key's own account
    assert "key payload-key" in m.table()
