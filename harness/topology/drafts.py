"""What the readers read from a topology file, with where it was read from.

The readers (:mod:`~harness.topology.read_accounts`, :mod:`~harness.topology.read_resources`) fill
one :class:`Drafts`; the cross-checks (:mod:`~harness.topology.cross_checks`) compare drafts with
each other; :mod:`~harness.topology.build` turns problem-free drafts into the frozen model. A value
a reader rejected stays ``None`` here (its problem is recorded), so later steps skip it quietly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.topology.sourced_yaml import Node, Problems


@dataclass
class Ref:
    """A validated value plus the node it came from (for cross-check problems)."""

    value: str
    node: Node


@dataclass
class AccountDraft:
    name: str
    node: Node
    valid_name: bool = True
    id: str | None = None
    id_node: Node | None = None
    role_arn: str | None = None
    role_node: Node | None = None
    role_partition: str | None = None
    profile: str | None = None
    external_id: str | None = None


@dataclass
class OwnedDraft:
    """Common part of topics, queues and buckets."""

    name: str
    node: Node
    valid_name: bool = True
    account: Ref | None = None
    region: Ref | None = None
    kms_key: Ref | None = None  # topics, queues and buckets: the key that encrypts it


@dataclass
class TopicDraft(OwnedDraft):
    fifo: bool = False
    cbd: bool = False
    publishers: list[str] = field(default_factory=list)


@dataclass
class QueueDraft(OwnedDraft):
    fifo: bool = False
    cbd: bool = False
    visibility_timeout: int = 30
    retention: int = 345600
    dlq: Ref | None = None
    max_receive_count: int | None = None
    has_dead_letter: bool = False
    producers: list[str] = field(default_factory=list)


@dataclass
class BucketDraft(OwnedDraft):
    readers: list[str] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    readers_may_delete: bool = False


@dataclass
class KeyDraft(OwnedDraft):
    encrypt: list[str] = field(default_factory=list)
    decrypt: list[str] = field(default_factory=list)


@dataclass
class SubscriptionDraft:
    node: Node
    topic: Ref | None = None
    queue: Ref | None = None
    raw_delivery: bool = False
    filter_policy: dict[str, Any] | None = None
    dlq: Ref | None = None
    filter_policy_scope: str = "MessageAttributes"


@dataclass
class Drafts:
    """Everything read from one topology file so far."""

    problems: Problems
    name: str | None = None
    accounts: dict[str, AccountDraft] = field(default_factory=dict)
    account_names: list[str] = field(default_factory=list)  # every key under accounts:, valid or not
    # False when accounts: is missing or not a non-empty mapping. That is reported once; references
    # to accounts are then not checked, so the file does not get one follow-on error per reference.
    accounts_known: bool = False
    regions: list[str] = field(default_factory=list)  # known regions, in file order
    listed_regions: list[str] = field(default_factory=list)  # every string under regions:, known or not
    region_nodes: dict[str, Node] = field(default_factory=dict)
    regions_known: bool = False  # as accounts_known, for regions:
    partition: str | None = None
    topics: dict[str, TopicDraft] = field(default_factory=dict)
    queues: dict[str, QueueDraft] = field(default_factory=dict)
    buckets: dict[str, BucketDraft] = field(default_factory=dict)
    keys: dict[str, KeyDraft] = field(default_factory=dict)
    subscriptions: list[SubscriptionDraft] = field(default_factory=list)
