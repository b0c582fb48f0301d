"""Hop requests and the one-line verdicts built on them (no AWS, no oracle)."""

from __future__ import annotations

import pytest

from harness.access.evaluate import Outcome
from harness.access.paths import BucketRef, Consumer, HopKind, Named, hop_requests, sns_principal
from harness.access.policy import AccessError, parse_policy
from harness.access.verdicts import AppliedPolicies, denial_verdict, denied, judge
from harness.kinds.bucket.access import BUCKET_POLICY, bucket_policy
from harness.kinds.queue.access import QUEUE_POLICY, queue_policy
from harness.kinds.topic.access import TOPIC_POLICY, topic_policy
from tests.access.cases import A, B, C, D

TOPIC = Named("orders", f"arn:aws:sns:us-east-1:{A}:hx-r7-orders")
B_EU = Named("b-eu", f"arn:aws:sqs:eu-west-1:{B}:hx-r7-b-eu")
C_US = Named("c-us", f"arn:aws:sqs:us-east-1:{C}:hx-r7-c-us")
BUCKET = BucketRef("payloads", f"arn:aws:s3:::hx-r7-payloads-{A}", A)


def applied(queue_b=None, queue_c=None, topic=None, bucket=None) -> AppliedPolicies:
    """The reference-like deployment: topic in A, queues in B and C, bucket in A read by B and C."""
    return AppliedPolicies(
        {
            TOPIC.arn: parse_policy(topic if topic is not None else topic_policy(TOPIC.arn, [B, C]), TOPIC_POLICY),
            B_EU.arn: parse_policy(queue_b if queue_b is not None else queue_policy(B_EU.arn, [TOPIC.arn]), QUEUE_POLICY),
            C_US.arn: parse_policy(queue_c if queue_c is not None else queue_policy(C_US.arn, [TOPIC.arn]), QUEUE_POLICY),
            BUCKET.arn: parse_policy(bucket if bucket is not None else bucket_policy(BUCKET.arn, [B, C], True), BUCKET_POLICY),
        }
    )


def path(**kw):
    consumers = kw.pop("consumers", [Consumer("b-eu", B, True), Consumer("c-us", C)])
    return hop_requests(A, topic=TOPIC, subscribed=[B_EU, C_US], bucket=BUCKET, consumers=consumers, **kw)


def test_hops_in_travel_order() -> None:
    kinds = [(h.kind, h.subject) for h in path()]
    assert kinds == [
        (HopKind.PUBLISH, "orders"),
        (HopKind.DELIVER, "b-eu"),
        (HopKind.DELIVER, "c-us"),
        (HopKind.PUT_PAYLOAD, "payloads"),
        (HopKind.GET_PAYLOAD, "b-eu"),
        (HopKind.DELETE_PAYLOAD, "b-eu"),
        (HopKind.GET_PAYLOAD, "c-us"),
    ]
    deliver = path()[1].request
    assert deliver.principal == "sns.amazonaws.com"
    assert deliver.context["aws:SourceArn"] == TOPIC.arn and deliver.context["aws:SourceAccount"] == A


def test_reference_path_is_allowed_everywhere() -> None:
    verdicts = judge(path(), applied())
    assert denied(verdicts) == []
    assert verdicts[1].line == "b-eu: SNS may deliver from topic orders (queue policy statement AllowSnsTopicsToDeliver)"
    assert verdicts[5].decision.statement is not None and verdicts[5].decision.statement.sid == "AllowReaderAccountsToDeletePayloads"


def test_dropped_source_arn_statement_names_the_hop_and_the_reason() -> None:
    """The issue's example: the queue policy lost the statement admitting the topic."""
    other = f"arn:aws:sns:us-east-1:{A}:hx-r7-refunds"
    bad = judge(path(), applied(queue_b=queue_policy(B_EU.arn, [other])))
    assert [v.line for v in denied(bad)] == [
        f"b-eu: SNS cannot deliver from topic orders: the queue policy has no statement whose aws:SourceArn matches {TOPIC.arn}"
    ]


def test_queue_without_policy() -> None:
    bad = denied(judge(path(), applied(queue_c={"Version": "2012-10-17", "Statement": []})))
    assert [v.hop.subject for v in bad] == ["c-us"]
    assert "the queue policy has no statement allowing sqs:SendMessage" in bad[0].line


def test_reader_removed_from_bucket_policy() -> None:
    bad = denied(judge(path(), applied(bucket=bucket_policy(BUCKET.arn, [B], True))))
    assert [v.line for v in bad] == [
        f"c-us: account {C} cannot get the payload from bucket payloads: the bucket policy has no statement allowing s3:GetObject to account {C}"
    ]


def test_deny_without_tls_added_by_hand() -> None:
    """A plain-HTTP caller meets the module's deny statement: explicit deny, named."""
    verdicts = judge(path(secure_transport=False), applied())
    bad = denied(verdicts)
    assert {v.hop.kind for v in bad} == {HopKind.PUT_PAYLOAD, HopKind.GET_PAYLOAD, HopKind.DELETE_PAYLOAD}
    assert all(v.decision.outcome is Outcome.EXPLICIT_DENY for v in bad)
    assert "bucket policy statement DenyInsecureTransport denies s3:PutObject" in bad[0].line


def test_opt_in_region_topic_needs_the_regional_principal() -> None:
    topic = Named("orders", f"arn:aws:sns:af-south-1:{A}:hx-r7-orders")
    assert sns_principal("af-south-1") == "sns.af-south-1.amazonaws.com" and sns_principal("eu-west-1") == "sns.amazonaws.com"
    hops = hop_requests(A, topic=topic, subscribed=[B_EU])
    policies = AppliedPolicies({
        topic.arn: parse_policy(None, TOPIC_POLICY),
        B_EU.arn: parse_policy(queue_policy(B_EU.arn, [topic.arn]), QUEUE_POLICY),
    })
    (bad,) = denied(judge(hops, policies))
    assert bad.line == "b-eu: SNS cannot deliver from topic orders: the queue policy has no statement allowing sqs:SendMessage to sns.af-south-1.amazonaws.com"


def test_cross_account_publish_needs_the_topic_policy() -> None:
    (hop,) = hop_requests(D, topic=TOPIC)
    (v,) = judge([hop], applied())
    assert not v.ok and v.line == f"orders: account {D} cannot publish to topic orders: the topic policy has no statement allowing sns:Publish to account {D}"
    (ok,) = judge([hop], applied(topic=topic_policy(TOPIC.arn, [B], [D])))
    assert ok.ok and ok.line.endswith("(topic policy statement AllowCrossAccountPublish)")
    assert ok.as_dict()["statement"] == {"policy": "topic policy", "sid": "AllowCrossAccountPublish", "index": 1}


def test_expect_denied_passes_when_refused_and_names_the_grant_otherwise() -> None:
    (outsider,) = hop_requests(D, queue=B_EU)
    v = denial_verdict(outsider, applied())
    assert v.ok and v.line.startswith(f"b-eu: account {D} cannot send to queue b-eu, as expected (denied implicitly")
    granted = applied(queue_b=queue_policy(B_EU.arn, [TOPIC.arn], [D]))
    v = denial_verdict(outsider, granted)
    assert not v.ok
    assert v.line == f"b-eu: expected to be refused, but account {D} may send to queue b-eu: queue policy statement AllowProducerAccountsToSend grants it"


def test_path_shape_errors_are_actionable() -> None:
    with pytest.raises(AccessError, match="exactly one of topic= and queue="):
        hop_requests(A)
    with pytest.raises(AccessError, match="give bucket= as well"):
        hop_requests(A, queue=B_EU, consumers=[Consumer("b-eu", B)])
    with pytest.raises(AccessError, match="no policy was read for"):
        judge(hop_requests(A, queue=Named("x", f"arn:aws:sqs:eu-west-1:{B}:x")), applied())
