"""Infrastructure faults: a resource of the applied run is changed through the API for a while and
put back as it was read before (on every exit of the scenario: the undo is a ``finally``, which a
SIGINT or SIGTERM — raised as KeyboardInterrupt by the CLI — unwinds too)::

    faults:
      - {kind: queue_policy, queue: b-eu, for: 20s}          # the policy stops admitting SNS
      - {kind: key_disabled, key: queue-key, for: 30s}       # DisableKey, then EnableKey
      - {kind: queue_deleted, queue: b-eu}                   # deleted, then recreated as it was
      - {kind: filter_policy, topic: orders, queue: c-us, filter_policy: {kind: [refund]}, for: 10s}
      - {kind: payload_deleted, queue: b-eu, count: 1}       # the object goes before the consumer reads it
      - {kind: payload_overwritten, queue: b-eu, count: 1}   # other bytes under the same key

Each says whether the target can show it: LocalStack 4.13.1 (community) enforces neither queue
policies nor a key's state on SQS/SNS encryption, so there those faults are applied and undone all
the same, and their objective is *not observable* with the reason — never met.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from harness import retry
from harness.payload.message import ReceivedMessage
from harness.scenario.execute.watch import QueueWatch
from harness.scenario.faults.base import INFRASTRUCTURE, Fault, LiveFault
from harness.scenario.faults.consumer import ConsumerFault, _QueueFaults
from harness.scenario.faults.when import Trigger, When
from harness.scenario.format.sends import queue_ref
from harness.topology.sourced_yaml import Node, quote

if TYPE_CHECKING:
    from harness.scenario.expectations.base import ReadContext, RunContext

Undo = Callable[[], None]
SNS_DENY_SID = "HarnessFaultDenySns"


class InfrastructureFault(Fault):
    """Applied through the API by :meth:`apply`, which returns the call that puts it back."""

    family: ClassVar[str] = INFRASTRUCTURE

    def apply(self, live: LiveFault, run: RunContext) -> Undo:
        raise NotImplementedError


@contextmanager
def applied(fault: InfrastructureFault, run: RunContext) -> Iterator[None]:
    """``fault`` applied for the body of the ``with`` and undone on its way out, whatever the way
    (for an expectation that takes something away itself: ``subscription_dead_letter``)."""
    live = LiveFault(fault, Trigger(fault.when))
    undo = journaled(fault, live, run)
    live.log.opened()
    try:
        yield
    finally:
        undo()


def journaled(fault: InfrastructureFault, live: LiveFault, run: RunContext) -> Undo:
    """``fault.apply``, recorded in the run's journal before the change and cleared once it is undone
    (:mod:`harness.provision.fault_journal`): a process killed in between leaves the record, and the
    next one to use the run puts it back. A failed apply or undo keeps the record too."""
    journal = run.journal()
    entry = journal.opened(fault.kind, fault.where(), fault.what()) if journal is not None else None
    undo = fault.apply(live, run)

    def undo_and_clear() -> None:
        undo()
        if journal is not None and entry is not None:
            journal.closed(entry)

    return undo_and_clear


@dataclass(frozen=True)
class QueuePolicyFault(InfrastructureFault):
    queue: str
    when: When
    line: int = field(default=0, compare=False)

    kind = "queue_policy"
    keys = ("queue",)
    required = ("queue",)
    summary = "the queue's policy denies sns.amazonaws.com SendMessage: SNS deliveries fail (into the subscription's DLQ)"

    @classmethod
    def read(cls, r: ReadContext, f: dict[str, Node], when: When, line: int) -> Fault | None:
        queue = queue_ref(r.topology, f["queue"])
        return None if queue is None else cls(queue, when, line)

    def where(self) -> str:
        return f"queue {self.queue}"

    def what(self) -> str:
        return "queue policy denies SNS (explicit Deny for sns.amazonaws.com)"

    def not_observable_on(self, target: str) -> str | None:
        return "LocalStack does not enforce queue policies: SNS delivers anyway" if target == "localstack" else None

    def apply(self, live: LiveFault, run: RunContext) -> Undo:
        entry = run.manifest().queues[self.queue]
        sqs = run.sessions().client("sqs", entry.account, entry.region)
        policy = run.sessions().retry_policy
        attrs = retry.call("sqs.GetQueueAttributes", sqs.get_queue_attributes, policy=policy, QueueUrl=entry.url,
                           AttributeNames=["Policy"]).get("Attributes", {})
        before = attrs.get("Policy", "")
        doc: dict[str, Any] = json.loads(before) if before else {"Version": "2012-10-17", "Statement": []}
        deny = {"Sid": SNS_DENY_SID, "Effect": "Deny", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": entry.arn}
        doc["Statement"] = [*doc.get("Statement", []), deny]
        retry.call("sqs.SetQueueAttributes", sqs.set_queue_attributes, policy=policy, QueueUrl=entry.url,
                   Attributes={"Policy": json.dumps(doc)})

        def undo() -> None:
            retry.call("sqs.SetQueueAttributes", sqs.set_queue_attributes, policy=policy, QueueUrl=entry.url,
                       Attributes={"Policy": before})

        return undo


@dataclass(frozen=True)
class KeyDisabled(InfrastructureFault):
    key: str
    when: When
    line: int = field(default=0, compare=False)

    kind = "key_disabled"
    keys = ("key",)
    required = ("key",)
    summary = "the KMS key is disabled: what it encrypts can be neither sent nor read (AWS only)"

    @classmethod
    def read(cls, r: ReadContext, f: dict[str, Node], when: When, line: int) -> Fault | None:
        name = f["key"].string(what="key name")
        if name is None:
            return None
        if name not in r.topology.keys:
            known = ", ".join(r.topology.keys)
            f["key"].problem(f"no key {quote(name)} in the topology; " + (f"name one of its keys: {known}" if known else
                             "it declares no keys: add one under keys: and name it with kms_key: on the queue, topic or bucket"))
            return None
        return cls(name, when, line)

    def where(self) -> str:
        return f"key {self.key}"

    def what(self) -> str:
        return "KMS key disabled (DisableKey), enabled again after"

    def not_observable_on(self, target: str) -> str | None:
        if target == "localstack":
            return "LocalStack does not enforce a KMS key's state on SQS, SNS or S3 encryption: messages go through with the key disabled"
        return None

    def apply(self, live: LiveFault, run: RunContext) -> Undo:
        entry = run.manifest().keys[self.key]
        kms = run.sessions().client("kms", entry.account, entry.region)
        policy = run.sessions().retry_policy
        state = retry.call("kms.DescribeKey", kms.describe_key, policy=policy, KeyId=entry.arn)["KeyMetadata"].get("KeyState")
        retry.call("kms.DisableKey", kms.disable_key, policy=policy, KeyId=entry.arn)

        def undo() -> None:
            if state == "Enabled":
                retry.call("kms.EnableKey", kms.enable_key, policy=policy, KeyId=entry.arn)

        return undo


@dataclass(frozen=True)
class QueueDeleted(InfrastructureFault):
    queue: str
    when: When
    line: int = field(default=0, compare=False)

    kind = "queue_deleted"
    keys = ("queue",)
    required = ("queue",)
    summary = "the queue is deleted and recreated after (same name, attributes, tags): SNS cannot deliver meanwhile"

    @classmethod
    def read(cls, r: ReadContext, f: dict[str, Node], when: When, line: int) -> Fault | None:
        queue = queue_ref(r.topology, f["queue"])
        return None if queue is None else cls(queue, when, line)

    def where(self) -> str:
        return f"queue {self.queue}"

    def what(self) -> str:
        return "queue deleted, recreated after"

    def apply(self, live: LiveFault, run: RunContext) -> Undo:
        outage = run.outage_of(self.queue)
        outage.__enter__()

        def undo() -> None:
            outage.__exit__(None, None, None)

        return undo


@dataclass(frozen=True)
class FilterPolicyChanged(InfrastructureFault):
    topic: str
    queue: str
    policy: str  # JSON
    when: When
    line: int = field(default=0, compare=False)

    kind = "filter_policy"
    keys = ("topic", "queue", "filter_policy")
    required = ("topic", "queue", "filter_policy")
    summary = "the subscription's filter policy is replaced for a while, then restored"

    @classmethod
    def read(cls, r: ReadContext, f: dict[str, Node], when: When, line: int) -> Fault | None:
        queue = queue_ref(r.topology, f["queue"])
        topic = f["topic"].string(what="topic name")
        if queue is None or topic is None:
            return None
        if not any(s.topic == topic and s.queue == queue for s in r.topology.subscriptions):
            f["queue"].problem(f"no subscription of queue {queue} to topic {topic}; name the topic and queue of a subscription")
            return None
        value = f["filter_policy"].to_python()
        if not isinstance(value, dict) or not value:
            f["filter_policy"].problem("write the filter policy as a mapping, e.g. filter_policy: {kind: [refund]}")
            return None
        return cls(topic, queue, json.dumps(value, sort_keys=True), when, line)

    def where(self) -> str:
        return f"subscription {self.topic} → {self.queue}"

    def what(self) -> str:
        return f"filter policy replaced by {self.policy}"

    def apply(self, live: LiveFault, run: RunContext) -> Undo:
        sub = next(s for s in run.manifest().subscriptions if s.topic == self.topic and s.queue == self.queue)
        topic = run.manifest().topics[self.topic]
        sns = run.sessions().client("sns", topic.account, topic.region)
        policy = run.sessions().retry_policy
        attrs = retry.call("sns.GetSubscriptionAttributes", sns.get_subscription_attributes, policy=policy,
                           SubscriptionArn=sub.arn).get("Attributes", {})
        before = attrs.get("FilterPolicy") or "{}"
        retry.call("sns.SetSubscriptionAttributes", sns.set_subscription_attributes, policy=policy, SubscriptionArn=sub.arn,
                   AttributeName="FilterPolicy", AttributeValue=self.policy)

        def undo() -> None:
            retry.call("sns.SetSubscriptionAttributes", sns.set_subscription_attributes, policy=policy, SubscriptionArn=sub.arn,
                       AttributeName="FilterPolicy", AttributeValue=before)

        return undo


@dataclass(frozen=True)
class PayloadDeleted(ConsumerFault):
    """Through the bucket owner's client, right before the harness's consumer reads the object."""

    family: ClassVar[str] = INFRASTRUCTURE
    kind = "payload_deleted"
    summary = "a message's payload object is deleted before its consumer reads it: a dangling pointer"

    def where(self) -> str:
        return f"payload objects read from queue {self.queue}"

    def what(self) -> str:
        return "payload object deleted before it is read"

    def start(self, live: LiveFault, run: RunContext) -> Any:
        bucket = run.bucket()
        if bucket is not None:
            live.context["s3"] = run.sessions().client("s3", bucket.account, bucket.region)
        return super().start(live, run)

    def take(self, live: LiveFault, watch: QueueWatch, msg: ReceivedMessage, state: _QueueFaults) -> bool:
        s3 = live.context.get("s3")
        if msg.pointer is None or s3 is None or not live.trigger.fire():
            return False
        live.log.opened()
        self.damage(s3, msg.pointer.bucket, msg.pointer.key)
        live.log.note(self.kind, msg.correlation_id)
        return False  # read as usual: it finds what the fault left

    def damage(self, s3: Any, bucket: str, key: str) -> None:
        retry.call("s3.DeleteObject", s3.delete_object, Bucket=bucket, Key=key)


@dataclass(frozen=True)
class PayloadOverwritten(PayloadDeleted):
    kind = "payload_overwritten"
    summary = "a message's payload object is overwritten with as many other bytes before it is read: a corrupted delivery"

    def what(self) -> str:
        return "payload object overwritten (same size, other bytes) before it is read"

    def damage(self, s3: Any, bucket: str, key: str) -> None:
        size = int(retry.call("s3.HeadObject", s3.head_object, Bucket=bucket, Key=key)["ContentLength"])
        retry.call("s3.PutObject", s3.put_object, Bucket=bucket, Key=key, Body=b"\xff" * size)  # in memory: a test-sized payload


INFRASTRUCTURE_FAULTS: tuple[type[Fault], ...] = (QueuePolicyFault, KeyDisabled, QueueDeleted, FilterPolicyChanged,
                                                  PayloadDeleted, PayloadOverwritten)
