"""The validated topology: what a topology YAML file becomes after :mod:`harness.topology.loader`.

Plain frozen dataclasses, keyed by logical name. Nothing here knows about Terraform, LocalStack
or AWS; the renderer (:mod:`harness.render`) turns a :class:`Topology` into a root module.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AwsAccess:
    """How to reach an account on real AWS: a role to assume, a named profile, or both
    (the profile's credentials assume the role). Ignored on LocalStack."""

    role_arn: str | None = None
    profile: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Account:
    name: str
    id: str  # 12 digits
    aws: AwsAccess = field(default_factory=AwsAccess)


@dataclass(frozen=True)
class Topic:
    name: str
    account: str  # logical account name
    region: str
    fifo: bool = False
    content_based_deduplication: bool = False
    publishers: tuple[str, ...] = ()  # other accounts granted sns:Publish
    kms_key: str | None = None  # logical name of the KMS key encrypting the topic (SSE)


@dataclass(frozen=True)
class DeadLetter:
    queue: str  # logical queue name
    max_receive_count: int


@dataclass(frozen=True)
class Queue:
    name: str
    account: str
    region: str
    fifo: bool = False
    content_based_deduplication: bool = False
    visibility_timeout: int = 30  # seconds, 0..43200
    retention: int = 345600  # seconds, 60..1209600
    dead_letter: DeadLetter | None = None
    producers: tuple[str, ...] = ()  # accounts allowed sqs:SendMessage directly
    kms_key: str | None = None  # logical name of the KMS key encrypting the queue (SSE)


@dataclass(frozen=True)
class Bucket:
    name: str
    account: str
    region: str
    readers: tuple[str, ...] = ()  # accounts granted s3:GetObject on payloads
    writers: tuple[str, ...] = ()  # other accounts granted s3:PutObject (senders that offload here)
    readers_may_delete: bool = False  # also s3:DeleteObject (consumers delete payloads, as Java does)
    kms_key: str | None = None  # logical name of the KMS key payloads are stored with (SSE-KMS)


@dataclass(frozen=True)
class Key:
    """A customer-managed KMS key. Its own account administers it; other accounts may use it only
    as listed: ``encrypt`` (kms:GenerateDataKey, kms:Encrypt) and ``decrypt`` (kms:Decrypt). SNS
    gets GenerateDataKey/Decrypt, bound by ``aws:SourceArn``, when it delivers into a queue the
    key encrypts (derived from the subscriptions, not written here)."""

    name: str
    account: str
    region: str
    encrypt: tuple[str, ...] = ()
    decrypt: tuple[str, ...] = ()

    def may(self, account: str, use: str) -> bool:
        """Whether ``account`` may ``use`` ("encrypt" or "decrypt") the key."""
        return account == self.account or account in (self.encrypt if use == "encrypt" else self.decrypt)


@dataclass(frozen=True)
class Subscription:
    topic: str
    queue: str
    raw_delivery: bool = False
    filter_policy: dict | None = None  # the JSON object SNS stores, as parsed YAML
    dead_letter_queue: str | None = None  # logical queue name (subscription DLQ)
    filter_policy_scope: str = "MessageAttributes"  # or "MessageBody" (the policy then filters the JSON body)

    @property
    def key(self) -> str:
        return f"{self.topic}->{self.queue}"


@dataclass(frozen=True)
class Topology:
    name: str
    source: str  # the file it came from
    accounts: dict[str, Account]
    regions: tuple[str, ...]
    topics: dict[str, Topic]
    queues: dict[str, Queue]
    buckets: dict[str, Bucket]
    subscriptions: tuple[Subscription, ...]
    keys: dict[str, Key] = field(default_factory=dict)

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
        accounts = {self.queues[s.queue].account for s in self.subscriptions if s.topic == topic}
        return sorted(accounts - {owner})
