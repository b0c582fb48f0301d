"""Read what lives there: the ``topics:``, ``queues:``, ``buckets:`` and ``subscriptions:`` sections.

Each field is checked on its own here (type, range, that a named account, region, topic or queue
exists); how resources fit together is :mod:`harness.topology.cross_checks`.
"""

from __future__ import annotations

import re

from harness.topology.drafts import BucketDraft, Drafts, KeyDraft, QueueDraft, Ref, SubscriptionDraft, TopicDraft
from harness.topology.filter_policy import read_filter_policy, read_filter_policy_scope
from harness.topology.readers import (
    choices,
    fifo_fields,
    grantees,
    known_queue,
    logical_name,
    owned,
    place,
    section,
)
from harness.topology.sourced_yaml import Node, join_names, quote, suggest

RESOURCE_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # topics and queues (without .fifo)
BUCKET_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,29}")  # the harness prefixes it; <= 63 in all
# Suffixes S3 reserves for its own bucket types; the logical name ends the physical bucket name.
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")

VISIBILITY_TIMEOUT_RANGE = (0, 43200)
RETENTION_RANGE = (60, 1209600)
MAX_RECEIVE_COUNT_RANGE = (1, 1000)

TOPIC_KEYS = ("account", "region", "fifo", "content_based_deduplication", "publishers", "kms_key")
QUEUE_KEYS = (
    "account",
    "region",
    "fifo",
    "content_based_deduplication",
    "visibility_timeout",
    "retention",
    "dead_letter",
    "producers",
    "kms_key",
)
DEAD_LETTER_KEYS = ("queue", "max_receive_count")
BUCKET_KEYS = ("account", "region", "readers", "writers", "readers_may_delete", "kms_key")
KEY_KEYS = ("account", "region", "encrypt", "decrypt")
SUBSCRIPTION_KEYS = ("topic", "queue", "raw_delivery", "filter_policy", "filter_policy_scope", "dead_letter_queue")


def read_topics(d: Drafts, node: Node) -> None:
    for name, value in section(node, "topic").items():
        draft = TopicDraft(name, value)
        draft.valid_name = logical_name(name, value, "topic", RESOURCE_NAME_RE, 40)
        d.topics[name] = draft
        fields = owned(d, name, value, "topic", TOPIC_KEYS)
        if fields is None:
            continue
        place(d, draft, fields)
        draft.fifo, draft.cbd = fifo_fields(fields, "topic")
        if "publishers" in fields:
            draft.publishers = grantees(d, fields["publishers"], draft.account, "topic")


def read_queues(d: Drafts, node: Node) -> None:
    for name, value in section(node, "queue").items():
        draft = QueueDraft(name, value)
        draft.valid_name = logical_name(name, value, "queue", RESOURCE_NAME_RE, 40)
        d.queues[name] = draft
        fields = owned(d, name, value, "queue", QUEUE_KEYS)
        if fields is None:
            continue
        place(d, draft, fields)
        draft.fifo, draft.cbd = fifo_fields(fields, "queue")
        if "visibility_timeout" in fields:
            lo, hi = VISIBILITY_TIMEOUT_RANGE
            v = fields["visibility_timeout"].integer(lo, hi, hint="e.g. visibility_timeout: 30 (seconds)")
            draft.visibility_timeout = v if v is not None else draft.visibility_timeout
        if "retention" in fields:
            lo, hi = RETENTION_RANGE
            v = fields["retention"].integer(lo, hi, hint="e.g. retention: 345600 (seconds; 60 s to 14 days)")
            draft.retention = v if v is not None else draft.retention
        if "dead_letter" in fields:
            _dead_letter(draft, fields["dead_letter"])
        if "producers" in fields:
            draft.producers = grantees(d, fields["producers"], draft.account, "queue")


def _dead_letter(draft: QueueDraft, node: Node) -> None:
    draft.has_dead_letter = True
    fields = node.mapping(
        allowed=DEAD_LETTER_KEYS,
        required=DEAD_LETTER_KEYS,
        hint="write dead_letter: {queue: <queue name>, max_receive_count: 3}",
        required_hints={
            "queue": "add queue: <name of the dead-letter queue>",
            "max_receive_count": "add max_receive_count: <1..1000>, e.g. max_receive_count: 3",
        },
    )
    if fields is None:
        return
    if "queue" in fields:
        value = fields["queue"].string(what="queue name", hint="write the logical name of another queue")
        if value is not None:
            draft.dlq = Ref(value, fields["queue"])
    if "max_receive_count" in fields:
        lo, hi = MAX_RECEIVE_COUNT_RANGE
        draft.max_receive_count = fields["max_receive_count"].integer(
            lo, hi, hint="e.g. max_receive_count: 3 (receives before a message moves to the DLQ)"
        )


def read_buckets(d: Drafts, node: Node) -> None:
    for name, value in section(node, "bucket").items():
        draft = BucketDraft(name, value)
        draft.valid_name = logical_name(name, value, "bucket", BUCKET_NAME_RE, 30)
        if draft.valid_name:
            if name.endswith("-"):
                value.problem(f"{quote(name)} ends with '-', which S3 bucket names may not; write {name.rstrip('-')}")
            for suffix in BUCKET_RESERVED_SUFFIXES:
                if name.endswith(suffix):
                    value.problem(f"S3 reserves the suffix {suffix}; choose a name not ending in it")
        d.buckets[name] = draft
        fields = owned(d, name, value, "bucket", BUCKET_KEYS)
        if fields is None:
            continue
        place(d, draft, fields)
        if "readers" in fields:
            draft.readers = grantees(d, fields["readers"], draft.account, "bucket")
        if "writers" in fields:
            draft.writers = grantees(d, fields["writers"], draft.account, "bucket")
        if "readers_may_delete" in fields:
            v = fields["readers_may_delete"].boolean(hint="write readers_may_delete: true or false")
            draft.readers_may_delete = bool(v)


def read_keys(d: Drafts, node: Node) -> None:
    """``keys:``: customer-managed KMS keys, who may encrypt and who may decrypt with each."""
    for name, value in section(node, "key").items():
        draft = KeyDraft(name, value)
        draft.valid_name = logical_name(name, value, "key", RESOURCE_NAME_RE, 40)
        d.keys[name] = draft
        fields = owned(d, name, value, "key", KEY_KEYS)
        if fields is None:
            continue
        place(d, draft, fields)
        if "encrypt" in fields:
            draft.encrypt = grantees(d, fields["encrypt"], draft.account, "key")
        if "decrypt" in fields:
            draft.decrypt = grantees(d, fields["decrypt"], draft.account, "key")


def read_subscriptions(d: Drafts, node: Node) -> None:
    if node.is_null:
        return
    items = node.items(hint="write subscriptions as a list, e.g. subscriptions: [{topic: orders, queue: b-eu}]")
    for item in items or []:
        fields = item.mapping(
            allowed=SUBSCRIPTION_KEYS,
            required=("topic", "queue"),
            hint="write each subscription as a mapping, e.g. - {topic: orders, queue: b-eu}",
            required_hints={
                "topic": f"add topic: <one of {join_names(d.topics)}>"
                if d.topics
                else "add topic: <name> and define that topic under topics:",
                "queue": f"add queue: <one of {join_names(d.queues)}>"
                if d.queues
                else "add queue: <name> and define that queue under queues:",
            },
        )
        if fields is None:
            continue
        sub = SubscriptionDraft(item)
        d.subscriptions.append(sub)
        if "topic" in fields:
            tnode = fields["topic"]
            value = tnode.string(what="topic name", hint=f"write one of the topics: {join_names(d.topics)}")
            if value is not None:
                if value in d.topics:
                    sub.topic = Ref(value, tnode)
                else:
                    tnode.problem(
                        f"unknown topic {quote(value)}; {choices(d.topics, 'topics')}{suggest(value, d.topics)}"
                    )
        if "queue" in fields:
            sub.queue = _queue_ref(d, fields["queue"], f"write one of the queues: {join_names(d.queues)}")
        if "raw_delivery" in fields:
            sub.raw_delivery = bool(fields["raw_delivery"].boolean(hint="write raw_delivery: true or false"))
        if "filter_policy_scope" in fields:
            sub.filter_policy_scope = read_filter_policy_scope(fields["filter_policy_scope"], "filter_policy" in fields)
        if "filter_policy" in fields:
            sub.filter_policy = read_filter_policy(fields["filter_policy"], sub.filter_policy_scope)
        if "dead_letter_queue" in fields:
            sub.dlq = _queue_ref(d, fields["dead_letter_queue"], "write the logical name of a queue")


def _queue_ref(d: Drafts, node: Node, hint: str) -> Ref | None:
    value = node.string(what="queue name", hint=hint)
    if value is None:
        return None
    ref = Ref(value, node)
    return ref if known_queue(d, ref, "queue") is not None else None
