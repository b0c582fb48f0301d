"""What the readers read from a topology file, with where it was read from.

The readers (:mod:`~harness.topology.read_accounts`, and each kind's section reader in
``harness/kinds/<kind>/spec.py``) fill one :class:`Drafts`; the cross-checks (:mod:`~harness.topology.cross_checks`) compare drafts with
each other; :mod:`~harness.topology.build` turns problem-free drafts into the frozen model. A value
a reader rejected stays ``None`` here (its problem is recorded), so later steps skip it quietly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.topology.sourced_yaml import Node, Problems

if TYPE_CHECKING:
    from harness.kinds.bucket.spec import BucketDraft
    from harness.kinds.function.spec import FunctionDraft
    from harness.kinds.key.spec import KeyDraft
    from harness.kinds.queue.spec import QueueDraft
    from harness.kinds.subscription.spec import SubscriptionDraft
    from harness.kinds.topic.spec import TopicDraft


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
    function_boundary: str | None = None


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
    # group -> key -> draft, filled by each kind's reader (harness.topology.kind.KindSpec.read); a
    # named kind is keyed by logical name, a list kind (subscriptions) by position
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def section(self, group: str) -> dict[str, Any]:
        """The drafts of one kind's section (empty until its reader ran)."""
        return self.sections.setdefault(group, {})

    # Typed views of the built-in kinds' sections, for the readers and checks that join them.
    @property
    def topics(self) -> dict[str, TopicDraft]:
        return self.section("topics")

    @property
    def queues(self) -> dict[str, QueueDraft]:
        return self.section("queues")

    @property
    def buckets(self) -> dict[str, BucketDraft]:
        return self.section("buckets")

    @property
    def keys(self) -> dict[str, KeyDraft]:
        return self.section("keys")

    @property
    def functions(self) -> dict[str, FunctionDraft]:
        return self.section("functions")

    @property
    def subscriptions(self) -> list[SubscriptionDraft]:
        return list(self.section("subscriptions").values())
