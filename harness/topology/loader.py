"""Load and validate a topology YAML file into :class:`harness.topology.model.Topology`.

``load_topology(path)`` either returns a fully cross-checked :class:`Topology` or raises
:class:`~harness.errors.InputFileError` carrying *every* problem found, one line each::

    scenarios/x.topology.yaml:14: queues.b-eu.dead_letter.queue: ... ; <what to write instead>

Malformed input of any shape (wrong types, nulls, unknown keys, duplicate keys, YAML syntax errors)
becomes a problem, never a traceback. See ``scenarios/reference.topology.yaml`` for the format.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.errors import InputFileError, Problem
from harness.topology.model import (
    Account,
    AwsAccess,
    Bucket,
    DeadLetter,
    Queue,
    Subscription,
    Topic,
    Topology,
)
from harness.topology.regions import KNOWN_REGIONS, partition_of
from harness.topology.sourced_yaml import Node, join_names, load_yaml, quote, suggest

__all__ = ["load_topology", "validate_topology"]

T = TypeVar("T")

# ---- formats ---------------------------------------------------------------------------------

TOPOLOGY_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")
ACCOUNT_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
ACCOUNT_ID_RE = re.compile(r"\d{12}")
ROLE_ARN_RE = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/.+")
RESOURCE_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # topics and queues (without .fifo)
BUCKET_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,29}")  # the harness prefixes it; <= 63 in all
EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]{2,1224}")
# Suffixes S3 reserves for its own bucket types; the logical name ends the physical bucket name.
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")

VISIBILITY_TIMEOUT_RANGE = (0, 43200)
RETENTION_RANGE = (60, 1209600)
MAX_RECEIVE_COUNT_RANGE = (1, 1000)
FILTER_POLICY_MAX_KEYS = 5
FILTER_POLICY_MAX_COMBINATIONS = 150

TOP_KEYS = ("name", "accounts", "regions", "topics", "queues", "buckets", "subscriptions")
ACCOUNT_KEYS = ("id", "aws")
AWS_KEYS = ("role_arn", "profile", "external_id")
TOPIC_KEYS = ("account", "region", "fifo", "content_based_deduplication", "publishers")
QUEUE_KEYS = (
    "account",
    "region",
    "fifo",
    "content_based_deduplication",
    "visibility_timeout",
    "retention",
    "dead_letter",
    "producers",
)
DEAD_LETTER_KEYS = ("queue", "max_receive_count")
BUCKET_KEYS = ("account", "region", "readers", "readers_may_delete")
SUBSCRIPTION_KEYS = ("topic", "queue", "raw_delivery", "filter_policy", "dead_letter_queue")


def _slug(text: str, limit: int) -> str:
    """A best-effort valid logical name derived from what the user wrote (for 'e.g.' hints)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return slug or "my-name"


def _choices(names: Iterable[str], section: str) -> str:
    """``use one of the queues defined under queues: (a, b)`` or, if there are none, say so."""
    names = list(names)
    if not names:
        return f"no {section} are defined yet; define it under {section}:"
    return f"use one of the {section} defined under {section}: ({join_names(names)})"


def _kind(fifo: bool | None) -> str:
    return "FIFO" if fifo else "standard"


# ---- drafts: what was read, with where it was read from ---------------------------------------


@dataclass
class _Ref:
    """A validated value plus the node it came from (for cross-check problems)."""

    value: str
    node: Node


@dataclass
class _AccountDraft:
    name: str
    node: Node
    id: str | None = None
    id_node: Node | None = None
    role_arn: str | None = None
    role_node: Node | None = None
    role_partition: str | None = None
    profile: str | None = None
    external_id: str | None = None


@dataclass
class _Owned:
    """Common part of topics, queues and buckets."""

    name: str
    node: Node
    account: _Ref | None = None
    region: _Ref | None = None


@dataclass
class _TopicDraft(_Owned):
    fifo: bool = False
    cbd: bool = False
    publishers: list[str] = field(default_factory=list)


@dataclass
class _QueueDraft(_Owned):
    fifo: bool = False
    cbd: bool = False
    visibility_timeout: int = 30
    retention: int = 345600
    dlq: _Ref | None = None
    max_receive_count: int | None = None
    has_dead_letter: bool = False
    producers: list[str] = field(default_factory=list)


@dataclass
class _BucketDraft(_Owned):
    readers: list[str] = field(default_factory=list)
    readers_may_delete: bool = False


@dataclass
class _SubscriptionDraft:
    node: Node
    topic: _Ref | None = None
    queue: _Ref | None = None
    raw_delivery: bool = False
    filter_policy: dict[str, Any] | None = None
    dlq: _Ref | None = None


# ---- the loader ------------------------------------------------------------------------------


class _Validator:
    def __init__(self, root: Node):
        self.root = root
        self.problems = root.problems
        self.name: str | None = None
        self.accounts: dict[str, _AccountDraft] = {}
        self.account_names: list[str] = []  # every key under accounts:, valid or not
        self.regions: list[str] = []
        self.listed_regions: list[str] = []  # every string under regions:, known or not
        self.region_nodes: dict[str, Node] = {}
        self.partition: str | None = None
        self.topics: dict[str, _TopicDraft] = {}
        self.queues: dict[str, _QueueDraft] = {}
        self.buckets: dict[str, _BucketDraft] = {}
        self.subscriptions: list[_SubscriptionDraft] = []

    # ---- entry point --------------------------------------------------------------------

    def run(self) -> Topology:
        top = self.root.mapping(
            allowed=TOP_KEYS,
            required=("name", "accounts", "regions"),
            hint="a topology file is a mapping with name:, accounts:, regions:, topics:, queues:, "
            "buckets: and subscriptions:",
            required_hints={
                "name": "add name: <lowercase name>, e.g. name: reference",
                "accounts": 'add accounts: with at least one account, e.g. accounts: {A: {id: "111111111111"}}',
                "regions": "add regions: with the regions used, e.g. regions: [us-east-1]",
            },
        )
        if top is None:
            self.problems.raise_if_any()
        assert top is not None
        if "name" in top:
            self.name = top["name"].string(
                pattern=TOPOLOGY_NAME_RE,
                what="topology name",
                hint="use 1-32 lowercase letters, digits and hyphens starting with a letter, "
                "e.g. name: reference",
            )
        if "accounts" in top:
            self._accounts(top["accounts"])
        if "regions" in top:
            self._regions(top["regions"])
        self._partitions()
        if "topics" in top:
            self._topics(top["topics"])
        if "queues" in top:
            self._queues(top["queues"])
        if "buckets" in top:
            self._buckets(top["buckets"])
        self._queue_dead_letters()
        if "subscriptions" in top:
            self._subscriptions(top["subscriptions"])
        self.problems.raise_if_any()
        return self._build()

    # ---- accounts -----------------------------------------------------------------------

    def _accounts(self, node: Node) -> None:
        entries = node.mapping(
            hint='write accounts as a mapping of name to account, e.g. accounts: {A: {id: "111111111111"}}'
        )
        if entries is None:
            return
        if not entries:
            node.problem('define at least one account, e.g. accounts: {A: {id: "111111111111"}}')
            return
        self.account_names = list(entries)
        ids: dict[str, str] = {}
        for name, value in entries.items():
            if not ACCOUNT_NAME_RE.fullmatch(name):
                value.problem(
                    f"{quote(name)} is not a valid account name; use 1-32 letters, digits, '_' or '-' "
                    "starting with a letter, e.g. A or Publisher"
                )
            draft = _AccountDraft(name, value)
            self.accounts[name] = draft
            fields = value.mapping(
                allowed=ACCOUNT_KEYS,
                required=("id",),
                hint=f'write the account as a mapping, e.g. {name}: {{id: "123456789012"}}',
                required_hints={"id": 'add id: "<12-digit account id>", e.g. id: "123456789012"'},
            )
            if fields is None:
                continue
            if "id" in fields:
                draft.id = self._account_id(fields["id"])
                draft.id_node = fields["id"]
                if draft.id is not None:
                    if draft.id in ids:
                        fields["id"].problem(
                            f"{quote(draft.id)} is already the id of account {ids[draft.id]}; every "
                            "account needs its own id (one logical account per AWS account)"
                        )
                    else:
                        ids[draft.id] = name
            if "aws" in fields:
                self._aws_access(draft, fields["aws"])

    def _account_id(self, node: Node) -> str | None:
        hint = 'write the id as a quoted 12-digit string, e.g. id: "123456789012"'
        if node.kind == "scalar" and node.tag.endswith(":int"):
            raw = node.raw or ""
            digits = raw.lstrip("+")
            if ACCOUNT_ID_RE.fullmatch(digits):
                node.problem(
                    f"{raw} is written as a number, so YAML would drop any leading zeros; quote it: "
                    f'id: "{digits}"'
                )
            else:
                node.problem(f"{raw} is written as a number and is not a 12-digit AWS account id; {hint}")
            return None
        value = node.string(hint=hint, what="12-digit AWS account id")
        if value is None:
            return None
        if not ACCOUNT_ID_RE.fullmatch(value):
            node.problem(f"{quote(value)} is not a 12-digit AWS account id; {hint}")
            return None
        return value

    def _aws_access(self, draft: _AccountDraft, node: Node) -> None:
        example = (
            f'e.g. aws: {{role_arn: "arn:aws:iam::{draft.id or "123456789012"}:role/e2e-harness"}} '
            "or aws: {profile: my-profile}"
        )
        fields = node.mapping(allowed=AWS_KEYS, hint=f"write how to reach the account on AWS, {example}")
        if fields is None:
            return
        if not fields:
            node.problem(f"is empty; name a role_arn and/or a profile ({example}) or remove aws:")
        if "role_arn" in fields:
            rnode = fields["role_arn"]
            arn = rnode.string(
                what="IAM role ARN",
                hint=f'write a role ARN, e.g. role_arn: "arn:aws:iam::{draft.id or "123456789012"}:role/e2e-harness"',
            )
            if arn is not None:
                m = ROLE_ARN_RE.fullmatch(arn)
                if m is None:
                    rnode.problem(
                        f"{quote(arn)} is not an IAM role ARN; write arn:aws:iam::<12-digit id>:role/<name>, "
                        f"e.g. arn:aws:iam::{draft.id or '123456789012'}:role/e2e-harness"
                    )
                else:
                    draft.role_arn, draft.role_node, draft.role_partition = arn, rnode, m.group(1)
                    if draft.id is not None and m.group(2) != draft.id:
                        rnode.problem(
                            f"the role is in account {m.group(2)} but account {draft.name} has id "
                            f"{draft.id}; use a role in that account, e.g. "
                            f"arn:{m.group(1)}:iam::{draft.id}:role/e2e-harness, or fix the id"
                        )
        if "profile" in fields:
            draft.profile = fields["profile"].string(
                what="AWS profile name", hint="write the name of a profile from ~/.aws/config, e.g. profile: dev"
            )
            if draft.profile is not None and not draft.profile.strip():
                fields["profile"].problem("is blank; write a profile name or remove profile:")
                draft.profile = None
        if "external_id" in fields:
            enode = fields["external_id"]
            ext = enode.string(what="external id", hint='write the external id as a string, e.g. external_id: "e2e-2024"')
            if ext is not None:
                if not EXTERNAL_ID_RE.fullmatch(ext):
                    enode.problem(
                        f"{quote(ext)} is not a valid STS external id; use 2-1224 characters from "
                        "letters, digits and +=,.@:/-"
                    )
                else:
                    draft.external_id = ext
                if "role_arn" not in fields:
                    enode.problem("an external id is only used when assuming a role; add role_arn: or remove external_id:")

    # ---- regions ------------------------------------------------------------------------

    def _regions(self, node: Node) -> None:
        values = node.items(hint="write the regions as a list, e.g. regions: [us-east-1, eu-west-1]")
        if values is None:
            return
        if not values:
            node.problem("is empty; list at least one region, e.g. regions: [us-east-1]")
            return
        seen: dict[str, int] = {}
        for item in values:
            region = item.string(what="AWS region", hint="write a region code, e.g. us-east-1")
            if region is None:
                continue
            if region in seen:
                item.problem(f"{quote(region)} is listed twice (first at line {seen[region]}); remove the repeat")
                continue
            seen[region] = item.line
            self.listed_regions.append(region)
            self.region_nodes[region] = item
            if region not in KNOWN_REGIONS:
                hint = suggest(region, KNOWN_REGIONS)
                if not hint:
                    hint = "; write a region code such as us-east-1, eu-west-1 or ap-southeast-2"
                item.problem(f"{quote(region)} is not a known AWS region{hint}")
                continue
            self.regions.append(region)

    def _partitions(self) -> None:
        """All regions must share one partition; role ARNs must be in that partition."""
        first: str | None = None
        for region in self.regions:
            part = partition_of(region)
            if self.partition is None:
                self.partition, first = part, region
            elif part != self.partition:
                self.region_nodes[region].problem(
                    f"{quote(region)} is in partition {part} but {first} is in {self.partition}; SNS and "
                    "SQS cannot deliver across partitions, so use regions of one partition only",
                )
        if self.partition is None:
            return
        for acct in self.accounts.values():
            if acct.role_partition is not None and acct.role_partition != self.partition and acct.role_node:
                acct.role_node.problem(
                    f"the role is in partition {acct.role_partition} but the regions are in "
                    f"{self.partition}; write arn:{self.partition}:iam::... or change regions:"
                )

    # ---- shared field readers -----------------------------------------------------------

    def _account_ref(self, node: Node, role: str = "account") -> _Ref | None:
        known = join_names(self.account_names)
        value = node.string(
            what="account name", hint=f"write the name of an account defined under accounts:, one of {known}"
        )
        if value is None:
            return None
        if value not in self.account_names:
            node.problem(
                f"unknown {role} {quote(value)}; use one of {known} (the names under accounts:)"
                f"{suggest(value, self.account_names)}"
            )
            return None
        return _Ref(value, node)

    def _region_ref(self, node: Node) -> _Ref | None:
        listed = join_names(self.regions)
        value = node.string(what="AWS region", hint=f"write one of the regions listed under regions: ({listed})")
        if value is None:
            return None
        if value not in self.listed_regions:
            node.problem(
                f"{quote(value)} is not in the top-level regions list; add it to regions: or use one "
                f"of {listed}{suggest(value, self.regions)}"
            )
            return None
        return _Ref(value, node)

    def _grantees(self, node: Node, owner: _Ref | None, role: str) -> list[str]:
        """A list of account names other than the owner (publishers, producers, readers)."""
        known = join_names(self.account_names)
        others = [a for a in self.account_names if owner is None or a != owner.value][:2] or ["B"]
        items = node.string_list(
            what="account name",
            hint=f"write a list of account names, e.g. {node.field.rsplit('.', 1)[-1]}: [{', '.join(others)}]",
        )
        out: list[str] = []
        for value, item in items or []:
            if value not in self.account_names:
                item.problem(
                    f"unknown account {quote(value)}; use one of {known} (the names under accounts:)"
                    f"{suggest(value, self.account_names)}"
                )
                continue
            if owner is not None and value == owner.value:
                item.problem(
                    f"{quote(value)} owns this {role} and already has access; list only other accounts "
                    "(remove it from this list)"
                )
                continue
            out.append(value)
        return out

    def _logical_name(self, name: str, value: Node, kind: str, regex: re.Pattern[str], limit: int) -> bool:
        if name.endswith(".fifo") and kind in ("topic", "queue"):
            base = name[: -len(".fifo")]
            value.problem(
                f"do not write .fifo in the logical {kind} name (the harness adds it); "
                f"name it {quote(base)} and set fifo: true"
            )
            return False
        if not regex.fullmatch(name):
            value.problem(
                f"{quote(name)} is not a valid {kind} name; use 1-{limit} lowercase letters, digits and "
                f"hyphens starting with a letter or digit, e.g. {_slug(name, limit)}"
            )
            return False
        return True

    def _owned(self, name: str, value: Node, kind: str, allowed: tuple[str, ...]) -> dict[str, Node] | None:
        fields = value.mapping(
            allowed=allowed,
            required=("account", "region"),
            hint=f"write the {kind} as a mapping, e.g. {name}: {{account: "
            f"{self.account_names[0] if self.account_names else 'A'}, region: "
            f"{self.regions[0] if self.regions else 'us-east-1'}}}",
            required_hints={
                "account": f"add account: <one of {join_names(self.account_names)}>",
                "region": f"add region: <one of {join_names(self.regions)}>",
            },
        )
        return fields

    def _place(self, draft: _TopicDraft | _QueueDraft | _BucketDraft, fields: dict[str, Node]) -> None:
        """The owning account and the region of a topic, queue or bucket."""
        if "account" in fields:
            draft.account = self._account_ref(fields["account"])
        if "region" in fields:
            draft.region = self._region_ref(fields["region"])

    def _section(self, node: Node, kind: str) -> dict[str, Node]:
        if node.is_null:
            return {}
        entries = node.mapping(
            hint=f"write {kind}s as a mapping of logical name to {kind}, e.g. {kind}s: "
            f"{{my-{kind}: {{account: A, region: us-east-1}}}}"
        )
        return entries or {}

    def _fifo_fields(self, fields: dict[str, Node], kind: str) -> tuple[bool, bool]:
        fifo: bool | None = False
        if "fifo" in fields:
            fifo = fields["fifo"].boolean(hint=f"write fifo: true for a FIFO {kind}, or leave it out")
        cbd = False
        if "content_based_deduplication" in fields:
            cnode = fields["content_based_deduplication"]
            value = cnode.boolean(hint="write content_based_deduplication: true or false")
            if fifo:
                cbd = bool(value)
            elif fifo is not None:  # fifo absent or false (an invalid fifo is reported already)
                cnode.problem(
                    f"only FIFO {kind}s have content-based deduplication; set fifo: true on this "
                    f"{kind} or remove content_based_deduplication"
                )
        return bool(fifo), cbd

    # ---- topics, queues, buckets --------------------------------------------------------

    def _topics(self, node: Node) -> None:
        for name, value in self._section(node, "topic").items():
            self._logical_name(name, value, "topic", RESOURCE_NAME_RE, 40)
            draft = _TopicDraft(name, value)
            self.topics[name] = draft
            fields = self._owned(name, value, "topic", TOPIC_KEYS)
            if fields is None:
                continue
            self._place(draft, fields)
            draft.fifo, draft.cbd = self._fifo_fields(fields, "topic")
            if "publishers" in fields:
                draft.publishers = self._grantees(fields["publishers"], draft.account, "topic")

    def _queues(self, node: Node) -> None:
        for name, value in self._section(node, "queue").items():
            self._logical_name(name, value, "queue", RESOURCE_NAME_RE, 40)
            draft = _QueueDraft(name, value)
            self.queues[name] = draft
            fields = self._owned(name, value, "queue", QUEUE_KEYS)
            if fields is None:
                continue
            self._place(draft, fields)
            draft.fifo, draft.cbd = self._fifo_fields(fields, "queue")
            if "visibility_timeout" in fields:
                lo, hi = VISIBILITY_TIMEOUT_RANGE
                v = fields["visibility_timeout"].integer(lo, hi, hint="e.g. visibility_timeout: 30 (seconds)")
                draft.visibility_timeout = v if v is not None else draft.visibility_timeout
            if "retention" in fields:
                lo, hi = RETENTION_RANGE
                v = fields["retention"].integer(lo, hi, hint="e.g. retention: 345600 (seconds; 60 s to 14 days)")
                draft.retention = v if v is not None else draft.retention
            if "dead_letter" in fields:
                self._dead_letter(draft, fields["dead_letter"])
            if "producers" in fields:
                draft.producers = self._grantees(fields["producers"], draft.account, "queue")

    def _dead_letter(self, draft: _QueueDraft, node: Node) -> None:
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
                draft.dlq = _Ref(value, fields["queue"])
        if "max_receive_count" in fields:
            lo, hi = MAX_RECEIVE_COUNT_RANGE
            draft.max_receive_count = fields["max_receive_count"].integer(
                lo, hi, hint="e.g. max_receive_count: 3 (receives before a message moves to the DLQ)"
            )

    def _buckets(self, node: Node) -> None:
        for name, value in self._section(node, "bucket").items():
            if self._logical_name(name, value, "bucket", BUCKET_NAME_RE, 30):
                if name.endswith("-"):
                    value.problem(
                        f"{quote(name)} ends with '-', which S3 bucket names may not; write {name.rstrip('-')}"
                    )
                for suffix in BUCKET_RESERVED_SUFFIXES:
                    if name.endswith(suffix):
                        value.problem(f"S3 reserves the suffix {suffix}; choose a name not ending in it")
            draft = _BucketDraft(name, value)
            self.buckets[name] = draft
            fields = self._owned(name, value, "bucket", BUCKET_KEYS)
            if fields is None:
                continue
            self._place(draft, fields)
            if "readers" in fields:
                draft.readers = self._grantees(fields["readers"], draft.account, "bucket")
            if "readers_may_delete" in fields:
                v = fields["readers_may_delete"].boolean(hint="write readers_may_delete: true or false")
                draft.readers_may_delete = bool(v)

    # ---- queue dead-letter cross-checks -------------------------------------------------

    def _known_queue(self, ref: _Ref, what: str) -> _QueueDraft | None:
        target = self.queues.get(ref.value)
        if target is None:
            ref.node.problem(
                f"unknown {what} {quote(ref.value)}; {_choices(self.queues, 'queues')}"
                f"{suggest(ref.value, self.queues)}"
            )
        return target

    def _queue_dead_letters(self) -> None:
        for q in self.queues.values():
            if q.dlq is None:
                continue
            ref = q.dlq
            if ref.value == q.name:
                ref.node.problem(f"a queue cannot be its own dead-letter queue; name another queue than {quote(q.name)}")
                continue
            dlq = self._known_queue(ref, "queue")
            if dlq is None:
                continue
            if q.account and dlq.account and q.account.value != dlq.account.value:
                ref.node.problem(
                    f"dead-letter queue {quote(dlq.name)} is in account {dlq.account.value} but this queue "
                    f"is in {q.account.value}; SQS needs the DLQ in the same account, so use a queue "
                    f"owned by {q.account.value}"
                )
            if q.region and dlq.region and q.region.value != dlq.region.value:
                ref.node.problem(
                    f"dead-letter queue {quote(dlq.name)} is in {dlq.region.value} but this queue is in "
                    f"{q.region.value}; SQS needs the DLQ in the same region, so use a queue in "
                    f"{q.region.value}"
                )
            if q.fifo != dlq.fifo:
                ref.node.problem(
                    f"dead-letter queue {quote(dlq.name)} is a {_kind(dlq.fifo)} queue but this queue is "
                    f"{_kind(q.fifo)}; the DLQ of a {_kind(q.fifo)} queue must be {_kind(q.fifo)} too, so "
                    f"{'set' if q.fifo else 'remove'} fifo: true on {quote(dlq.name)} or pick another queue"
                )

    # ---- subscriptions ------------------------------------------------------------------

    def _subscriptions(self, node: Node) -> None:
        if node.is_null:
            return
        items = node.items(hint="write subscriptions as a list, e.g. subscriptions: [{topic: orders, queue: b-eu}]")
        if items is None:
            return
        seen: dict[tuple[str, str], Node] = {}
        for item in items:
            sub = _SubscriptionDraft(item)
            fields = item.mapping(
                allowed=SUBSCRIPTION_KEYS,
                required=("topic", "queue"),
                hint="write each subscription as a mapping, e.g. - {topic: orders, queue: b-eu}",
                required_hints={
                    "topic": f"add topic: <one of {join_names(self.topics)}>"
                    if self.topics
                    else "add topic: <name> and define that topic under topics:",
                    "queue": f"add queue: <one of {join_names(self.queues)}>"
                    if self.queues
                    else "add queue: <name> and define that queue under queues:",
                },
            )
            if fields is None:
                continue
            self.subscriptions.append(sub)
            if "topic" in fields:
                tnode = fields["topic"]
                value = tnode.string(what="topic name", hint=f"write one of the topics: {join_names(self.topics)}")
                if value is not None:
                    if value in self.topics:
                        sub.topic = _Ref(value, tnode)
                    else:
                        tnode.problem(
                            f"unknown topic {quote(value)}; {_choices(self.topics, 'topics')}"
                            f"{suggest(value, self.topics)}"
                        )
            if "queue" in fields:
                qnode = fields["queue"]
                value = qnode.string(what="queue name", hint=f"write one of the queues: {join_names(self.queues)}")
                if value is not None:
                    ref = _Ref(value, qnode)
                    if self._known_queue(ref, "queue") is not None:
                        sub.queue = ref
            if "raw_delivery" in fields:
                sub.raw_delivery = bool(fields["raw_delivery"].boolean(hint="write raw_delivery: true or false"))
            if "filter_policy" in fields:
                sub.filter_policy = self._filter_policy(fields["filter_policy"])
            if "dead_letter_queue" in fields:
                dnode = fields["dead_letter_queue"]
                value = dnode.string(what="queue name", hint="write the logical name of a queue")
                if value is not None:
                    ref = _Ref(value, dnode)
                    if self._known_queue(ref, "queue") is not None:
                        sub.dlq = ref
            if sub.topic and sub.queue:
                pair = (sub.topic.value, sub.queue.value)
                if pair in seen:
                    first = seen[pair]
                    item.problem(
                        f"{pair[0]} -> {pair[1]} is already subscribed at {first.field} (line {first.line}); "
                        "remove one of the two (one subscription per topic and queue)"
                    )
                else:
                    seen[pair] = item
            self._subscription_checks(sub)

    def _subscription_checks(self, sub: _SubscriptionDraft) -> None:
        topic = self.topics[sub.topic.value] if sub.topic else None
        queue = self.queues[sub.queue.value] if sub.queue else None
        if topic is not None and queue is not None and sub.queue is not None:
            if topic.fifo and not queue.fifo:
                sub.queue.node.problem(
                    f"topic {quote(topic.name)} is FIFO but queue {quote(queue.name)} is standard; a FIFO "
                    "topic delivers only to FIFO queues, so set fifo: true on the queue or use a standard topic"
                )
            elif queue.fifo and not topic.fifo:
                sub.queue.node.problem(
                    f"topic {quote(topic.name)} is standard but queue {quote(queue.name)} is FIFO; a standard "
                    "topic cannot deliver to a FIFO queue, so subscribe the queue to a FIFO topic or remove "
                    "fifo: true from the queue"
                )
        if sub.dlq is None:
            return
        dlq = self.queues[sub.dlq.value]
        node = sub.dlq.node
        if queue is not None and dlq.name == queue.name:
            node.problem(
                f"the subscription's dead-letter queue cannot be the subscribed queue {quote(queue.name)}; "
                "name a separate queue"
            )
            return
        if queue is not None and queue.account and dlq.account and dlq.account.value != queue.account.value:
            node.problem(
                f"dead-letter queue {quote(dlq.name)} is in account {dlq.account.value} but a subscription "
                f"DLQ must be in the subscribing queue's account ({queue.account.value}); use a queue owned "
                f"by {queue.account.value}"
            )
        if topic is not None and topic.region and dlq.region and dlq.region.value != topic.region.value:
            node.problem(
                f"dead-letter queue {quote(dlq.name)} is in {dlq.region.value} but a subscription DLQ must "
                f"be in the topic's region ({topic.region.value}); use a queue in {topic.region.value}"
            )
        if topic is not None and topic.fifo != dlq.fifo:
            node.problem(
                f"dead-letter queue {quote(dlq.name)} is {_kind(dlq.fifo)} but topic {quote(topic.name)} is "
                f"{_kind(topic.fifo)}; a subscription DLQ must match the topic, so use a "
                f"{_kind(topic.fifo)} queue"
            )

    def _filter_policy(self, node: Node) -> dict[str, Any] | None:
        fields = node.mapping(
            hint="write the filter policy as a mapping of attribute to a list of values, "
            "e.g. filter_policy: {kind: [invoice]}"
        )
        if fields is None:
            return None
        ok = True
        if not fields:
            node.problem("is empty; add at least one attribute, e.g. filter_policy: {kind: [invoice]}, or remove it")
            ok = False
        if len(fields) > FILTER_POLICY_MAX_KEYS:
            node.problem(
                f"has {len(fields)} attributes but SNS allows at most {FILTER_POLICY_MAX_KEYS}; "
                "remove some or split the subscription"
            )
            ok = False
        combinations = 1
        for key, value in fields.items():
            if not value.kind == "list":
                example = value.raw if value.kind == "scalar" and value.raw else "value"
                value.problem(
                    f"expected a list of values but found {value.describe()}; write {key}: [{example}]"
                )
                ok = False
                continue
            entries = value.items() or []
            if not entries:
                value.problem(f"is an empty list; SNS needs at least one value, e.g. {key}: [value]")
                ok = False
                continue
            for entry in entries:
                if entry.kind == "list":
                    entry.problem(
                        f"a filter value cannot be a list; write scalar values or operators, e.g. "
                        f"{key}: [a, b] or {key}: [{{prefix: a}}]"
                    )
                    ok = False
            combinations *= len(entries)
        if combinations > FILTER_POLICY_MAX_COMBINATIONS:
            node.problem(
                f"has {combinations} value combinations but SNS allows at most "
                f"{FILTER_POLICY_MAX_COMBINATIONS}; use fewer values"
            )
            ok = False
        policy = node.to_python()
        return policy if ok and isinstance(policy, dict) else None

    # ---- result -------------------------------------------------------------------------

    def _build(self) -> Topology:
        def need(value: T | None, what: str) -> T:
            if value is None:  # pragma: no cover - every None here has a recorded problem
                raise InputFileError(
                    [Problem(self.problems.file, 1, "(document)", f"internal: {what} missing after validation")]
                )
            return value

        accounts = {
            a.name: Account(
                name=a.name,
                id=need(a.id, f"accounts.{a.name}.id"),
                aws=AwsAccess(role_arn=a.role_arn, profile=a.profile, external_id=a.external_id),
            )
            for a in self.accounts.values()
        }
        topics = {
            t.name: Topic(
                name=t.name,
                account=need(t.account, f"topics.{t.name}.account").value,
                region=need(t.region, f"topics.{t.name}.region").value,
                fifo=t.fifo,
                content_based_deduplication=t.cbd,
                publishers=tuple(t.publishers),
            )
            for t in self.topics.values()
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
            )
            for q in self.queues.values()
        }
        buckets = {
            b.name: Bucket(
                name=b.name,
                account=need(b.account, f"buckets.{b.name}.account").value,
                region=need(b.region, f"buckets.{b.name}.region").value,
                readers=tuple(b.readers),
                readers_may_delete=b.readers_may_delete,
            )
            for b in self.buckets.values()
        }
        subscriptions = tuple(
            Subscription(
                topic=need(s.topic, f"{s.node.field}.topic").value,
                queue=need(s.queue, f"{s.node.field}.queue").value,
                raw_delivery=s.raw_delivery,
                filter_policy=s.filter_policy,
                dead_letter_queue=s.dlq.value if s.dlq else None,
            )
            for s in self.subscriptions
        )
        return Topology(
            name=need(self.name, "name"),
            source=self.problems.file,
            accounts=accounts,
            regions=tuple(self.regions),
            topics=topics,
            queues=queues,
            buckets=buckets,
            subscriptions=subscriptions,
        )


def validate_topology(root: Node) -> Topology:
    """Validate an already-composed document (from :func:`harness.topology.sourced_yaml.parse_yaml`)."""
    return _Validator(root).run()


def load_topology(path: str | os.PathLike[str]) -> Topology:
    """Read, validate and cross-check the topology file at ``path``.

    Raises :class:`InputFileError` listing every problem (``file:line: field: message``), sorted by
    line, where ``file`` is ``str(path)``.
    """
    return validate_topology(load_yaml(path))
