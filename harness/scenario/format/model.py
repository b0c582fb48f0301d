"""A validated scenario: what a ``*.scenario.yaml`` file becomes after :mod:`harness.scenario.format.loader`.

One scenario sends a batch of messages from one account/region through a topic or straight to a
queue (or several such batches at once: ``sends:``), then checks expectations: who receives them (intact, in time, in order, fast enough), who
must not, what a rejecting consumer sends to its dead-letter queue, and whether payload objects
are gone after acknowledgement. A scenario may instead (or also) list accesses that must be
refused (:class:`ExpectDenied`); one with only ``expect_denied`` sends nothing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

#: Message attribute data types a scenario may send (SNS and SQS; SQS reads ``String.Array`` as a
#: String with the custom label ``Array``).
ATTRIBUTE_TYPES = ("String", "Number", "Binary", "String.Array")


@dataclass(frozen=True)
class Size:
    """A payload size as written (``256KiB+1``, ``sns_limit+1``) and in bytes.

    ``on_wire``: the size names the whole message as SNS/SQS count it (body + every attribute's
    name, type and value, the harness's correlation attribute included), so the body is ``bytes``
    minus the attributes of each message (:func:`harness.scenario.execute.send.plan`).
    """

    text: str
    bytes: int
    on_wire: bool = False


@dataclass(frozen=True)
class Attribute:
    """A typed message attribute. ``value`` is the text sent (``String.Array``: a JSON array;
    ``Binary``: base64, sent decoded)."""

    type: str
    value: str

    def wire(self) -> dict[str, Any]:
        if self.type == "Binary":
            return {"DataType": "Binary", "BinaryValue": base64.b64decode(self.value)}
        return {"DataType": self.type, "StringValue": self.value}


@dataclass(frozen=True)
class Send:
    account: str
    region: str
    topic: str | None = None
    queue: str | None = None
    count: int = 1
    sizes: tuple[Size, ...] = (Size("1KiB", 1024),)  # cycled over the messages
    attributes: dict[str, Attribute] = field(default_factory=dict)
    group: str | None = None  # FIFO message group
    dedup: str = "unique"  # FIFO: "unique" ids, or "repeat" (each message sent twice, same id)
    rate: float | None = None  # messages per second; None = as fast as possible
    warmup: int = 0  # first N messages excluded from latency figures
    offload: str = "auto"  # "auto" (over the path's threshold) or "always"
    bucket: str | None = None  # payload bucket for offloaded messages (the topology's only one by default)
    senders: int = 4  # publishers working in parallel (batches; FIFO order per group is kept)
    body: str | None = None  # a JSON document sent as every message's payload (body filters can match it)

    @property
    def via(self) -> str:
        return f"topic:{self.topic}" if self.topic else f"queue:{self.queue}"


@dataclass(frozen=True)
class Latency:
    """Latency objectives in milliseconds (None = not checked)."""

    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    max: float | None = None

    def objectives(self) -> dict[str, float]:
        return {k: v for k, v in (("p50", self.p50), ("p90", self.p90), ("p99", self.p99), ("max", self.max)) if v is not None}


@dataclass(frozen=True)
class Expect:
    queue: str
    within: float  # seconds
    intact: bool = True
    ordered: bool = False  # FIFO order per message group
    duplicates_allowed: bool = True
    latency: Latency = field(default_factory=Latency)
    delete_payloads: bool = False  # the consumer deletes payload objects on ack (as Java does)
    receivers: int = 4  # receivers long-polling this queue in parallel (verifiers: as many)


@dataclass(frozen=True)
class ExpectNot:
    queue: str
    within: float


@dataclass(frozen=True)
class DeadLetterCheck:
    queue: str
    dead_letter_queue: str
    rejections: int  # receives without delete before the queue's redrive moves the message
    within: float


@dataclass(frozen=True)
class SubscriptionDeadLetterCheck:
    """``subscription_dead_letter``: SNS cannot deliver to ``queue`` (the harness deletes it for the
    duration of the send and restores it after), so every message of the send must arrive in the
    subscription's dead-letter queue ``dead_letter_queue`` within ``within``."""

    topic: str
    queue: str
    dead_letter_queue: str
    within: float


@dataclass(frozen=True)
class ExpectDenied:
    """One ``expect_denied`` entry: ``account`` (a topology account name, or the 12-digit id of an
    account outside the topology) attempts ``action`` from a client in ``region`` on the named topic,
    queue or bucket, and must be refused."""

    account: str
    region: str
    action: str  # one of harness.access.deployment.DENIAL_ACTIONS
    topic: str | None = None
    queue: str | None = None
    bucket: str | None = None
    via: str = "https"  # "http": a plain-HTTP caller (aws:SecureTransport false)
    within: float = 10.0  # deliver, on AWS: how long the probe message must not arrive
    line: int = 0  # in the scenario file, for messages

    @property
    def secure_transport(self) -> bool:
        return self.via != "http"

    @property
    def label(self) -> str:
        target = " ".join(f"{k} {v}" for k, v in (("topic", self.topic), ("queue", self.queue), ("bucket", self.bucket)) if v)
        who = "SNS" if self.action == "deliver" else f"{self.account}/{self.region}"
        return f"{who} {self.action} {target}" + (" via http" if self.via == "http" else "")


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    topology_file: str  # resolved path
    description: str
    send: Send | None  # the first (or only) send; None: the scenario only checks expect_denied
    expect: tuple[Expect, ...] = ()
    expect_not: tuple[ExpectNot, ...] = ()
    dead_letter: DeadLetterCheck | None = None
    payload_deleted_after_ack: bool = False
    expect_denied: tuple[ExpectDenied, ...] = ()
    more_sends: tuple[Send, ...] = ()  # the further entries of ``sends:``, run concurrently with ``send``
    subscription_dead_letter: SubscriptionDeadLetterCheck | None = None

    @property
    def sends(self) -> tuple[Send, ...]:
        """Every send of the scenario, in file order (``send:`` is a list of one)."""
        return ((self.send,) if self.send is not None else ()) + self.more_sends

    def sends_to(self, queue: str, subscribed: dict[str, set[str]]) -> tuple[int, ...]:
        """Indexes of the sends whose messages reach ``queue`` (``subscribed``: topic → its queues)."""
        return tuple(
            i for i, s in enumerate(self.sends)
            if (s.queue == queue) or (s.topic is not None and queue in subscribed.get(s.topic, set()))
        )
