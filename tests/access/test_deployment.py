"""Deployment: logical names → ARNs, path hops and expect_denied hops built from names."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from harness.access.deployment import DENIAL_ACTIONS, Deployment
from harness.access.paths import HopKind
from harness.access.policy import AccessError
from harness.access.static import rendered_policies
from harness.access.verdicts import denial_verdict, denied, judge
from harness.paths import REFERENCE_TOPOLOGY
from harness.topology.loader import load_topology

OUTSIDER = "444444444444"


@pytest.fixture(scope="module")
def topology():
    return load_topology(REFERENCE_TOPOLOGY)


@pytest.fixture(scope="module")
def dep(topology) -> Deployment:
    return Deployment.from_topology(topology)


def test_from_manifest_reads_the_entries() -> None:
    entry = SimpleNamespace(arn="arn:aws:sqs:eu-west-1:222222222222:hx-r1-b-eu", account_id="222222222222", region="eu-west-1", url="http://q")
    bucket = SimpleNamespace(arn="arn:aws:s3:::hx-r1-payloads-111111111111", account_id="111111111111", region="us-east-1", url="")
    manifest = SimpleNamespace(accounts={"A": "111111111111", "B": "222222222222"}, resources={"topics": {}, "queues": {"b-eu": entry}, "buckets": {"payloads": bucket}})
    d = Deployment.from_manifest(manifest)
    assert d.queue("b-eu").arn == entry.arn and d.bucket("payloads").account == "111111111111"
    kinds = {(r.kind, r.url, r.account) for r in d.applied()}
    assert kinds == {("queue", "http://q", "222222222222"), ("bucket", None, "111111111111")}


def test_reference_path_hops_from_logical_names(dep: Deployment, topology) -> None:
    hops = dep.path_hops("A", topic="orders", receivers=["b-eu", "c-us"], deleting=["b-eu"], bucket="payloads")
    assert [(h.kind.value, h.subject) for h in hops] == [
        ("publish", "orders"), ("deliver", "b-eu"), ("deliver", "c-us"), ("put_payload", "payloads"),
        ("get_payload", "b-eu"), ("delete_payload", "b-eu"), ("get_payload", "c-us"),
    ]
    assert hops[4].request.principal == "222222222222" and hops[6].request.principal == "333333333333"
    assert denied(judge(hops, rendered_policies(topology))) == []
    direct = dep.path_hops("A", queue="b-eu")
    assert [h.kind for h in direct] == [HopKind.SEND]


def test_expect_denied_examples_of_the_issue(dep: Deployment, topology) -> None:
    policies = rendered_policies(topology)
    outsider_send = denial_verdict(dep.denial_hop(OUTSIDER, "send", queue="b-eu"), policies)
    assert outsider_send.ok, outsider_send.line
    outsider_read = denial_verdict(dep.denial_hop(OUTSIDER, "read_payloads", bucket="payloads"), policies)
    assert outsider_read.ok and "the bucket policy has no statement allowing s3:GetObject" in outsider_read.line
    http_publish = denial_verdict(dep.denial_hop("A", "publish", topic="orders", secure_transport=False), policies)
    # The topic policy has no TLS condition: a plain-HTTP publish by the owner is allowed, and the
    # verdict says which statement grants it.
    assert not http_publish.ok
    assert http_publish.line == "orders: expected to be refused, but account 111111111111 may publish to topic orders: caller identity policy statement HarnessCallerFullAccess grants it"
    reader_delete = denial_verdict(dep.denial_hop("C", "delete_payloads", bucket="payloads"), policies)
    assert not reader_delete.ok and "AllowReaderAccountsToDeletePayloads" in reader_delete.line
    deliver = denial_verdict(dep.denial_hop("A", "deliver", topic="orders-fifo", queue="c-us"), policies)
    assert deliver.ok and "aws:SourceArn" in deliver.line


def test_errors_name_what_is_known(dep: Deployment) -> None:
    with pytest.raises(AccessError, match=r"unknown account 'Z' \(known: A, B, C\)"):
        dep.denial_hop("Z", "send", queue="b-eu")
    with pytest.raises(AccessError, match="unknown queue 'nope'"):
        dep.denial_hop("A", "send", queue="nope")
    with pytest.raises(AccessError, match="unknown access 'read'"):
        dep.denial_hop("A", "read", bucket="payloads")
    with pytest.raises(AccessError, match="needs the bucket"):
        dep.denial_hop("A", "read_payloads")
    assert "deliver" in DENIAL_ACTIONS
