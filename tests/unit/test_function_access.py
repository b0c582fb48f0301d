"""Access to and by functions, judged by the evaluator from the policies the modules write: SNS
invoking a function by its resource policy, a function's role polling its queue and reading
payloads by its own policies, Invoke refused to other accounts, and the matrix's new rows."""

from __future__ import annotations

import copy

from harness import paths
from harness.access.deployment import Deployment
from harness.access.matrix import access_matrix
from harness.access.paths import HopKind
from harness.access.policy import parse_policy
from harness.access.static import check_topology, declared_hops, rendered_policies
from harness.access.verdicts import AppliedPolicies, judge, judge_hop
from harness.topology.loader import load_topology

TOPOLOGY = load_topology(paths.REFERENCE_TOPOLOGY)
DEP = Deployment.from_topology(TOPOLOGY)
ROLE = "arn:aws:iam::333333333333:role/hx/c-fn"


def test_the_modules_authorise_every_function_hop_the_topology_declares() -> None:
    assert check_topology(TOPOLOGY) == []
    kinds = {(where, hop.kind) for where, hop in declared_hops(TOPOLOGY)}
    assert ("subscriptions[orders->c-fn]", HopKind.INVOKE) in kinds
    assert ("functions.b-fn.queue", HopKind.POLL) in kinds and ("functions.c-fn.reads", HopKind.GET_PAYLOAD) in kinds


def test_a_path_to_both_functions_has_their_hops() -> None:
    hops = DEP.path_hops("A", topic="orders", bucket="payloads", invoked=["c-fn"], polling=[("b-fn", "b-fn-in")])
    got = [(h.kind, h.subject, h.request.principal) for h in hops]
    assert (HopKind.INVOKE, "c-fn", "sns.amazonaws.com") in got
    assert (HopKind.DELIVER, "b-fn-in", "sns.amazonaws.com") in got  # the polled queue is on the path
    assert (HopKind.POLL, "b-fn", "arn:aws:iam::222222222222:role/hx/b-fn") in got
    assert (HopKind.GET_PAYLOAD, "c-fn", ROLE) in got and (HopKind.GET_PAYLOAD, "b-fn", "arn:aws:iam::222222222222:role/hx/b-fn") in got
    assert all(v.ok for v in judge(hops, rendered_policies(TOPOLOGY))), [v.line for v in judge(hops, rendered_policies(TOPOLOGY)) if not v.ok]


def test_a_role_that_lost_its_read_grant_is_named_with_the_bucket_and_the_grant() -> None:
    policies = rendered_policies(TOPOLOGY)
    kept = [s for s in copy.deepcopy(_role_document())["Statement"] if s["Sid"] != "ReadPayloads"]
    broken = AppliedPolicies(policies.by_arn, roles={**policies.roles, ROLE: [parse_policy({"Version": "2012-10-17", "Statement": kept}, "role policy least-privilege")]})
    [hop] = [h for h in DEP.path_hops("A", topic="orders", bucket="payloads", invoked=["c-fn"]) if h.kind is HopKind.GET_PAYLOAD]
    verdict = judge_hop(hop, broken)
    assert not verdict.ok
    assert verdict.line == ("c-fn: function c-fn's role cannot get the payload from bucket payloads: bucket policy statement "
                            "AllowReaderAccountsToGetPayloads grants it, but no identity policy of the caller allows s3:GetObject")
    # the account's other callers are not judged by the role's policies
    assert judge_hop(DEP.path_hops("A", topic="orders", bucket="payloads", receivers=["c-us"])[-1], broken).ok


def _role_document() -> dict:
    from harness.kinds.function.access import PART

    doc = PART.rendered_identity(TOPOLOGY, "c-fn", TOPOLOGY.functions["c-fn"], DEP)
    assert doc is not None and [s["Sid"] for s in doc["Statement"]] == ["WriteOwnLogs", "SendReceipts", "ReadPayloads", "ListPayloadBuckets", "DeletePayloadsOnAck",
                                                                        "SendFailureRecords"]
    return doc


def test_only_sns_for_the_subscribed_topic_may_invoke() -> None:
    policies = rendered_policies(TOPOLOGY)
    assert not judge_hop(DEP.denial_hop("B", "invoke", function="c-fn"), policies).ok
    assert judge_hop(DEP.denial_hop("C", "invoke", function="c-fn"), policies).ok  # its own account: IAM decides
    fifo = judge_hop(DEP.denial_hop("SNS", "deliver", topic="orders-fifo", function="c-fn"), policies)
    assert not fifo.ok and "AWS:SourceArn matches arn:aws:sns:us-east-1:111111111111:orders-fifo.fifo" in fifo.decision.reason


def test_the_matrix_shows_who_may_invoke_and_what_sns_may_invoke() -> None:
    matrix = access_matrix(DEP, rendered_policies(TOPOLOGY))
    assert matrix.cell("function", "c-fn", "invoke", "B").decision.allowed is False
    assert matrix.cell("function", "c-fn", "invoke", "C").decision.allowed is True
    allowed = {(d.topic, d.endpoint) for d in matrix.deliveries if d.decision.allowed}
    assert ("orders", "function c-fn") in allowed and ("orders-fifo", "function c-fn") not in allowed
    assert "orders -> function c-fn" in matrix.table()
    assert {"topic": "orders", "function": "c-fn"}.items() <= next(d for d in matrix.as_dict()["deliveries"] if d.get("function") == "c-fn").items()


def test_harness_access_shows_what_each_function_role_may_do() -> None:
    from harness.scenario.execute.access_step import static_matrix

    matrix = static_matrix(TOPOLOGY)
    lines = {(r.where, r.verdict.ok) for r in matrix.roles}
    assert lines == {("functions.c-fn.reads", True), ("functions.c-fn.on_failure", True), ("functions.b-fn.queue", True), ("functions.b-fn.reads", True)}
    table = matrix.table()
    assert "Function roles:" in table and "yes b-fn: function b-fn's role may receive from queue b-fn-in" in table
    assert "yes c-fn: function c-fn's role may send the records of failed invocations to queue c-fn-failed (its on-failure destination)" in table
    assert {r["where"] for r in matrix.as_dict()["roles"]} == {"functions.c-fn.reads", "functions.c-fn.on_failure", "functions.b-fn.queue", "functions.b-fn.reads"}


def test_the_on_failure_hop_is_the_function_roles_and_on_every_path_sns_takes_to_it() -> None:
    assert ("functions.c-fn.on_failure", HopKind.ON_FAILURE) in {(where, hop.kind) for where, hop in declared_hops(TOPOLOGY)}
    hops = DEP.path_hops("A", topic="orders", invoked=["c-fn"], failing={"c-fn": "c-fn-failed", "b-fn": "ignored"})
    [hop] = [h for h in hops if h.kind is HopKind.ON_FAILURE]
    assert (hop.subject, hop.resource, hop.request.principal, hop.request.action) == ("c-fn", "c-fn-failed", ROLE, "sqs:SendMessage")
    verdict = judge_hop(hop, rendered_policies(TOPOLOGY))
    assert verdict.ok and verdict.decision.statement is not None and verdict.decision.statement.sid == "SendFailureRecords"
    assert not [h for h in DEP.path_hops("B", queue="b-fn-in", polling=[("b-fn", "b-fn-in")], failing={"c-fn": "c-fn-failed"})
                if h.kind is HopKind.ON_FAILURE], "a direct send invokes nothing asynchronously"


def _across_accounts(tmp_path) -> object:
    path = tmp_path / "x.topology.yaml"
    path.write_text(paths.REFERENCE_TOPOLOGY.read_text().replace("  c-fn-failed:\n    account: C\n", "  c-fn-failed:\n    account: B\n"))
    return load_topology(path)


def test_a_destination_in_another_account_needs_its_queue_policy_too(tmp_path) -> None:
    topology = _across_accounts(tmp_path)
    dep = Deployment.from_topology(topology)  # type: ignore[arg-type]
    policies = rendered_policies(topology)  # type: ignore[arg-type]
    assert check_topology(topology) == []  # type: ignore[arg-type]
    queue_arn = dep.queue("c-fn-failed").arn
    [grant] = [s for s in policies.by_arn[queue_arn].statements if s.sid == "AllowFunctionRolesToSendFailureRecords"]
    [hop] = [h for h in dep.path_hops("A", topic="orders", invoked=["c-fn"], failing={"c-fn": "c-fn-failed"}) if h.kind is HopKind.ON_FAILURE]
    assert judge_hop(hop, policies).ok
    without = AppliedPolicies({**policies.by_arn, queue_arn: parse_policy(None, "queue policy")}, roles=policies.roles)
    refused = judge_hop(hop, without)
    assert not refused.ok
    assert refused.line.startswith("c-fn: function c-fn's role cannot send the records of failed invocations to queue c-fn-failed (its on-failure destination): ")
