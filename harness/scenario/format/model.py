"""A validated scenario: what a ``*.scenario.yaml`` file becomes after :mod:`harness.scenario.format.loader`.

One scenario sends a batch of messages from one account/region through a topic or straight to a
queue (or several such batches at once: ``sends:``), then checks its expectations, each one of the
registered kinds of :mod:`harness.scenario.expectations` (who receives them, intact, in time, in
order, fast enough; who must not; what a rejecting consumer sends to its dead-letter queue; whether
payload objects are gone after acknowledgement; accesses that must be refused). One with only
``expect_denied`` sends nothing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from harness.payload import wire

if TYPE_CHECKING:
    from harness.scenario.expectations.base import Expectation
    from harness.scenario.expectations.dead_letter import DeadLetterCheck
    from harness.scenario.expectations.expect import Expect
    from harness.scenario.expectations.expect_denied import ExpectDenied
    from harness.scenario.expectations.expect_not import ExpectNot
    from harness.scenario.expectations.subscription_dead_letter import SubscriptionDeadLetterCheck

E = TypeVar("E")

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
class RateBound:
    """A minimum rate: ``share`` of the requested rate (``95%``) or ``per_second`` (``400/s``)."""

    share: float | None = None  # 0..1
    per_second: float | None = None
    stated: bool = True  # written in the file (False: the default of a paced send)
    line: int = 0

    def resolve(self, requested: float | None) -> float | None:
        """The bound in msg/s (None: a share without a requested rate to take it of)."""
        if self.per_second is not None:
            return self.per_second
        return self.share * requested if self.share is not None and requested else None

    def label(self, requested: float | None) -> str:
        if self.share is not None and requested:
            return f"{self.share * 100:g}% of {requested:g} msg/s"
        return ""


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
    throughput: RateBound | None = None  # the rate the sender must achieve (a paced send: 95% of its rate by default)
    lag_max: float | None = None  # seconds a send may be behind its schedule (a paced send: 1 s by default)
    line: int = field(default=0, compare=False)
    limit: int = 0  # the path's inline limit: the topic's max_message_size (256 KiB by default) or SQS's 1 MiB; 0: not read from a topology

    @property
    def via(self) -> str:
        return f"topic:{self.topic}" if self.topic else f"queue:{self.queue}"

    @property
    def threshold(self) -> int:
        """The largest message (body + attributes) sent inline on this send's path (on AWS)."""
        if self.limit:
            return self.limit
        return wire.DEFAULT_SNS_THRESHOLD if self.topic else wire.DEFAULT_SQS_THRESHOLD


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    topology_file: str  # resolved path
    description: str
    send: Send | None  # the first (or only) send; None: the scenario only checks expect_denied
    expectations: tuple[Expectation, ...] = ()  # in file order, each a registered expectation (harness.scenario.expectations)
    more_sends: tuple[Send, ...] = ()  # the further entries of ``sends:``, run concurrently with ``send``

    @property
    def sends(self) -> tuple[Send, ...]:
        """Every send of the scenario, in file order (``send:`` is a list of one)."""
        return ((self.send,) if self.send is not None else ()) + self.more_sends

    @property
    def written(self) -> tuple[Expectation, ...]:
        """The expectations written in the file (without the implied ones: the payload accounting)."""
        return tuple(e for e in self.expectations if getattr(e, "stated", True))

    def of(self, kind: type[E]) -> tuple[E, ...]:
        """The scenario's expectations of one kind."""
        return tuple(e for e in self.expectations if isinstance(e, kind))

    def sends_to(self, queue: str, subscribed: dict[str, set[str]]) -> tuple[int, ...]:
        """Indexes of the sends whose messages reach ``queue`` (``subscribed``: topic → its queues)."""
        return tuple(
            i for i, s in enumerate(self.sends)
            if (s.queue == queue) or (s.topic is not None and queue in subscribed.get(s.topic, set()))
        )

    # Typed views of the built-in expectations (imported late: the expectations import this module).
    @property
    def expect(self) -> tuple[Expect, ...]:
        from harness.scenario.expectations.expect import Expect

        return self.of(Expect)

    @property
    def expect_not(self) -> tuple[ExpectNot, ...]:
        from harness.scenario.expectations.expect_not import ExpectNot

        return self.of(ExpectNot)

    @property
    def dead_letter(self) -> DeadLetterCheck | None:
        from harness.scenario.expectations.dead_letter import DeadLetterCheck

        return next(iter(self.of(DeadLetterCheck)), None)

    @property
    def functions_expected(self) -> tuple[str, ...]:
        """The Lambda functions the scenario's expectations judge (their receipts are watched)."""
        return tuple(dict.fromkeys(f for e in self.expectations for f, _ in e.functions_read()))

    @property
    def subscription_dead_letter(self) -> SubscriptionDeadLetterCheck | None:
        from harness.scenario.expectations.subscription_dead_letter import SubscriptionDeadLetterCheck

        return next(iter(self.of(SubscriptionDeadLetterCheck)), None)

    @property
    def payload_deleted_after_ack(self) -> bool:
        from harness.scenario.expectations.payloads_deleted import PayloadsDeleted

        return bool(self.of(PayloadsDeleted))

    @property
    def expect_denied(self) -> tuple[ExpectDenied, ...]:
        from harness.scenario.expectations.expect_denied import ExpectDenied

        return self.of(ExpectDenied)
