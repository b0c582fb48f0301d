"""The publisher side of a scenario: which messages to send, when, and the record of what was sent.

- :func:`plan` lists the messages (:class:`Outgoing`: sequence number, correlation id, size, FIFO
  group and deduplication id) — pure, no I/O.
- :class:`Pacer` is the send schedule: with a rate, message ``seq`` is due at
  ``start + seq / rate`` (open loop: a sender that fell behind catches up instead of drifting).
- :class:`Sender` publishes one message (:meth:`Sender.send_one`) and a whole plan in order
  (:meth:`Sender.send_all`); every message goes into the :class:`SendLog` the moment its publish
  call returned, so a failure half-way still leaves an exact count of what was sent.

``send_one``, :meth:`Sender.prepare` and :meth:`Sender.send_batch` are safe to call from several
threads (the log and the expectations are shared, the publisher's clients are thread-safe); the
scenario runner drives them from :class:`~harness.scenario.send_pool.SendPool`, which also records
each message's intended send time (``Sent.t_intended``) from the pacer.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.console import ProgressSource, TransferProgress
from harness.errors import PayloadError
from harness.payload.batch import InlineMessage, prepare_inline, send_batch
from harness.payload.generator import GeneratedPayload
from harness.payload.outcome import Expected
from harness.payload.publisher import PublishedMessage, Publisher, PublishSettings
from harness.payload.source import PayloadSource
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.facts import Sent
from harness.scenario.model import Send

PROGRESS_MIN_BYTES = 16 * 1024 * 1024  # progress bars for transfers of this size or more (when shown)
NO_BUCKET = "no-payload-bucket"  # a topology without a bucket still runs inline-only scenarios


def seed_of(correlation_id: str) -> int:
    """The payload generator's seed for a message: derived from its correlation id."""
    return zlib.crc32(correlation_id.encode()) | (zlib.adler32(correlation_id.encode()) << 32)


@dataclass(frozen=True)
class Outgoing:
    """One message a scenario sends. ``copies`` > 1 repeats it with the same deduplication id."""

    seq: int
    correlation_id: str
    size: int
    group: str | None
    deduplication_id: str | None
    copies: int
    warmup: bool

    def payload(self) -> GeneratedPayload:
        return GeneratedPayload(seed_of(self.correlation_id), self.size)


def plan(send: Send, token: str) -> list[Outgoing]:
    """The scenario's messages in sequence order; correlation ids are ``<token>.<seq>``."""
    repeat = send.dedup == "repeat" and send.group is not None
    return [
        Outgoing(
            seq=seq,
            correlation_id=f"{token}.{seq}",
            size=send.sizes[seq % len(send.sizes)].bytes,
            group=send.group,
            deduplication_id=f"{token}-{seq}" if send.group else None,
            copies=2 if repeat else 1,
            warmup=seq < send.warmup,
        )
        for seq in range(send.count)
    ]


class Pacer:
    """Open-loop schedule: message ``seq`` is due ``seq / rate`` seconds after the start.

    ``clock`` (monotonic) drives the waiting; ``wall`` (epoch) dates the schedule, so each message's
    intended send time can be compared with the harness's receive time (:meth:`intended`).
    """

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
    ):
        self.rate = rate
        self.interval = 1.0 / rate if rate else 0.0
        self._clock, self._sleep = clock, sleep
        self.start = clock()
        self.start_wall = wall()

    def due(self, seq: int) -> float:
        """When message ``seq`` is meant to go, on the pacer's clock."""
        return self.start + seq * self.interval

    def intended(self, seq: int) -> float | None:
        """When message ``seq`` is meant to go, in epoch seconds; None without a rate (no schedule:
        latency then starts just before the publish call)."""
        return self.start_wall + seq * self.interval if self.interval else None

    def is_due(self, seq: int) -> bool:
        return not self.interval or self._clock() >= self.due(seq)

    def wait_for(self, seq: int) -> None:
        if self.interval:
            delay = self.due(seq) - self._clock()
            if delay > 0:
                self._sleep(delay)


class SendLog:
    """What was sent so far, in the order the publish calls returned. Thread-safe."""

    def __init__(self) -> None:
        self._sent: list[Sent] = []
        self._lock = threading.Lock()

    def record(self, sent: Sent) -> None:
        with self._lock:
            self._sent.append(sent)

    def snapshot(self) -> list[Sent]:
        """The sent messages, in sequence order."""
        with self._lock:
            return sorted(self._sent, key=lambda s: s.seq)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sent)


class Sender:
    """Publishes a scenario's messages to one topic or queue.

    ``expected`` is shared with the consumers: each message's size and sha256 are registered there
    before it is published, so a consumer can verify it whenever it arrives.
    """

    def __init__(
        self,
        publisher: Publisher,
        destination: str,
        to_topic: bool,
        attributes: Mapping[str, str],
        expected: MutableMapping[str, Expected],
        log: SendLog,
        progress_label: str | None = None,
    ):
        self.publisher, self.destination, self.to_topic = publisher, destination, to_topic
        self.attributes = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        self.expected, self.log = expected, log
        self.progress_label = progress_label  # None: no progress bars

    def send_all(self, outgoing: Iterable[Outgoing], pacer: Pacer) -> None:
        """Send in sequence order on the pacer's schedule (one message at a time)."""
        for out in outgoing:
            self.send_one(out, pacer)

    def send_one(self, out: Outgoing, pacer: Pacer | None = None, intended: float | None = None) -> Sent:
        """Publish one message (when the pacer says it is due) and record it in the log.

        ``intended`` is the scheduled send time (epoch) when a pool waited for it instead.
        """
        payload = out.payload()
        # Hashing a large payload takes a while: done before waiting, so it does not delay the send.
        self.expected[out.correlation_id] = Expected(out.size, payload.sha256())
        source: PayloadSource = payload
        if self.progress_label is not None and out.size >= PROGRESS_MIN_BYTES:
            source = ProgressSource(payload, TransferProgress(f"{self.progress_label} #{out.seq} upload", out.size))
        if pacer is not None:
            pacer.wait_for(out.seq)
            intended = pacer.intended(out.seq)
        t_send = time.time()
        first = self._publish(out, source)
        # Recorded once the first copy is accepted: that copy is the one delivered; a repeat with the
        # same deduplication id only tests that the FIFO queue drops it.
        pointer = (first.pointer.bucket, first.pointer.key) if first.pointer else None
        sent = Sent(out.seq, out.correlation_id, out.size, first.sha256, out.group, t_send, out.warmup, pointer, intended)
        self.log.record(sent)
        for _ in range(out.copies - 1):
            self._publish(out, source)
        return sent

    @property
    def via(self) -> str:
        return "sns" if self.to_topic else "sqs"

    def prepare(self, out: Outgoing) -> InlineMessage | None:
        """The message ready for a batch, or None when it goes through S3 (send it with send_one).
        Registers an inline message's expectation for the consumers."""
        message = prepare_inline(
            self.publisher, self.via, out.payload(), attributes=self.attributes, correlation_id=out.correlation_id,
            group_id=out.group, deduplication_id=out.deduplication_id,
        )
        if message is not None:
            self.expected[out.correlation_id] = Expected(out.size, message.sha256)
        return message

    def send_batch(self, batch: Sequence[tuple[Outgoing, InlineMessage]], intended: Sequence[float | None]) -> list[Sent]:
        """One batch call for prepared messages (then one for their repeats, FIFO ``dedup: repeat``).
        Accepted entries are logged before a rejected one raises."""
        t_send = time.time()
        outcome = send_batch(self.publisher, self.via, self.destination, [m for _, m in batch])
        by_cid = {out.correlation_id: (out, when) for (out, _), when in zip(batch, intended)}
        sent = []
        for message, _published in outcome.published:
            out, when = by_cid[message.correlation_id or ""]
            record = Sent(out.seq, out.correlation_id, out.size, message.sha256, out.group, t_send, out.warmup, None, when)
            self.log.record(record)
            sent.append(record)
        if outcome.failed:
            message, why = outcome.failed[0]
            raise PayloadError(f"{len(outcome.failed)} of {len(batch)} messages of a batch to {self.destination} were "
                               f"rejected, e.g. {message.correlation_id}: {why}")
        repeats = [m for out, m in batch if out.copies > 1]
        if repeats:
            again = send_batch(self.publisher, self.via, self.destination, repeats)
            if again.failed:
                raise PayloadError(f"the repeated copy of {again.failed[0][0].correlation_id} was rejected: {again.failed[0][1]}")
        return sent

    def _publish(self, out: Outgoing, source: PayloadSource) -> PublishedMessage:
        kwargs: dict[str, Any] = {
            "attributes": self.attributes,
            "correlation_id": out.correlation_id,
            "group_id": out.group,
            "deduplication_id": out.deduplication_id,
        }
        if self.to_topic:
            return self.publisher.to_topic(self.destination, source, **kwargs)
        return self.publisher.to_queue(self.destination, source, **kwargs)


def sender_for(
    manifest: Manifest,
    sessions: Sessions,
    send: Send,
    expected: MutableMapping[str, Expected],
    log: SendLog,
    progress_label: str | None = None,
) -> Sender:
    """A :class:`Sender` acting as the sending account, in the destination's region."""
    bucket = manifest.buckets.get(send.bucket) if send.bucket else None
    if send.topic:
        target = manifest.topics[send.topic]
        client = sessions.client("sns", send.account, target.region)
        destination = target.arn
    else:
        target = manifest.queues[send.queue or ""]
        client = sessions.client("sqs", send.account, target.region)
        destination = target.url
    s3 = sessions.client("s3", send.account, bucket.region if bucket else target.region)
    settings = PublishSettings(
        bucket=bucket.name if bucket else NO_BUCKET,
        always_through_s3=send.offload == "always",
        # A writer account's object must belong to the bucket owner, whose policy grants the readers.
        bucket_owner_full_control=bucket is not None and bucket.account != send.account,
        sse_kms_key_id=manifest.keys[bucket.kms_key].arn if bucket is not None and bucket.kms_key else None,
        # The runner knows every payload's size and sha256 and hands them to its consumers, so it
        # needs no HarnessSha256 attribute: the inline/offload boundary stays the libraries'.
        inline_sha256=False,
        # On AWS the first sends after an apply may meet IAM/policy propagation or a queue not yet
        # visible: the target's policy waits those out, bounded and logged (harness.retry).
        retry=sessions.retry_policy,
    )
    publisher = Publisher(s3, settings, **({"sns": client} if send.topic else {"sqs": client}))
    return Sender(publisher, destination, bool(send.topic), send.attributes, expected, log, progress_label)
