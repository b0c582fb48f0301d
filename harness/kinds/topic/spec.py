"""``topics:``: SNS topics, where they live, who else may publish, the key that encrypts them."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.topology.drafts import Drafts, OwnedDraft
from harness.topology.kind import KindSpec, NameClaim, need
from harness.topology.names import physical_name, topic_module
from harness.topology.readers import RESOURCE_NAME_RE, fifo_fields, grantees, logical_name, owned, place, section
from harness.topology.sourced_yaml import Node, quote

TOPIC_KEYS = ("account", "region", "fifo", "content_based_deduplication", "publishers", "kms_key")


@dataclass(frozen=True)
class Topic:
    name: str
    account: str  # logical account name
    region: str
    fifo: bool = False
    content_based_deduplication: bool = False
    publishers: tuple[str, ...] = ()  # other accounts granted sns:Publish
    kms_key: str | None = None  # logical name of the KMS key encrypting the topic (SSE)


@dataclass
class TopicDraft(OwnedDraft):
    fifo: bool = False
    cbd: bool = False
    publishers: list[str] = field(default_factory=list)


class TopicSpec(KindSpec):
    name = "topic"
    group = "topics"
    keys = TOPIC_KEYS
    model = Topic
    example = "orders: {account: A, region: us-east-1}"

    def read(self, d: Drafts, node: Node) -> None:
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

    def build(self, draft: TopicDraft, d: Drafts) -> Topic:
        return Topic(
            name=draft.name,
            account=need(d, draft.account, f"topics.{draft.name}.account").value,
            region=need(d, draft.region, f"topics.{draft.name}.region").value,
            fifo=draft.fifo,
            content_based_deduplication=draft.cbd,
            publishers=tuple(draft.publishers),
            kms_key=draft.kms_key.value if draft.kms_key else None,
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


PART = TopicSpec()
