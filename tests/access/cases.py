"""The oracle corpus: requests + policies, each with the outcome we expect.

tests/access/test_oracle.py runs every case through our evaluator and through iam-simulate and
requires all three (expectation, ours, oracle) to agree. Accounts: A owns topics and the payload
bucket, B owns the queue, C is a second consumer, D is outside the topology.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.access.evaluate import Outcome, Request
from harness.access.paths import BucketRef, Consumer, Named, deliver_hop, hop_requests, send_hop, subscribe_hop
from harness.kinds.bucket.access import bucket_policy
from harness.kinds.key.access import key_policy
from harness.kinds.queue.access import queue_policy
from harness.kinds.topic.access import topic_policy

A, B, C, D = "111111111111", "222222222222", "333333333333", "444444444444"
TOPIC = f"arn:aws:sns:us-east-1:{A}:hx-r1-orders"
OTHER_TOPIC = f"arn:aws:sns:us-east-1:{A}:hx-r1-refunds"
OPTIN_TOPIC = f"arn:aws:sns:af-south-1:{A}:hx-r1-orders"
QUEUE = f"arn:aws:sqs:eu-west-1:{B}:hx-r1-b-eu"
QUEUE_A = f"arn:aws:sqs:us-east-1:{A}:hx-r1-a-us"
BUCKET = f"arn:aws:s3:::hx-r1-payloads-{A}"
OBJECT = f"{BUCKET}/payloads/0f3c.bin"
ROLE_B = f"arn:aws:iam::{B}:role/consumer"
ROLE_A = f"arn:aws:iam::{A}:role/producer"

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ADMIN = [("caller-admin", ALLOW_ALL)]
TLS = {"aws:SecureTransport": "true"}
NO_TLS = {"aws:SecureTransport": "false"}


@dataclass(frozen=True)
class Case:
    id: str
    request: Request
    resource_policy: dict[str, Any] | None
    identity_policies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    expect: Outcome = Outcome.ALLOWED


def pol(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def st(effect: str = "Allow", **kw: Any) -> dict[str, Any]:
    return {"Effect": effect, **kw}


def ident(*statements: dict[str, Any], name: str = "caller-policy") -> list[tuple[str, dict[str, Any]]]:
    return [(name, pol(*statements))]


def sns(topic: str = TOPIC, principal: str = "sns.amazonaws.com", queue: str = QUEUE, **extra: Any) -> Request:
    return Request(principal, "sqs:SendMessage", queue, context={"aws:SourceArn": topic, "aws:SourceAccount": topic.split(":")[4], **extra})


def send(principal: str, queue: str = QUEUE, action: str = "sqs:SendMessage", **ctx: Any) -> Request:
    return Request(principal, action, queue, context={"aws:SecureTransport": "true", **ctx})


def get(principal: str, obj: str = OBJECT, action: str = "s3:GetObject", **ctx: Any) -> Request:
    return Request(principal, action, obj, resource_account=A, context={**TLS, **ctx})


CENTRAL = f"arn:aws:s3:::hx-r1-central-{D}"  # a central payload bucket in an account of its own
CENTRAL_POLICY = bucket_policy(CENTRAL, [B], writer_account_ids=[A])


KEY = f"arn:aws:kms:us-east-1:{D}:key/0f3c-payloads"
KEY_POLICY = key_policy(D, [A], [B], [TOPIC])
KEY_POLICY_NO_READER = key_policy(D, [A], [], [TOPIC])


def kms_req(principal: str, action: str) -> Request:
    return Request(principal, action, KEY, context=dict(TLS))


def kms_sns(topic: str, action: str = "kms:GenerateDataKey") -> Request:
    return Request("sns.amazonaws.com", action, KEY, context={"aws:SourceArn": topic, "aws:SourceAccount": topic.split(":")[4], **TLS})


def put_central(principal: str, action: str = "s3:PutObject", **ctx: Any) -> Request:
    return Request(principal, action, f"{CENTRAL}/0f3c", resource_account=D, context={**TLS, **ctx})


QUEUE_POLICY = queue_policy(QUEUE, [TOPIC], [A])
TOPIC_POLICY = topic_policy(TOPIC, [B, C], [D])
BUCKET_POLICY = bucket_policy(BUCKET, [B, C], readers_may_delete=True)
BUCKET_POLICY_GET_ONLY = bucket_policy(BUCKET, [B])
SNS_ONLY = queue_policy(QUEUE, [TOPIC])


def _module_cases() -> list[Case]:
    E, N, X = Outcome.EXPLICIT_DENY, Outcome.IMPLICIT_DENY, Outcome.ALLOWED
    return [
        # queue module: SNS delivery by aws:SourceArn
        Case("queue: SNS delivers from its topic", sns(), QUEUE_POLICY, expect=X),
        Case("queue: SNS from another topic", sns(OTHER_TOPIC), QUEUE_POLICY, expect=N),
        Case("queue: SNS without aws:SourceArn", Request("sns.amazonaws.com", "sqs:SendMessage", QUEUE), QUEUE_POLICY, expect=N),
        Case("queue: opt-in region principal not named", sns(OPTIN_TOPIC, "sns.af-south-1.amazonaws.com"), queue_policy(QUEUE, [OPTIN_TOPIC]), expect=N),
        Case("queue: several source topics", sns(OTHER_TOPIC), queue_policy(QUEUE, [TOPIC, OTHER_TOPIC]), expect=X),
        Case("queue: SNS may not receive", Request("sns.amazonaws.com", "sqs:ReceiveMessage", QUEUE, context={"aws:SourceArn": TOPIC}), QUEUE_POLICY, expect=N),
        Case("queue: no policy, SNS", sns(), None, expect=N),
        Case("queue: another service principal", sns(principal="events.amazonaws.com"), QUEUE_POLICY, expect=N),
        # queue module: direct producers
        Case("queue: producer account sends", send(A), QUEUE_POLICY, ADMIN, X),
        Case("queue: producer GetQueueUrl", send(A, action="sqs:GetQueueUrl"), QUEUE_POLICY, ADMIN, X),
        Case("queue: producer may not purge", send(A, action="sqs:PurgeQueue"), QUEUE_POLICY, ADMIN, N),
        Case("queue: outsider D sends", send(D), QUEUE_POLICY, ADMIN, N),
        Case("queue: producer without identity grant", send(A), QUEUE_POLICY, [], N),
        Case("queue: producer, identity allows only receive", send(A), QUEUE_POLICY, ident(st(Action="sqs:ReceiveMessage", Resource="*")), N),
        Case("queue: owner account, no policy, admin", send(B), None, ADMIN, X),
        Case("queue: owner account, no identity policy", send(B), SNS_ONLY, [], N),
        Case("queue: owner role receives", send(ROLE_B, action="sqs:ReceiveMessage"), QUEUE_POLICY, ident(st(Action="sqs:*", Resource=QUEUE)), X),
        Case("queue: producer sends, SNS-only policy", send(A), SNS_ONLY, ADMIN, N),
        # topic module
        Case("topic: subscriber account subscribes sqs", Request(B, "sns:Subscribe", TOPIC, context={"sns:Protocol": "sqs"}), TOPIC_POLICY, ADMIN, X),
        Case("topic: subscriber subscribes https", Request(B, "sns:Subscribe", TOPIC, context={"sns:Protocol": "https"}), TOPIC_POLICY, ADMIN, N),
        Case("topic: subscriber without protocol key", Request(B, "sns:Subscribe", TOPIC), TOPIC_POLICY, ADMIN, N),
        Case("topic: publisher account publishes", Request(D, "sns:Publish", TOPIC), TOPIC_POLICY, ADMIN, X),
        Case("topic: subscriber may not publish", Request(B, "sns:Publish", TOPIC), TOPIC_POLICY, ADMIN, N),
        Case("topic: owner publishes, no policy", Request(A, "sns:Publish", TOPIC), None, ADMIN, X),
        Case("topic: outsider subscribes", Request(D, "sns:Subscribe", TOPIC, context={"sns:Protocol": "sqs"}), TOPIC_POLICY, ADMIN, N),
        Case("topic: publisher role of D", Request(f"arn:aws:iam::{D}:role/app", "sns:Publish", TOPIC), TOPIC_POLICY, ident(st(Action="sns:Publish", Resource=TOPIC)), X),
        # bucket module
        Case("bucket: reader gets over TLS", get(B), BUCKET_POLICY, ADMIN, X),
        Case("bucket: reader gets without TLS", get(B, **NO_TLS), BUCKET_POLICY, ADMIN, E),
        Case("bucket: reader deletes", get(C, action="s3:DeleteObject"), BUCKET_POLICY, ADMIN, X),
        Case("bucket: reader deletes, get-only bucket", get(B, action="s3:DeleteObject"), BUCKET_POLICY_GET_ONLY, ADMIN, N),
        Case("bucket: non-reader C, get-only bucket", get(C), BUCKET_POLICY_GET_ONLY, ADMIN, N),
        Case("bucket: outsider D gets", get(D), BUCKET_POLICY, ADMIN, N),
        Case("bucket: outsider D without TLS", get(D, **NO_TLS), BUCKET_POLICY, ADMIN, E),
        Case("bucket: owner puts over TLS", get(A, action="s3:PutObject"), BUCKET_POLICY, ADMIN, X),
        Case("bucket: owner puts without TLS", get(A, action="s3:PutObject", **NO_TLS), BUCKET_POLICY, ADMIN, E),
        Case("bucket: reader puts", get(B, action="s3:PutObject"), BUCKET_POLICY, ADMIN, N),
        Case("bucket: TLS key absent, reader gets", Request(B, "s3:GetObject", OBJECT, resource_account=A), BUCKET_POLICY, ADMIN, X),
        # Readers may list since issue 10 item 3 (a missing key must be 404, not 403): was N.
        Case("bucket: reader lists the bucket", Request(B, "s3:ListBucket", BUCKET, resource_account=A, context=TLS), BUCKET_POLICY, ADMIN, X),
        Case("bucket: outsider D lists the bucket", Request(D, "s3:ListBucket", BUCKET, resource_account=A, context=TLS), BUCKET_POLICY, ADMIN, N),
        Case("bucket: reader lists without TLS", Request(B, "s3:ListBucket", BUCKET, resource_account=A, context=NO_TLS), BUCKET_POLICY, ADMIN, E),
        # central payload bucket: D owns it, A writes, B reads
        Case("central: writer A puts", put_central(A), CENTRAL_POLICY, ADMIN, X),
        Case("central: writer A role puts", put_central(ROLE_A), CENTRAL_POLICY, ident(st(Action="s3:PutObject", Resource=f"{CENTRAL}/*")), X),
        Case("central: writer A role without identity grant", put_central(ROLE_A), CENTRAL_POLICY, [], N),
        Case("central: writer A aborts a multipart upload", put_central(A, "s3:AbortMultipartUpload"), CENTRAL_POLICY, ADMIN, X),
        Case("central: writer A puts without TLS", put_central(A, **NO_TLS), CENTRAL_POLICY, ADMIN, E),
        Case("central: non-writer C puts", put_central(C), CENTRAL_POLICY, ADMIN, N),
        Case("central: reader B puts", put_central(B), CENTRAL_POLICY, ADMIN, N),
        Case("central: writer A may not read", put_central(A, "s3:GetObject"), CENTRAL_POLICY, ADMIN, N),
        Case("central: reader B gets", put_central(B, "s3:GetObject"), CENTRAL_POLICY, ADMIN, X),
        Case("central: owner D puts", put_central(D), CENTRAL_POLICY, ADMIN, X),
        # kms module: D's key, A encrypts, B decrypts, SNS for deliveries from TOPIC
        Case("key: writer A generates a data key", kms_req(A, "kms:GenerateDataKey"), KEY_POLICY, ADMIN, X),
        Case("key: writer A encrypts", kms_req(A, "kms:Encrypt"), KEY_POLICY, ADMIN, X),
        Case("key: writer A may not decrypt", kms_req(A, "kms:Decrypt"), KEY_POLICY, ADMIN, N),
        Case("key: reader B decrypts", kms_req(B, "kms:Decrypt"), KEY_POLICY, ADMIN, X),
        Case("key: reader B role decrypts", kms_req(ROLE_B, "kms:Decrypt"), KEY_POLICY, ident(st(Action="kms:Decrypt", Resource=KEY)), X),
        Case("key: reader B role without identity grant", kms_req(ROLE_B, "kms:Decrypt"), KEY_POLICY, [], N),
        Case("key: reader B may not generate data keys", kms_req(B, "kms:GenerateDataKey"), KEY_POLICY, ADMIN, N),
        Case("key: outsider C decrypts", kms_req(C, "kms:Decrypt"), KEY_POLICY, ADMIN, N),
        Case("key: reader B may not administer", kms_req(B, "kms:PutKeyPolicy"), KEY_POLICY, ADMIN, N),
        Case("key: owner D administers", kms_req(D, "kms:PutKeyPolicy"), KEY_POLICY, ADMIN, X),
        Case("key: reader dropped from the key policy", kms_req(B, "kms:Decrypt"), KEY_POLICY_NO_READER, ADMIN, N),
        Case("key: SNS from the subscribed topic", kms_sns(TOPIC), KEY_POLICY, [], X),
        Case("key: SNS from another topic", kms_sns(OTHER_TOPIC), KEY_POLICY, [], N),
        Case("key: SNS decrypts for the subscribed topic", kms_sns(TOPIC, "kms:Decrypt"), KEY_POLICY, [], X),
        Case("bucket: reader role without identity grant", get(ROLE_B), BUCKET_POLICY, [], N),
    ]


def _cond(op: str, key: str, values: Any, request_ctx: dict[str, Any], expect: Outcome, name: str) -> Case:
    """A same-account role caller whose identity policy carries one condition."""
    policy = ident(st(Action="sqs:SendMessage", Resource=QUEUE, Condition={op: {key: values}}))
    return Case(f"condition: {name}", send(ROLE_B, **request_ctx), None, policy, expect)


def _condition_cases() -> list[Case]:
    X, N = Outcome.ALLOWED, Outcome.IMPLICIT_DENY
    org = "aws:PrincipalOrgID"
    return [
        _cond("StringEquals", org, "o-abc", {org: "o-abc"}, X, "StringEquals hit"),
        _cond("StringEquals", org, "o-abc", {org: "o-ABC"}, N, "StringEquals is case-sensitive"),
        _cond("StringEquals", org, "o-abc", {}, N, "StringEquals, key absent"),
        _cond("StringEquals", org, ["o-x", "o-abc"], {org: "o-abc"}, X, "StringEquals, any of several values"),
        _cond("StringNotEquals", org, "o-abc", {org: "o-zzz"}, X, "StringNotEquals hit"),
        _cond("StringNotEquals", org, ["o-a", "o-b"], {org: "o-b"}, N, "StringNotEquals, one of the values equal"),
        _cond("StringNotEquals", org, "o-abc", {}, X, "StringNotEquals, key absent holds"),
        _cond("StringEqualsIgnoreCase", org, "O-ABC", {org: "o-abc"}, X, "StringEqualsIgnoreCase"),
        _cond("StringNotEqualsIgnoreCase", org, "O-ABC", {org: "o-abc"}, N, "StringNotEqualsIgnoreCase"),
        _cond("StringLike", "aws:PrincipalTag/team", "pay*", {"aws:PrincipalTag/team": "payments"}, X, "StringLike *"),
        _cond("StringLike", "aws:PrincipalTag/team", "pay?", {"aws:PrincipalTag/team": "payments"}, N, "StringLike ? is one character"),
        _cond("StringNotLike", "aws:PrincipalTag/team", "ops-*", {"aws:PrincipalTag/team": "payments"}, X, "StringNotLike"),
        _cond("StringEqualsIfExists", org, "o-abc", {}, X, "IfExists, key absent"),
        _cond("StringEqualsIfExists", org, "o-abc", {org: "o-x"}, N, "IfExists, key present and different"),
        _cond("ArnEquals", "aws:SourceArn", TOPIC, {"aws:SourceArn": TOPIC}, X, "ArnEquals"),
        _cond("ArnLike", "aws:SourceArn", f"arn:aws:sns:*:{A}:hx-r1-*", {"aws:SourceArn": OPTIN_TOPIC}, X, "ArnLike wildcards per field"),
        _cond("ArnLike", "aws:SourceArn", f"arn:aws:sns:*:{A}:hx-r1-*", {"aws:SourceArn": f"arn:aws:sns:us-east-1:{B}:hx-r1-x"}, N, "ArnLike other account"),
        _cond("ArnNotEquals", "aws:SourceArn", TOPIC, {"aws:SourceArn": OTHER_TOPIC}, X, "ArnNotEquals"),
        _cond("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:hx-r1-*", {"aws:SourceArn": TOPIC}, N, "ArnNotLike"),
        _cond("ArnEquals", "aws:SourceArn", TOPIC, {"aws:SourceArn": "not-an-arn"}, N, "ArnEquals, request value not an ARN"),
        _cond("Bool", "aws:SecureTransport", "true", {}, X, "Bool true"),
        _cond("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "false"}, N, "Bool false"),
        _cond("Bool", "aws:SecureTransport", True, {"aws:SecureTransport": "TRUE"}, X, "Bool JSON true, value upper case"),
        _cond("Null", org, "true", {}, X, "Null true, key absent"),
        _cond("Null", org, "false", {}, N, "Null false, key absent"),
        _cond("NumericLessThan", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "60"}, X, "NumericLessThan"),
        _cond("NumericGreaterThanEquals", "aws:MultiFactorAuthAge", "10", {"aws:MultiFactorAuthAge": "9.5"}, N, "NumericGreaterThanEquals"),
        _cond("NumericEquals", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "3600"}, X, "NumericEquals"),
        _cond("NumericNotEquals", "aws:MultiFactorAuthAge", ["1", "2"], {"aws:MultiFactorAuthAge": "3"}, X, "NumericNotEquals"),
        _cond("NumericLessThan", "aws:MultiFactorAuthAge", "10", {"aws:MultiFactorAuthAge": "ten"}, N, "Numeric, not a number"),
        _cond("ForAnyValue:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["owner", "team"]}, X, "ForAnyValue hit"),
        _cond("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": ["owner"]}, N, "ForAnyValue miss"),
        _cond("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {}, N, "ForAnyValue, key absent"),
        _cond("ForAllValues:StringLike", "aws:TagKeys", ["env*", "team"], {"aws:TagKeys": ["env-x", "team"]}, X, "ForAllValues hit"),
        _cond("ForAllValues:StringEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": ["env", "x"]}, N, "ForAllValues miss"),
        _cond("ForAllValues:StringEquals", "aws:TagKeys", ["env"], {}, X, "ForAllValues, key absent"),
        _cond("StringEquals", "aws:TagKeys", "env", {"aws:TagKeys": ["env"]}, N, "single-valued operator on a multi-valued key"),
        _cond("StringEquals", "aws:PrincipalAccount", "${aws:ResourceAccount}", {"aws:PrincipalAccount": B, "aws:ResourceAccount": B}, X, "policy variable"),
        _cond("StringEquals", "aws:PrincipalAccount", "${aws:ResourceAccount}", {"aws:PrincipalAccount": B}, N, "policy variable unresolved"),
        Case(
            "condition: two keys both must hold",
            send(ROLE_B, **{"aws:PrincipalOrgID": "o-abc"}),
            None,
            ident(st(Action="sqs:SendMessage", Resource=QUEUE, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc", "aws:PrincipalAccount": B}})),
            N,
        ),
    ]


def _statement_cases() -> list[Case]:
    X, N, E = Outcome.ALLOWED, Outcome.IMPLICIT_DENY, Outcome.EXPLICIT_DENY
    return [
        # actions: wildcards, case, NotAction
        Case("action: sqs:* wildcard", send(ROLE_B), None, ident(st(Action="sqs:*", Resource="*")), X),
        Case("action: case-insensitive", send(ROLE_B), None, ident(st(Action="SQS:sendmessage", Resource=QUEUE)), X),
        Case("action: ? wildcard", send(ROLE_B), None, ident(st(Action="sqs:SendMessag?", Resource=QUEUE)), X),
        Case("action: prefix wildcard miss", send(ROLE_B), None, ident(st(Action="sqs:Receive*", Resource=QUEUE)), N),
        Case("action: NotAction allows the rest", send(ROLE_B), None, ident(st(NotAction="sqs:DeleteQueue", Resource="*")), X),
        Case("action: NotAction excludes it", send(ROLE_B), None, ident(st(NotAction=["sqs:Send*"], Resource="*")), N),
        Case("action: Deny NotAction", send(ROLE_B), None, ident(st(Action="*", Resource="*"), st("Deny", NotAction="sqs:Receive*", Resource="*")), E),
        # resources: wildcards, NotResource
        Case("resource: queue name wildcard", send(ROLE_B), None, ident(st(Action="sqs:SendMessage", Resource=f"arn:aws:sqs:*:{B}:hx-r1-*")), X),
        Case("resource: resource part is case-sensitive", send(ROLE_B), None, ident(st(Action="sqs:SendMessage", Resource=f"arn:aws:sqs:eu-west-1:{B}:HX-R1-B-EU")), N),
        Case("resource: other region", send(ROLE_B), None, ident(st(Action="sqs:SendMessage", Resource=f"arn:aws:sqs:us-east-1:{B}:hx-r1-b-eu")), N),
        Case("resource: ? in the name", send(ROLE_B), None, ident(st(Action="sqs:SendMessage", Resource=f"arn:aws:sqs:eu-west-1:{B}:hx-r?-b-eu")), X),
        Case("resource: NotResource", send(ROLE_B), None, ident(st(Action="sqs:*", NotResource="arn:aws:sqs:*:*:prod-*")), X),
        Case("resource: NotResource excludes", send(ROLE_B), None, ident(st(Action="sqs:*", NotResource=[QUEUE])), N),
        Case("resource: bucket ARN does not cover objects", get(ROLE_A), None, ident(st(Action="s3:GetObject", Resource=BUCKET)), N),
        Case("resource: object wildcard", get(ROLE_A), None, ident(st(Action="s3:GetObject", Resource=f"{BUCKET}/payloads/*")), X),
        # principals in resource policies
        Case("principal: * in resource policy, same account role", send(ROLE_B), pol(st(Principal="*", Action="sqs:SendMessage", Resource=QUEUE)), [], X),
        Case("principal: * cross account still needs identity", send(ROLE_A), pol(st(Principal="*", Action="sqs:SendMessage", Resource=QUEUE)), [], N),
        Case("principal: {AWS: *} cross account with identity", send(ROLE_A), pol(st(Principal={"AWS": "*"}, Action="sqs:SendMessage", Resource=QUEUE)), ident(st(Action="sqs:*", Resource="*")), X),
        Case("principal: bare account id", send(A), pol(st(Principal={"AWS": A}, Action="sqs:SendMessage", Resource=QUEUE)), ADMIN, X),
        Case("principal: role ARN names the caller", send(ROLE_A), pol(st(Principal={"AWS": ROLE_A}, Action="sqs:SendMessage", Resource=QUEUE)), ident(st(Action="sqs:SendMessage", Resource="*")), X),
        Case("principal: role ARN names another role", send(f"arn:aws:iam::{A}:role/other"), pol(st(Principal={"AWS": ROLE_A}, Action="sqs:SendMessage", Resource=QUEUE)), ADMIN, N),
        Case("principal: assumed-role session of the named role", send(f"arn:aws:sts::{A}:assumed-role/producer/run-1"), pol(st(Principal={"AWS": ROLE_A}, Action="sqs:SendMessage", Resource=QUEUE)), ident(st(Action="sqs:*", Resource="*")), X),
        Case("principal: session of a role with a path", send(f"arn:aws:sts::{A}:assumed-role/Producer/run-1"), pol(st(Principal={"AWS": f"arn:aws:iam::{A}:role/team/producer"}, Action="sqs:SendMessage", Resource=QUEUE)), ident(st(Action="sqs:*", Resource="*")), X),
        Case("principal: session of another account's role", send(f"arn:aws:sts::{C}:assumed-role/producer/run-1"), pol(st(Principal={"AWS": ROLE_A}, Action="sqs:SendMessage", Resource=QUEUE)), ident(st(Action="sqs:*", Resource="*")), N),
        Case("principal: same-account role named directly, no identity", send(ROLE_B), pol(st(Principal={"AWS": ROLE_B}, Action="sqs:SendMessage", Resource=QUEUE)), [], X),
        Case("principal: same-account root only delegates to IAM", send(ROLE_B), pol(st(Principal={"AWS": f"arn:aws:iam::{B}:root"}, Action="sqs:SendMessage", Resource=QUEUE)), [], N),
        Case("principal: Service list with regional form", sns(OPTIN_TOPIC, "sns.af-south-1.amazonaws.com"), pol(st(Principal={"Service": ["sns.amazonaws.com", "sns.af-south-1.amazonaws.com"]}, Action="sqs:SendMessage", Resource=QUEUE, Condition={"ArnEquals": {"aws:SourceArn": OPTIN_TOPIC}})), [], X),
        Case("principal: * admits a service", sns(), pol(st(Principal="*", Action="sqs:SendMessage", Resource=QUEUE, Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:hx-*"}})), [], X),
        Case("principal: service with aws:SourceAccount", sns(), pol(st(Principal={"Service": "sns.amazonaws.com"}, Action="sqs:SendMessage", Resource=QUEUE, Condition={"StringEquals": {"aws:SourceAccount": A}})), [], X),
        Case("principal: service, wrong aws:SourceAccount", sns(), pol(st(Principal={"Service": "sns.amazonaws.com"}, Action="sqs:SendMessage", Resource=QUEUE, Condition={"StringEquals": {"aws:SourceAccount": C}})), [], N),
        Case("principal: NotPrincipal deny spares the named account", send(A), pol(st(Principal="*", Action="sqs:*", Resource=QUEUE), st("Deny", NotPrincipal={"AWS": f"arn:aws:iam::{A}:root"}, Action="sqs:*", Resource=QUEUE)), ADMIN, X),
        Case("principal: NotPrincipal deny hits others", send(C), pol(st(Principal="*", Action="sqs:*", Resource=QUEUE), st("Deny", NotPrincipal={"AWS": f"arn:aws:iam::{A}:root"}, Action="sqs:*", Resource=QUEUE)), ADMIN, E),
        Case("principal: NotPrincipal allow", send(C), pol(st(NotPrincipal={"AWS": D}, Action="sqs:SendMessage", Resource=QUEUE)), ADMIN, X),
        # explicit deny wins
        Case("deny: identity deny beats resource allow", send(A), QUEUE_POLICY, ident(st(Action="*", Resource="*"), st("Deny", Sid="NoQueues", Action="sqs:SendMessage", Resource="*")), E),
        Case("deny: resource deny for the caller's account", send(A), pol(st(Sid="Grant", Principal={"AWS": A}, Action="sqs:*", Resource=QUEUE), st("Deny", Sid="Block", Principal={"AWS": A}, Action="sqs:SendMessage", Resource=QUEUE)), ADMIN, E),
        Case("deny: same account, identity deny beats resource allow", send(ROLE_B), pol(st(Principal="*", Action="sqs:SendMessage", Resource=QUEUE)), ident(st("Deny", Action="sqs:*", Resource="*")), E),
        Case("deny: deny condition not met", send(A), QUEUE_POLICY, ident(st(Action="*", Resource="*"), st("Deny", Action="sqs:*", Resource="*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}})), E),
        Case("deny: deny condition met spares", send(A, **{"aws:PrincipalOrgID": "o-abc"}), QUEUE_POLICY, ident(st(Action="*", Resource="*"), st("Deny", Action="sqs:*", Resource="*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}})), X),
        Case("deny: deny of a service principal", sns(), pol(st(Sid="SnsIn", Principal={"Service": "sns.amazonaws.com"}, Action="sqs:SendMessage", Resource=QUEUE), st("Deny", Sid="NotFromB", Principal="*", Action="sqs:SendMessage", Resource=QUEUE, Condition={"StringNotEquals": {"aws:SourceAccount": B}})), [], E),
        # cross account: both sides
        Case("cross: resource grant only", send(D), pol(st(Principal={"AWS": D}, Action="sqs:SendMessage", Resource=QUEUE)), [], N),
        Case("cross: identity grant only", send(D), None, ADMIN, N),
        Case("cross: both grant", send(f"arn:aws:iam::{D}:role/app"), pol(st(Principal={"AWS": D}, Action="sqs:SendMessage", Resource=QUEUE)), ident(st(Action="sqs:SendMessage", Resource=QUEUE)), X),
        Case("cross: identity grants another queue", send(D), pol(st(Principal={"AWS": D}, Action="sqs:SendMessage", Resource=QUEUE)), ident(st(Action="sqs:SendMessage", Resource=QUEUE_A)), N),
        Case("cross: two identity policies, second grants", send(D), pol(st(Principal={"AWS": D}, Action="sqs:SendMessage", Resource=QUEUE)), ident(st(Action="sns:*", Resource="*"), name="p1") + ident(st(Action="sqs:Send*", Resource="*"), name="p2"), X),
    ]


def _hop_cases() -> list[Case]:
    """Requests exactly as harness.access.paths builds them, against the module policies."""
    topic, optin = Named("orders", TOPIC), Named("orders", OPTIN_TOPIC)
    b_eu, bucket = Named("b-eu", QUEUE), BucketRef("payloads", BUCKET, A)
    consumers = [Consumer("b-eu", B, deletes_payloads=True), Consumer("d", D)]
    reference = hop_requests(A, topic=topic, subscribed=[b_eu], bucket=bucket, consumers=consumers)
    plain_http = hop_requests(A, topic=topic, bucket=bucket, consumers=consumers[:1], secure_transport=False)
    policy_of = {
        TOPIC: topic_policy(TOPIC, [B]),
        QUEUE: queue_policy(QUEUE, [TOPIC]),
        BUCKET: bucket_policy(BUCKET, [B], readers_may_delete=True),
    }
    out = []
    for tag, hops in (("hop", reference), ("hop over http", plain_http)):
        for h in hops:
            out.append(Case(f"{tag}: {h.kind.value} {h.subject}", h.request, policy_of[h.policy_arn], [] if h.request.is_service else ADMIN, EXPECTED_HOPS[tag, h.kind.value, h.subject]))
    out.append(Case("hop: subscribe by the queue's account", subscribe_hop(B, topic, b_eu).request, policy_of[TOPIC], ADMIN, Outcome.ALLOWED))
    out.append(Case("hop: subscribe by an outsider", subscribe_hop(D, topic, b_eu).request, policy_of[TOPIC], ADMIN, Outcome.IMPLICIT_DENY))
    optin_deliver = deliver_hop(optin, b_eu).request
    both = pol(st(Sid="Regional", Principal={"Service": ["sns.amazonaws.com", "sns.af-south-1.amazonaws.com"]}, Action="sqs:SendMessage", Resource=QUEUE, Condition={"ArnEquals": {"aws:SourceArn": OPTIN_TOPIC}}))
    out.append(Case("hop: opt-in delivery, module policy", optin_deliver, queue_policy(QUEUE, [OPTIN_TOPIC]), [], Outcome.IMPLICIT_DENY))
    out.append(Case("hop: opt-in delivery, regional principal", optin_deliver, both, [], Outcome.ALLOWED))
    out.append(Case("hop: direct send by a producer", send_hop(A, b_eu).request, queue_policy(QUEUE, [TOPIC], [A]), ADMIN, Outcome.ALLOWED))
    return out


_X, _I, _E = Outcome.ALLOWED, Outcome.IMPLICIT_DENY, Outcome.EXPLICIT_DENY
EXPECTED_HOPS = {
    ("hop", "publish", "orders"): _X,
    ("hop", "deliver", "b-eu"): _X,
    ("hop", "put_payload", "payloads"): _X,
    ("hop", "get_payload", "b-eu"): _X,
    ("hop", "delete_payload", "b-eu"): _X,
    ("hop", "get_payload", "d"): _I,
    ("hop over http", "publish", "orders"): _X,
    ("hop over http", "put_payload", "payloads"): _E,
    ("hop over http", "get_payload", "b-eu"): _E,
    ("hop over http", "delete_payload", "b-eu"): _E,
}


SNS_DEFAULT_TOPIC_POLICY = pol(
    {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
                   "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
        "Resource": TOPIC,
        "Condition": {"StringEquals": {"AWS:SourceOwner": A}},
    }
)


def _edge_cases() -> list[Case]:
    X, N, E = Outcome.ALLOWED, Outcome.IMPLICIT_DENY, Outcome.EXPLICIT_DENY
    cond = _cond
    return [
        cond("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], {"aws:TagKeys": ["env", "team"]}, X, "ForAllValues negated hit"),
        cond("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], {"aws:TagKeys": ["env", "secret"]}, N, "ForAllValues negated miss"),
        cond("ForAnyValue:StringNotLike", "aws:TagKeys", ["env*"], {"aws:TagKeys": ["env-a", "team"]}, X, "ForAnyValue negated"),
        cond("StringNotEqualsIfExists", "aws:PrincipalOrgID", "o-abc", {}, X, "negated IfExists, key absent"),
        cond("NumericLessThanIfExists", "aws:MultiFactorAuthAge", "100", {"aws:MultiFactorAuthAge": "500"}, N, "Numeric IfExists present"),
        cond("ArnLike", "aws:SourceArn", "*", {"aws:SourceArn": TOPIC}, N, "ArnLike with a bare * is not an ARN"),
        cond("ArnLike", "aws:SourceArn", "arn:aws:sns:*:*:*", {"aws:SourceArn": TOPIC}, X, "ArnLike all fields wild"),
        cond("Bool", "aws:SecureTransport", "True", {"aws:SecureTransport": "true"}, X, "Bool policy value capitalised"),
        cond("Null", "aws:PrincipalOrgID", "false", {"aws:PrincipalOrgID": "o-abc"}, X, "Null false, key present"),
        cond("StringLike", "aws:PrincipalOrgID", ["o-x*", "o-a?c"], {"aws:PrincipalOrgID": "o-abc"}, X, "StringLike several patterns"),
        cond("StringEquals", "AWS:PrincipalOrgID", "o-abc", {"aws:PrincipalOrgID": "o-abc"}, X, "condition keys are case-insensitive"),
        Case("edge: SNS default topic policy, owner account", Request(A, "sns:Publish", TOPIC, context={"aws:SourceOwner": A}), SNS_DEFAULT_TOPIC_POLICY, [], X),
        Case("edge: SNS default topic policy, other account", Request(D, "sns:Publish", TOPIC, context={"aws:PrincipalAccount": D}), SNS_DEFAULT_TOPIC_POLICY, ADMIN, N),
        Case("edge: resource with wild partition and region", send(ROLE_B), None, ident(st(Action="sqs:SendMessage", Resource="arn:*:sqs:*:*:*")), X),
        Case("edge: region field is case-insensitive", send(ROLE_B), None, ident(st(Action="sqs:SendMessage", Resource=f"arn:aws:sqs:EU-WEST-1:{B}:hx-r1-b-eu")), X),
        Case("edge: deny NotPrincipal naming the service spares it", sns(), pol(st(Principal={"Service": "sns.amazonaws.com"}, Action="sqs:SendMessage", Resource=QUEUE), st("Deny", NotPrincipal={"Service": "sns.amazonaws.com"}, Action="sqs:SendMessage", Resource=QUEUE)), [], X),
        Case("edge: Action * with NotResource deny", send(ROLE_B), None, ident(st(Action="*", Resource="*"), st("Deny", Action="*", NotResource=f"arn:aws:sqs:*:{B}:*")), X),
        Case("edge: Action * with NotResource deny hits other account", send(ROLE_B, queue=QUEUE_A), None, ident(st(Action="*", Resource="*"), st("Deny", Action="*", NotResource=f"arn:aws:sqs:*:{B}:*")), E),
        Case("edge: allow and deny in one resource policy, deny first listed", send(A), pol(st("Deny", Sid="D", Principal="*", Action="sqs:SendMessage", Resource=QUEUE, Condition={"Bool": {"aws:SecureTransport": "false"}}), st(Sid="Aok", Principal={"AWS": A}, Action="sqs:SendMessage", Resource=QUEUE)), ADMIN, X),
    ]


CASES: list[Case] = _module_cases() + _condition_cases() + _statement_cases() + _hop_cases() + _edge_cases()
