"""The hops of one scenario path, as requests to judge — built from plain data (ARNs, account ids).

A path is: a sender publishes to a topic (or sends to a queue directly); SNS delivers to every
subscribed queue and invokes every subscribed Lambda function (``invoke``: the function's resource
policy decides); a function fed by a queue has its execution role poll it (``poll``); when the
payload is offloaded, the sender puts the object into the payload bucket and every consumer gets it
(and deletes it when it deletes payloads) — a function's consumer as its execution role. :func:`hop_requests`
turns that into :class:`Hop` objects carrying a :class:`~harness.access.evaluate.Request` each;
:mod:`harness.access.verdicts` judges them. No boto3 here.

Request context per hop, as AWS would build it: ``aws:SecureTransport`` (the SDKs use HTTPS;
``secure_transport=False`` models a plain-HTTP caller), ``aws:PrincipalAccount`` for account
callers, and for an SNS delivery ``aws:SourceArn`` (the topic) and ``aws:SourceAccount`` (its
owner). SNS delivers as ``sns.amazonaws.com``, or as ``sns.<region>.amazonaws.com`` when the
topic's region is an opt-in region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from harness.access.conditions import split_arn
from harness.access.evaluate import Request
from harness.access.policy import AccessError

# Regions that must be enabled per account (AWS "opt-in" regions); services there act as
# <service>.<region>.amazonaws.com. Regions launched after March 2019 are opt-in.
OPT_IN_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
    }
)

PAYLOAD_PROBE_KEY = "harness-access-probe"  # the object key used when no real key is given


class HopKind(StrEnum):
    PUBLISH = "publish"
    SEND = "send"
    DELIVER = "deliver"
    SUBSCRIBE = "subscribe"
    PUT_PAYLOAD = "put_payload"
    GET_PAYLOAD = "get_payload"
    DELETE_PAYLOAD = "delete_payload"
    ENCRYPT = "encrypt"  # kms:GenerateDataKey with the key of a topic, queue or payload bucket
    DECRYPT = "decrypt"  # kms:Decrypt with it
    INVOKE = "invoke"  # lambda:InvokeFunction: SNS invoking a subscribed function, or an account calling it
    POLL = "poll"  # sqs:ReceiveMessage by a function's execution role (its event source mapping)
    ON_FAILURE = "on_failure"  # sqs:SendMessage by a function's execution role: Lambda's record of a failed asynchronous invocation


RESOURCE_KIND = {
    HopKind.PUBLISH: "topic",
    HopKind.SUBSCRIBE: "topic",
    HopKind.SEND: "queue",
    HopKind.DELIVER: "queue",
    HopKind.PUT_PAYLOAD: "bucket",
    HopKind.GET_PAYLOAD: "bucket",
    HopKind.DELETE_PAYLOAD: "bucket",
    HopKind.ENCRYPT: "key",
    HopKind.DECRYPT: "key",
    HopKind.INVOKE: "function",
    HopKind.POLL: "queue",
    HopKind.ON_FAILURE: "queue",
}


@dataclass(frozen=True)
class Named:
    """A topic or queue: its logical name (for messages) and its ARN."""

    name: str
    arn: str


@dataclass(frozen=True)
class BucketRef:
    """A payload bucket: logical name, ARN and owner account (S3 ARNs carry no account)."""

    name: str
    arn: str
    account: str


@dataclass(frozen=True)
class Consumer:
    """Who reads payloads: a label for messages (the queue or function it consumes), the principal
    that reads (an account id, or a function's execution role ARN), and whether it deletes the
    payload object after processing. ``caller`` says who that is in a verdict line."""

    name: str
    account: str
    deletes_payloads: bool = False
    caller: str | None = None


@dataclass(frozen=True)
class Hop:
    kind: HopKind
    subject: str  # first word of the verdict line: the queue, topic, bucket or consumer concerned
    request: Request
    resource: str  # logical name of the topic / queue / bucket whose policy decides
    via: str | None = None  # for DELIVER / INVOKE by SNS: the topic's logical name; for a key hop: what the key protects
    policy_arn: str = ""  # ARN whose resource policy decides (the bucket for object requests)
    caller: str | None = None  # who acts, in words ("function c-fn's role"); None: the account, or SNS

    @property
    def resource_kind(self) -> str:
        return RESOURCE_KIND[self.kind]


def arn_region(arn: str) -> str:
    parts = split_arn(arn)
    if parts is None or not parts[2]:
        raise AccessError(f"{arn!r} is not an ARN with a region (arn:<partition>:<service>:<region>:<account>:<name>)")
    return parts[2]


def arn_account(arn: str) -> str:
    parts = split_arn(arn)
    if parts is None or not parts[3]:
        raise AccessError(f"{arn!r} is not an ARN with an account (arn:<partition>:<service>:<region>:<account>:<name>)")
    return parts[3]


def sns_principal(topic_region: str) -> str:
    """The service principal SNS delivers with from a topic in ``topic_region``."""
    return f"sns.{topic_region}.amazonaws.com" if topic_region in OPT_IN_REGIONS else "sns.amazonaws.com"


def _caller_context(account: str, secure_transport: bool) -> dict[str, str]:
    return {"aws:SecureTransport": "true" if secure_transport else "false", "aws:PrincipalAccount": account}


def publish_hop(sender_account: str, topic: Named, secure_transport: bool = True) -> Hop:
    req = Request(sender_account, "sns:Publish", topic.arn, context=_caller_context(sender_account, secure_transport))
    return Hop(HopKind.PUBLISH, topic.name, req, topic.name, policy_arn=topic.arn)


def send_hop(sender_account: str, queue: Named, secure_transport: bool = True) -> Hop:
    req = Request(sender_account, "sqs:SendMessage", queue.arn, context=_caller_context(sender_account, secure_transport))
    return Hop(HopKind.SEND, queue.name, req, queue.name, policy_arn=queue.arn)


def subscribe_hop(queue_account: str, topic: Named, queue: Named, protocol: str = "sqs") -> Hop:
    """The endpoint's account subscribing its queue (or, protocol lambda, its function): how the kit subscribes on AWS."""
    ctx = {**_caller_context(queue_account, True), "sns:Protocol": protocol, "sns:Endpoint": queue.arn}
    req = Request(queue_account, "sns:Subscribe", topic.arn, context=ctx)
    return Hop(HopKind.SUBSCRIBE, queue.name, req, topic.name, via=topic.name, policy_arn=topic.arn)


def deliver_hop(topic: Named, queue: Named) -> Hop:
    ctx = {"aws:SourceArn": topic.arn, "aws:SourceAccount": arn_account(topic.arn), "aws:SecureTransport": "true"}
    req = Request(sns_principal(arn_region(topic.arn)), "sqs:SendMessage", queue.arn, context=ctx)
    return Hop(HopKind.DELIVER, queue.name, req, queue.name, via=topic.name, policy_arn=queue.arn)


def payload_hop(
    kind: HopKind, subject: str, account: str, bucket: BucketRef, key: str = PAYLOAD_PROBE_KEY, secure_transport: bool = True,
    caller: str | None = None,
) -> Hop:
    """``account`` (an account id, or a role ARN with ``caller`` saying whose) puts, gets or deletes a payload."""
    action = {HopKind.PUT_PAYLOAD: "s3:PutObject", HopKind.GET_PAYLOAD: "s3:GetObject", HopKind.DELETE_PAYLOAD: "s3:DeleteObject"}[kind]
    ctx = _caller_context(principal_account_of(account), secure_transport)
    req = Request(account, action, f"{bucket.arn}/{key}", resource_account=bucket.account, context=ctx)
    return Hop(kind, subject, req, bucket.name, policy_arn=bucket.arn, caller=caller)


def principal_account_of(principal: str) -> str:
    """The account of a principal: an account id is its own, an IAM ARN names it."""
    parts = split_arn(principal)
    return parts[3] if parts is not None and parts[3] else principal


@dataclass(frozen=True)
class FunctionRef:
    """A Lambda function: logical name, ARN and its execution role's ARN."""

    name: str
    arn: str
    role_arn: str

    @property
    def caller(self) -> str:
        return f"function {self.name}'s role"


def invoke_hop(topic: Named, function: FunctionRef) -> Hop:
    """SNS invokes a subscribed function (``aws:SourceArn`` = the topic): the function's resource policy decides."""
    ctx = {"aws:SourceArn": topic.arn, "aws:SourceAccount": arn_account(topic.arn), "aws:SecureTransport": "true"}
    req = Request(sns_principal(arn_region(topic.arn)), "lambda:InvokeFunction", function.arn, context=ctx)
    return Hop(HopKind.INVOKE, function.name, req, function.name, via=topic.name, policy_arn=function.arn)


def account_invoke_hop(account: str, function: FunctionRef, secure_transport: bool = True) -> Hop:
    """An account calls Invoke on the function."""
    req = Request(account, "lambda:InvokeFunction", function.arn, context=_caller_context(account, secure_transport))
    return Hop(HopKind.INVOKE, function.name, req, function.name, policy_arn=function.arn)


def poll_hop(function: FunctionRef, queue: Named) -> Hop:
    """The function's execution role receives from the queue its event source mapping reads."""
    req = Request(function.role_arn, "sqs:ReceiveMessage", queue.arn, context=_caller_context(arn_account(function.role_arn), True))
    return Hop(HopKind.POLL, function.name, req, queue.name, via=queue.name, policy_arn=queue.arn, caller=function.caller)


def failure_hop(function: FunctionRef, queue: Named) -> Hop:
    """Lambda sends the record of the function's failed asynchronous invocation to its on-failure
    destination as the function's execution role: the role's policy, and across accounts the queue's, decide."""
    req = Request(function.role_arn, "sqs:SendMessage", queue.arn, context=_caller_context(arn_account(function.role_arn), True))
    return Hop(HopKind.ON_FAILURE, function.name, req, queue.name, via=queue.name, policy_arn=queue.arn, caller=function.caller)


@dataclass(frozen=True)
class KeyRef:
    """A KMS key: logical name and ARN (the ARN carries account and region)."""

    name: str
    arn: str


KEY_ACTIONS = {HopKind.ENCRYPT: "kms:GenerateDataKey", HopKind.DECRYPT: "kms:Decrypt"}


def key_hop(kind: HopKind, subject: str, principal: str, key: KeyRef, protects: str, context: dict[str, str] | None = None) -> Hop:
    """``principal`` (an account id, or SNS) uses ``key`` to encrypt or decrypt what it ``protects``
    (``payloads of bucket central``, ``queue b-eu``). Key policies name the key as ``*``."""
    req = Request(principal, KEY_ACTIONS[kind], key.arn, context=context or {})
    return Hop(kind, subject, req, key.name, via=protects, policy_arn=key.arn)


def account_key_hop(
    kind: HopKind, subject: str, account: str, key: KeyRef, protects: str, secure_transport: bool = True, caller: str | None = None
) -> Hop:
    """``account`` (an account id, or a role ARN with ``caller``) encrypts or decrypts with ``key``."""
    hop = key_hop(kind, subject, account, key, protects, _caller_context(principal_account_of(account), secure_transport))
    return Hop(hop.kind, hop.subject, hop.request, hop.resource, hop.via, hop.policy_arn, caller)


def sns_key_hop(topic: Named, queue: Named, key: KeyRef) -> Hop:
    """SNS asks for a data key of the queue's key to deliver into it (``aws:SourceArn`` = the topic)."""
    ctx = {"aws:SourceArn": topic.arn, "aws:SourceAccount": arn_account(topic.arn), "aws:SecureTransport": "true"}
    return key_hop(HopKind.ENCRYPT, queue.name, sns_principal(arn_region(topic.arn)), key, f"queue {queue.name}", ctx)


def hop_requests(
    sender_account: str,
    *,
    topic: Named | None = None,
    queue: Named | None = None,
    subscribed: Sequence[Named] = (),
    bucket: BucketRef | None = None,
    consumers: Sequence[Consumer] = (),
    payload_key: str = PAYLOAD_PROBE_KEY,
    secure_transport: bool = True,
    invoked: Sequence[FunctionRef] = (),
    polled: Sequence[tuple[FunctionRef, Named]] = (),
    failing_to: Sequence[tuple[FunctionRef, Named]] = (),
) -> list[Hop]:
    """Every hop of one path, in the order a message travels.

    Give ``topic`` (with the queues ``subscribed`` to it that this path expects to reach) or
    ``queue`` for a direct send; ``bucket`` and ``consumers`` when payloads are offloaded; the
    functions SNS invokes (``invoked``, topic paths) and those polling a queue the path reaches
    (``polled``: function and queue); an invoked function whose failed invocations go to an
    on-failure destination (``failing_to``: function and queue)."""
    if (topic is None) == (queue is None):
        raise AccessError("a path starts at a topic (publish) or at a queue (direct send): give exactly one of topic= and queue=")
    if queue is not None and subscribed:
        raise AccessError("subscribed= only applies to a path that publishes to a topic")
    hops: list[Hop] = []
    if topic is not None:
        hops.append(publish_hop(sender_account, topic, secure_transport))
        hops.extend(deliver_hop(topic, q) for q in subscribed)
        hops.extend(invoke_hop(topic, f) for f in invoked)
        hops.extend(failure_hop(f, q) for f, q in failing_to)
    else:
        assert queue is not None
        hops.append(send_hop(sender_account, queue, secure_transport))
        if invoked or failing_to:
            raise AccessError("invoked= and failing_to= only apply to a path that publishes to a topic")
    hops.extend(poll_hop(f, q) for f, q in polled)
    if bucket is not None:
        hops.append(payload_hop(HopKind.PUT_PAYLOAD, bucket.name, sender_account, bucket, payload_key, secure_transport))
        for c in consumers:
            hops.append(payload_hop(HopKind.GET_PAYLOAD, c.name, c.account, bucket, payload_key, secure_transport, c.caller))
            if c.deletes_payloads:
                hops.append(payload_hop(HopKind.DELETE_PAYLOAD, c.name, c.account, bucket, payload_key, secure_transport, c.caller))
    elif consumers:
        raise AccessError("consumers= reads payloads from a bucket: give bucket= as well")
    return hops
