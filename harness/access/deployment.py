"""Logical names → where things are (ARN, account, region, URL), and hops built from logical names.

A :class:`Deployment` is the plain data the access checks need about one deployment: built from a
run manifest (:meth:`Deployment.from_manifest`, for verdicts on an applied run) or from a topology
alone (:meth:`Deployment.from_topology`, logical names standing in for physical ones, for the
static check). It then builds a scenario path's hops (:meth:`Deployment.path_hops`), one
``expect_denied`` hop (:meth:`Deployment.denial_hop`) and the list of resources whose policies
:mod:`harness.access.readback` must read (:meth:`Deployment.applied`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.access.kind import Placed, access_kinds
from harness.access.paths import (
    BucketRef,
    Consumer,
    FunctionRef,
    Hop,
    HopKind,
    KeyRef,
    Named,
    account_invoke_hop,
    account_key_hop,
    deliver_hop,
    hop_requests,
    invoke_hop,
    payload_hop,
    publish_hop,
    send_hop,
    sns_key_hop,
)
from harness.access.paths import subscribe_hop as _subscribe_hop
from harness.access.policy import AccessError
from harness.access.readback import AppliedResource
from harness.topology.model import Topology

if TYPE_CHECKING:
    from harness.provision.manifest import Manifest

_ACCOUNT_ID = re.compile(r"^\d{12}$")

# expect_denied actions → the hop they stand for
DENIAL_ACTIONS = ("publish", "send", "subscribe", "deliver", "put_payloads", "read_payloads", "delete_payloads", "invoke")


@dataclass(frozen=True)
class Deployment:
    accounts: Mapping[str, str]  # account name → 12-digit id
    resources: Mapping[str, Mapping[str, Placed]]  # group → logical name → where it is

    @property
    def topics(self) -> Mapping[str, Placed]:
        return self.resources.get("topics", {})

    @property
    def queues(self) -> Mapping[str, Placed]:
        return self.resources.get("queues", {})

    @property
    def buckets(self) -> Mapping[str, Placed]:
        return self.resources.get("buckets", {})

    @property
    def keys(self) -> Mapping[str, Placed]:
        return self.resources.get("keys", {})

    @property
    def functions(self) -> Mapping[str, Placed]:
        return self.resources.get("functions", {})

    def replaced(self, group: str, entries: Mapping[str, Placed]) -> Deployment:
        """This deployment with ``group``'s entries replaced (tests: other URLs, other ARNs)."""
        return Deployment(self.accounts, {**self.resources, group: entries})

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_manifest(cls, manifest: Manifest) -> Deployment:
        """From a run record: its ``accounts`` (name → id) and every placed kind's applied entries."""
        resources = {
            k.group: {n: k.place_applied(n, e) for n, e in manifest.resources.get(k.group, {}).items()}
            for k in access_kinds()
            if k.policy_name is not None
        }
        return cls(dict(manifest.accounts), resources)

    @classmethod
    def from_topology(cls, topology: Topology) -> Deployment:
        """Logical names as physical ones (who may do what does not depend on the names)."""
        resources: dict[str, dict[str, Placed]] = {}
        for k in access_kinds():
            placed = {n: k.place(topology, n, spec) for n, spec in topology.of(k.group).items()}
            resources[k.group] = {n: p for n, p in placed.items() if p is not None}
        return cls({a.name: a.id for a in topology.accounts.values()}, {g: e for g, e in resources.items() if e})

    # -- lookups ---------------------------------------------------------------------------------
    def account_id(self, account: str) -> str:
        """An account name of the deployment, or a 12-digit id (an account outside it)."""
        if _ACCOUNT_ID.match(account):
            return account
        try:
            return self.accounts[account]
        except KeyError:
            known = ", ".join(sorted(self.accounts)) or "none"
            raise AccessError(f"unknown account {account!r} (known: {known}); name an account outside the topology by its 12-digit id") from None

    def _get(self, kind: str, table: Mapping[str, Placed], name: str) -> Placed:
        try:
            return table[name]
        except KeyError:
            raise AccessError(f"unknown {kind} {name!r} (known: {', '.join(sorted(table)) or 'none'})") from None

    def topic(self, name: str) -> Named:
        p = self._get("topic", self.topics, name)
        return Named(name, p.arn)

    def queue(self, name: str) -> Named:
        p = self._get("queue", self.queues, name)
        return Named(name, p.arn)

    def function(self, name: str) -> FunctionRef:
        p = self._get("function", self.functions, name)
        return FunctionRef(name, p.arn, p.principal)

    def bucket(self, name: str) -> BucketRef:
        p = self._get("bucket", self.buckets, name)
        return BucketRef(name, p.arn, p.account_id)

    def key_of(self, placed: Placed) -> KeyRef | None:
        """The key that encrypts a topic, queue or bucket (None when it has none)."""
        if not placed.kms_key:
            return None
        return KeyRef(placed.kms_key, self._get("key", self.keys, placed.kms_key).arn)

    def applied(self) -> list[AppliedResource]:
        """Every entry of a kind with a policy, for :func:`harness.access.readback.read_applied`."""
        return [
            AppliedResource(k.kind, p.arn, url=p.url or None, account=p.account_id, region=p.region)
            for k in access_kinds()
            if k.policy_name is not None
            for p in self.resources.get(k.group, {}).values()
        ]

    # -- hops ------------------------------------------------------------------------------------
    def path_hops(
        self,
        sender: str,
        *,
        topic: str | None = None,
        queue: str | None = None,
        receivers: Iterable[str] = (),
        deleting: Iterable[str] = (),
        bucket: str | None = None,
        secure_transport: bool = True,
        invoked: Iterable[str] = (),
        polling: Iterable[tuple[str, str]] = (),
        failing: Mapping[str, str] | None = None,
    ) -> list[Hop]:
        """The hops of one scenario path, from logical names: ``sender`` (account), ``topic`` or
        ``queue``, the queues expected to receive (``receivers``; their accounts read payloads),
        the functions SNS invokes (``invoked``) and those polling a queue the path reaches
        (``polling``: (function, queue); their roles read payloads), those whose consumers delete
        payloads (``deleting``: queues and functions), and the payload ``bucket`` when the path
        offloads. ``failing``: function → its on-failure destination queue; an invoked function's
        role sends the records of its failed invocations there."""
        receivers, invoked, polling = list(receivers), list(invoked), list(polling)
        failing_to = [(f, q) for f in invoked if (q := (failing or {}).get(f))] if topic else []
        deleting = set(deleting)
        consumers = [Consumer(q, self._get("queue", self.queues, q).account_id, q in deleting) for q in receivers]
        functions = [self.function(f) for f in dict.fromkeys([*invoked, *(f for f, _ in polling)])]
        consumers += [Consumer(f.name, f.role_arn, f.name in deleting, f.caller) for f in functions]
        fed = [q for _, q in polling if q not in receivers]  # a polled queue SNS delivers to is part of the path
        hops = hop_requests(
            self.account_id(sender),
            topic=self.topic(topic) if topic else None,
            queue=self.queue(queue) if queue else None,
            subscribed=[self.queue(q) for q in [*receivers, *fed]] if topic else (),
            bucket=self.bucket(bucket) if bucket else None,
            consumers=consumers if bucket else (),
            secure_transport=secure_transport,
            invoked=[self.function(f) for f in invoked] if topic else (),
            polled=[(self.function(f), self.queue(q)) for f, q in polling],
            failing_to=[(self.function(f), self.queue(q)) for f, q in failing_to],
        )
        hops += self._failure_key_hops(failing_to, secure_transport)
        keyed = consumers + [Consumer(q, self._get("queue", self.queues, q).account_id) for q in fed]
        return hops + self._key_hops(self.account_id(sender), topic, queue, keyed, bucket, secure_transport, dict(polling))

    def _key_hops(
        self, sender: str, topic: str | None, queue: str | None, consumers: list[Consumer], bucket: str | None, tls: bool,
        polling: dict[str, str],
    ) -> list[Hop]:
        """What the path asks of KMS, as AWS decides it: the sender encrypts for an encrypted topic
        or queue (GenerateDataKey, and Decrypt, which AWS requires of producers too); SNS encrypts
        into each encrypted queue it delivers to; each consumer decrypts what it receives (a
        function what its queue holds, as its role; a function SNS invokes reads no queue); the
        sender encrypts an offloaded payload with the bucket's key and each consumer decrypts it."""
        E, D = HopKind.ENCRYPT, HopKind.DECRYPT
        hops: list[Hop] = []
        start = self._get("topic", self.topics, topic) if topic else self._get("queue", self.queues, queue or "")
        first = self.key_of(start)
        if first is not None:
            what = f"topic {start.name}" if topic else f"queue {start.name}"
            hops += [account_key_hop(E, start.name, sender, first, what, tls), account_key_hop(D, start.name, sender, first, what, tls)]
        for c in consumers:
            read = polling.get(c.name, c.name) if c.caller else c.name  # a function reads the queue it polls
            if read not in self.queues:
                continue  # a function SNS invokes: no queue of its own
            key = self.key_of(self._get("queue", self.queues, read))
            if key is None:
                continue
            if topic and not c.caller:
                hops.append(sns_key_hop(self.topic(topic), self.queue(read), key))
            hops.append(account_key_hop(D, c.name, c.account, key, f"queue {read}", tls, c.caller))
        payload_key = self.key_of(self._get("bucket", self.buckets, bucket)) if bucket else None
        if payload_key is not None:
            what = f"payloads of bucket {bucket}"
            hops.append(account_key_hop(E, str(bucket), sender, payload_key, what, tls))
            hops += [account_key_hop(D, c.name, c.account, payload_key, what, tls, c.caller) for c in consumers]
        return hops

    def _failure_key_hops(self, failing_to: list[tuple[str, str]], tls: bool) -> list[Hop]:
        """A function's role sending a failure record into an encrypted queue asks KMS for a data
        key of the queue's key (and Decrypt, as every SQS producer must)."""
        hops: list[Hop] = []
        for f, q in failing_to:
            key = self.key_of(self._get("queue", self.queues, q))
            if key is not None:
                fn = self.function(f)
                hops += [account_key_hop(k, f, fn.role_arn, key, f"queue {q}", tls, fn.caller) for k in (HopKind.ENCRYPT, HopKind.DECRYPT)]
        return hops

    def denial_hop(
        self,
        account: str,
        action: str,
        *,
        topic: str | None = None,
        queue: str | None = None,
        bucket: str | None = None,
        secure_transport: bool = True,
        function: str | None = None,
    ) -> Hop:
        """The hop of one ``expect_denied`` entry: ``account`` (name or 12-digit id) attempts
        ``action`` (one of :data:`DENIAL_ACTIONS`) on the named topic, queue, bucket or function."""
        if action == "deliver" and topic and function:  # SNS is the caller; ``account`` is not used
            return invoke_hop(self.topic(topic), self.function(function))
        who = self.account_id(account)
        if action == "publish" and topic:
            return publish_hop(who, self.topic(topic), secure_transport)
        if action == "send" and queue:
            return send_hop(who, self.queue(queue), secure_transport)
        if action == "subscribe" and topic and queue:
            return _subscribe_hop(who, self.topic(topic), self.queue(queue))
        if action == "deliver" and topic and queue:
            return self.delivery_hop(topic, queue)  # SNS is the caller; ``account`` is not used
        if action == "invoke" and function:
            return account_invoke_hop(who, self.function(function), secure_transport)
        kinds = {"put_payloads": HopKind.PUT_PAYLOAD, "read_payloads": HopKind.GET_PAYLOAD, "delete_payloads": HopKind.DELETE_PAYLOAD}
        if action in kinds and bucket:
            return payload_hop(kinds[action], account, who, self.bucket(bucket), secure_transport=secure_transport)
        needs = {"publish": "topic", "send": "queue", "subscribe": "topic and queue", "deliver": "topic and queue (or function)",
                 "invoke": "function"}.get(action, "bucket")
        if action not in DENIAL_ACTIONS:
            raise AccessError(f"unknown access {action!r}: use one of {', '.join(DENIAL_ACTIONS)}")
        raise AccessError(f"access {action!r} needs the {needs} it is attempted on")

    def delivery_hop(self, topic: str, queue: str) -> Hop:
        """SNS delivering from ``topic`` into ``queue``."""
        return deliver_hop(self.topic(topic), self.queue(queue))
