"""The validated topology: what a topology YAML file becomes after :mod:`harness.topology.loader`.

Plain frozen dataclasses. The accounts and regions are the topology's own; every resource lives in
:attr:`Topology.resources`, group → key → the entry its kind builds (``harness/kinds/<kind>/spec.py``),
so every consumer can iterate the registered kinds; the built-in kinds also have typed views
(:attr:`Topology.topics`, ...). Nothing here knows about Terraform, LocalStack or AWS.

A topology is also a *snapshot*: :meth:`Topology.snapshot` is its canonical JSON (the run record
keeps it, so what was applied is judged later, whatever happened to the file since) and
:meth:`Topology.from_snapshot` reads it back through each kind's model class.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, cast

import dacite

from harness.errors import HarnessError, Problem

if TYPE_CHECKING:
    from harness.kinds.bucket.spec import Bucket
    from harness.kinds.function.spec import Function
    from harness.kinds.key.spec import Key
    from harness.kinds.queue.spec import Queue
    from harness.kinds.subscription.spec import Subscription
    from harness.kinds.topic.spec import Topic

SNAPSHOT_SCHEMA = "harness-topology/1"
_DACITE = dacite.Config(cast=[tuple], strict=True)


@dataclass(frozen=True)
class AwsAccess:
    """How to reach an account on real AWS: a role to assume, a named profile, or both
    (the profile's credentials assume the role), and the permissions boundary every execution role
    the kit creates there carries (``function_boundary``, a managed policy of the account: the
    bootstrap's roles may create roles only with it). Ignored on LocalStack."""

    role_arn: str | None = None
    profile: str | None = None
    external_id: str | None = None
    function_boundary: str | None = None


@dataclass(frozen=True)
class Account:
    name: str
    id: str  # 12 digits
    aws: AwsAccess = field(default_factory=AwsAccess)


@dataclass(frozen=True)
class Topology:
    name: str
    source: str  # the file it came from
    accounts: dict[str, Account]
    regions: tuple[str, ...]
    resources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # group -> key -> entry
    # Harmless redundancy its file holds (the owner among a topic's publishers, ...): not part of the model.
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

    def of(self, group: str) -> Mapping[str, Any]:
        """The entries of one kind (by its group, e.g. ``"queues"``); empty when it has none."""
        return self.resources.get(group, {})

    # Each group holds the model its registered kind builds (KindSpec.model): the casts below say
    # which, for the built-in kinds the later stages read by name.
    @property
    def topics(self) -> Mapping[str, Topic]:
        return cast("Mapping[str, Topic]", self.of("topics"))

    @property
    def queues(self) -> Mapping[str, Queue]:
        return cast("Mapping[str, Queue]", self.of("queues"))

    @property
    def buckets(self) -> Mapping[str, Bucket]:
        return cast("Mapping[str, Bucket]", self.of("buckets"))

    @property
    def keys(self) -> Mapping[str, Key]:
        return cast("Mapping[str, Key]", self.of("keys"))

    @property
    def functions(self) -> Mapping[str, Function]:
        return cast("Mapping[str, Function]", self.of("functions"))

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """Every subscription: to a queue (``queue``) or to a function (``function``)."""
        return tuple(cast("Mapping[str, Subscription]", self.of("subscriptions")).values())

    @property
    def queue_subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(s for s in self.subscriptions if not s.function)

    @property
    def function_subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(s for s in self.subscriptions if s.function)

    def account_id(self, account_name: str) -> str:
        return self.accounts[account_name].id

    def topics_feeding(self, queue: str) -> list[str]:
        """Topics that deliver into ``queue``: as a subscription endpoint or as a subscription DLQ."""
        names = [s.topic for s in self.subscriptions if s.queue == queue]
        names += [s.topic for s in self.subscriptions if s.dead_letter_queue == queue]
        return sorted(set(names))

    def subscriber_accounts(self, topic: str) -> list[str]:
        """Accounts other than the topic's owner whose queues subscribe to ``topic``."""
        owner = self.topics[topic].account
        accounts = {self.queues[s.queue].account for s in self.queue_subscriptions if s.topic == topic}
        return sorted(accounts - {owner})

    def function_subscriber_accounts(self, topic: str) -> list[str]:
        """Accounts other than the topic's owner whose functions subscribe to ``topic`` (protocol lambda)."""
        owner = self.topics[topic].account
        accounts = {self.functions[str(s.function)].account for s in self.function_subscriptions if s.topic == topic}
        return sorted(accounts - {owner})

    def topics_invoking(self, function: str) -> list[str]:
        """Topics subscribed to ``function`` (SNS invokes it: its resource policy must admit them)."""
        return sorted({s.topic for s in self.function_subscriptions if s.function == function})

    def functions_failing_to(self, queue: str) -> list[str]:
        """Functions whose on-failure destination is ``queue`` (Lambda sends there as their roles)."""
        return sorted(name for name, f in self.functions.items() if f.on_failure == queue)

    def endpoint_account(self, sub: Subscription) -> str:
        """The account of a subscription's endpoint (its queue's or its function's)."""
        return self.functions[sub.function].account if sub.function else self.queues[sub.queue].account

    # -- snapshot ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The canonical, JSON-ready form of the validated topology (without ``source``: the same
        topology read from another path is the same topology)."""
        return {
            "schema": SNAPSHOT_SCHEMA,
            "name": self.name,
            "accounts": {n: asdict(a) for n, a in sorted(self.accounts.items())},
            "regions": list(self.regions),
            "resources": {g: {k: asdict(e) for k, e in entries.items()} for g, entries in self.resources.items()},
        }

    def sha256(self) -> str:
        """sha256 of the canonical JSON of :meth:`snapshot`: equal for equal topologies."""
        return hashlib.sha256(canonical_json(self.snapshot()).encode()).hexdigest()

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], source: str) -> Topology:
        """The topology a :meth:`snapshot` describes (each group read by its registered kind)."""
        from harness.topology.kind import spec_of  # the registry's topology parts import this module

        if data.get("schema") != SNAPSHOT_SCHEMA:
            raise HarnessError(f"{source}: not a topology snapshot of schema {SNAPSHOT_SCHEMA} (found {data.get('schema')!r})")
        try:
            accounts = {n: dacite.from_dict(Account, a, _DACITE) for n, a in data["accounts"].items()}
            resources: dict[str, dict[str, Any]] = {
                group: {key: dacite.from_dict(spec_of(group).model, e, _DACITE) for key, e in entries.items()}
                for group, entries in data["resources"].items()
            }
        except (KeyError, ValueError, dacite.DaciteError) as exc:
            raise HarnessError(f"{source}: the topology snapshot cannot be read ({type(exc).__name__}: {exc})") from exc
        return cls(data["name"], source, accounts, tuple(data["regions"]), resources)


def canonical_json(data: Any) -> str:
    """One spelling of a JSON document: sorted keys, no whitespace, UTF-8 as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
