"""Turn the drafts of a problem-free topology file into the frozen :class:`Topology`."""

from __future__ import annotations

from typing import TypeVar

from harness.errors import InputFileError, Problem
from harness.topology.drafts import Drafts
from harness.topology.model import (
    Account,
    AwsAccess,
    Bucket,
    DeadLetter,
    Key,
    Queue,
    Subscription,
    Topic,
    Topology,
)

T = TypeVar("T")


def build_topology(d: Drafts) -> Topology:
    """The model; call only once every problem is raised (every draft value is then set)."""

    def need(value: T | None, what: str) -> T:
        if value is None:  # pragma: no cover - every None here has a recorded problem
            raise InputFileError(
                [Problem(d.problems.file, 1, "(document)", f"internal: {what} missing after validation")]
            )
        return value

    accounts = {
        a.name: Account(
            name=a.name,
            id=need(a.id, f"accounts.{a.name}.id"),
            aws=AwsAccess(role_arn=a.role_arn, profile=a.profile, external_id=a.external_id),
        )
        for a in d.accounts.values()
    }
    topics = {
        t.name: Topic(
            name=t.name,
            account=need(t.account, f"topics.{t.name}.account").value,
            region=need(t.region, f"topics.{t.name}.region").value,
            fifo=t.fifo,
            content_based_deduplication=t.cbd,
            publishers=tuple(t.publishers),
            kms_key=t.kms_key.value if t.kms_key else None,
        )
        for t in d.topics.values()
    }
    queues = {
        q.name: Queue(
            name=q.name,
            account=need(q.account, f"queues.{q.name}.account").value,
            region=need(q.region, f"queues.{q.name}.region").value,
            fifo=q.fifo,
            content_based_deduplication=q.cbd,
            visibility_timeout=q.visibility_timeout,
            retention=q.retention,
            dead_letter=(
                DeadLetter(
                    queue=need(q.dlq, f"queues.{q.name}.dead_letter.queue").value,
                    max_receive_count=need(q.max_receive_count, f"queues.{q.name}.dead_letter"),
                )
                if q.has_dead_letter
                else None
            ),
            producers=tuple(q.producers),
            kms_key=q.kms_key.value if q.kms_key else None,
        )
        for q in d.queues.values()
    }
    buckets = {
        b.name: Bucket(
            name=b.name,
            account=need(b.account, f"buckets.{b.name}.account").value,
            region=need(b.region, f"buckets.{b.name}.region").value,
            readers=tuple(b.readers),
            writers=tuple(b.writers),
            readers_may_delete=b.readers_may_delete,
            kms_key=b.kms_key.value if b.kms_key else None,
        )
        for b in d.buckets.values()
    }
    keys = {
        k.name: Key(
            name=k.name,
            account=need(k.account, f"keys.{k.name}.account").value,
            region=need(k.region, f"keys.{k.name}.region").value,
            encrypt=tuple(k.encrypt),
            decrypt=tuple(k.decrypt),
        )
        for k in d.keys.values()
    }
    subscriptions = tuple(
        Subscription(
            topic=need(s.topic, f"{s.node.field}.topic").value,
            queue=need(s.queue, f"{s.node.field}.queue").value,
            raw_delivery=s.raw_delivery,
            filter_policy=s.filter_policy,
            dead_letter_queue=s.dlq.value if s.dlq else None,
            filter_policy_scope=s.filter_policy_scope,
        )
        for s in d.subscriptions
    )
    return Topology(
        name=need(d.name, "name"),
        source=d.problems.file,
        accounts=accounts,
        regions=tuple(d.regions),
        topics=topics,
        queues=queues,
        buckets=buckets,
        subscriptions=subscriptions,
        keys=keys,
    )
