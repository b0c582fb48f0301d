"""``topics:``: SNS topics, where they live, who else may publish, the key that encrypts them, and
the largest message they take (``max_message_size``, 1 KiB to 1 MiB; AWS's default 256 KiB).

Cross-check of a topic over 256 KiB (AWS's rules for large topics): its subscriptions are SQS queues
or Lambda functions (what the kit subscribes anyway) and there are at most 100 of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.topology.drafts import Drafts, OwnedDraft
from harness.topology.kind import KindSpec, NameClaim, need
from harness.topology.names import physical_name, topic_module
from harness.topology.readers import fifo_fields, grantees, owned_entries
from harness.topology.sourced_yaml import Node, quote

TOPIC_KEYS = ("account", "region", "fifo", "content_based_deduplication", "publishers", "kms_key", "max_message_size")
KIB = 1024
MAX_MESSAGE_SIZE_RANGE = (KIB, 1024 * KIB)  # SNS MaximumMessageSize: 1 KiB .. 1 MiB
DEFAULT_MAX_MESSAGE_SIZE = 256 * KIB  # AWS's limit of a topic that does not set its own
LARGE_TOPIC_MAX_SUBSCRIPTIONS = 100  # above 256 KiB: at most this many subscriptions
_SIZE = re.compile(r"(\d+)\s*(B|KiB|MiB)?")


@dataclass(frozen=True)
class Topic:
    name: str
    account: str  # logical account name
    region: str
    fifo: bool = False
    content_based_deduplication: bool = False
    publishers: tuple[str, ...] = ()  # other accounts granted sns:Publish
    kms_key: str | None = None  # logical name of the KMS key encrypting the topic (SSE)
    max_message_size: int | None = None  # bytes (MaximumMessageSize); None: AWS's default 256 KiB

    @property
    def message_limit(self) -> int:
        """The largest message (body + attributes) the topic takes, in bytes."""
        return self.max_message_size or DEFAULT_MAX_MESSAGE_SIZE


@dataclass
class TopicDraft(OwnedDraft):
    fifo: bool = False
    cbd: bool = False
    publishers: list[str] = field(default_factory=list)
    max_message_size: int | None = None
    size_node: Node | None = None


class TopicSpec(KindSpec):
    name = "topic"
    group = "topics"
    keys = TOPIC_KEYS
    model = Topic
    example = "orders: {account: A, region: us-east-1}"

    def read(self, d: Drafts, node: Node) -> None:
        for draft, fields in owned_entries(d, node, "topic", self.group, TopicDraft, TOPIC_KEYS):
            draft.fifo, draft.cbd = fifo_fields(fields, "topic")
            if "publishers" in fields:
                draft.publishers = grantees(d, fields["publishers"], draft.account, "topic")
            if "max_message_size" in fields:
                draft.size_node = fields["max_message_size"]
                draft.max_message_size = _message_size(fields["max_message_size"])

    def cross_check(self, d: Drafts) -> None:
        """Above 256 KiB: at most 100 subscriptions (each an SQS queue or a Lambda function, the only
        endpoints the kit subscribes)."""
        for topic in d.topics.values():
            if topic.max_message_size is None or topic.max_message_size <= DEFAULT_MAX_MESSAGE_SIZE or topic.size_node is None:
                continue
            count = sum(1 for s in d.subscriptions if s.topic and s.topic.value == topic.name)
            if count > LARGE_TOPIC_MAX_SUBSCRIPTIONS:
                topic.size_node.problem(
                    f"a topic over 256 KiB may have at most {LARGE_TOPIC_MAX_SUBSCRIPTIONS} subscriptions and {quote(topic.name)} "
                    f"has {count}; remove subscriptions or lower max_message_size to 256KiB"
                )

    def build(self, draft: TopicDraft, d: Drafts) -> Topic:
        return Topic(
            name=draft.name,
            account=need(d, draft.account, f"topics.{draft.name}.account").value,
            region=need(d, draft.region, f"topics.{draft.name}.region").value,
            fifo=draft.fifo,
            content_based_deduplication=draft.cbd,
            publishers=tuple(draft.publishers),
            kms_key=draft.kms_key.value if draft.kms_key else None,
            max_message_size=draft.max_message_size,
        )

    def claims(self, draft: TopicDraft, d: Drafts) -> list[NameClaim]:
        if not draft.valid_name:
            return []
        who = f"topic {quote(draft.name)}"
        return [
            NameClaim(who, topic_module(draft.name), "Terraform module", draft.node),
            NameClaim(who, physical_name("<run-id>", draft.name, draft.fifo), "topic name", draft.node),
        ]

    def key_uses(self, draft: TopicDraft) -> list[tuple[str, str, str]]:
        """Each publisher encrypts and decrypts (SNS asks KMS for a data key as the caller)."""
        return [(a, use, "publisher") for a in draft.publishers for use in ("encrypt", "decrypt")]


def _message_size(node: Node) -> int | None:
    """``max_message_size``: bytes, or a size in KiB / MiB (``512KiB``, ``1MiB``), 1 KiB .. 1 MiB."""
    hint = "write a size from 1KiB to 1MiB, e.g. max_message_size: 1MiB (or 262144 bytes)"
    text = str(node.raw) if node.kind == "scalar" and not node.is_null and node.raw is not None else None
    m = _SIZE.fullmatch(text.strip()) if text is not None else None
    if m is None:
        node.problem(f"expected a message size but found {node.describe()}; {hint}")
        return None
    value = int(m.group(1)) * {None: 1, "B": 1, "KiB": KIB, "MiB": KIB * KIB}[m.group(2)]
    lo, hi = MAX_MESSAGE_SIZE_RANGE
    if not lo <= value <= hi:
        node.problem(f"{quote(text or '')} is {value} bytes, outside SNS's 1 KiB to 1 MiB; {hint}")
        return None
    return value


PART = TopicSpec()
