"""Probe traffic while a change is applied: a steady small-message rate on every delivery path that
exists before and after, plus an offloaded payload now and then, and what became of each message.

One sender thread per path publishes (to the topic, or straight to the queue) with correlation ids
``<run-id>.probe-<token>.<path#>.<seq>``; one consumer thread per queue address verifies and acknowledges
them (a message of another path that fan-out brought along is acknowledged and ignored). When the
apply has finished, :meth:`Probe.retarget` points senders and consumers at the new addresses — as a
redeployed application would — and the consumers of a replaced queue stop once it is gone.

Backlog: a standard queue reached directly gets its probe messages with ``DelaySeconds = hold``, so
at any moment ``hold`` seconds of traffic sit in it, as behind a consumer that lags; replacing the
queue then loses them, measurably, instead of only when the timing happens to hit an in-flight
message. (Through SNS the subscription is destroyed and recreated with the queue, and what is
published in between is lost.) Per path: sent (publish accepted), send errors (refused), received,
lost, duplicated, corrupted, and the longest gap between deliveries.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.change.diff import DeliveryPath
from harness.errors import HarnessError
from harness.payload.consumer import Consumer, ConsumeSettings
from harness.payload.generator import GeneratedPayload
from harness.payload.outcome import Expected, Outcome
from harness.payload.publisher import Publisher, PublishSettings
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.execute.oneline import one_line
from harness.scenario.execute.send import NO_BUCKET, Pacer, seed_of

if TYPE_CHECKING:
    from types_boto3_sns.client import SNSClient
    from types_boto3_sqs.client import SQSClient

log = logging.getLogger(__name__)
AWS_ERRORS = (ClientError, BotoCoreError, HarnessError)


@dataclass(frozen=True)
class ProbeSettings:
    rate: float = 10.0  # messages per second per path
    size: int = 200  # bytes of an inline probe message
    offload_every: int = 10  # every Nth message goes through S3 (0: never)
    offload_size: int = 4096
    hold_seconds: int = 1  # DelaySeconds of direct sends to standard queues (the backlog)
    warmup_seconds: float = 1.5  # traffic before the apply starts
    settle_seconds: float = 2.0  # traffic after the apply finished (on the new addresses)
    drain_seconds: float = 8.0  # longest wait for stragglers once sending stopped


@dataclass(frozen=True)
class ProbedPath:
    """One probed path: the path, the message attributes that pass its filter before and after,
    and the payload bucket its offloads use (None: inline only)."""

    index: int
    path: DeliveryPath
    attributes: Mapping[str, str]
    bucket: str | None


@dataclass
class PathResult:
    path: DeliveryPath
    sent: int = 0
    send_errors: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    corrupted: int = 0
    offloaded: int = 0
    longest_gap_s: float = 0.0
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.path.as_dict(),
            "sent": self.sent,
            "send_errors": self.send_errors,
            "received": self.received,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "corrupted": self.corrupted,
            "offloaded": self.offloaded,
            "longest_gap_s": round(self.longest_gap_s, 3),
            "note": self.note,
        }


@dataclass
class _Book:
    """Everything the threads record, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    expected: dict[str, Expected] = field(default_factory=dict)
    sent: dict[str, float] = field(default_factory=dict)  # cid -> t_send
    offloaded: set[str] = field(default_factory=set)
    send_errors: dict[int, int] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    received: dict[str, list[tuple[float, Outcome]]] = field(default_factory=dict)
    damage: dict[int, str] = field(default_factory=dict)  # path -> first verdict that was not intact


class Probe:
    """Probe traffic over ``paths`` of run ``manifest`` (addresses from :meth:`retarget`)."""

    def __init__(self, manifest: Manifest, sessions: Sessions, paths: list[ProbedPath], settings: ProbeSettings):
        self.run_id, self.sessions, self.paths, self.settings = manifest.run_id, sessions, paths, settings
        # A token per probe: messages an earlier (interrupted) probe of the run left in a queue are
        # told apart from this one's, and deleted, instead of counting as duplicates.
        self.run_prefix = f"{manifest.run_id}.probe-"
        self.prefix = f"{self.run_prefix}{uuid.uuid4().hex[:6]}."
        self.book = _Book()
        self._manifest = manifest
        self._stop_sending = threading.Event()
        self._stop_all = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watched: set[str] = set()  # queue URLs with a consumer

    # -- addresses --------------------------------------------------------------------------------
    def retarget(self, manifest: Manifest) -> None:
        """Send to, and consume from, ``manifest``'s addresses from now on."""
        self._manifest = manifest
        for queue in sorted({p.path.queue for p in self.paths}):
            entry = manifest.queues[queue]
            if entry.url not in self._watched:
                self._watched.add(entry.url)
                self._spawn(self._consume, queue, entry.url, f"probe-watch-{queue}")

    def _spawn(self, target: Any, *args: Any) -> None:
        t = threading.Thread(target=target, args=args[:-1], daemon=True, name=args[-1])
        self._threads.append(t)
        t.start()

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        self.retarget(self._manifest)
        for p in self.paths:
            self._spawn(self._send, p, f"probe-send-{p.index}")

    def stop_sending(self) -> None:
        self._stop_sending.set()

    def drain(self) -> None:
        """Wait until every sent message arrived, at most ``drain_seconds``."""
        deadline = time.monotonic() + self.settings.drain_seconds
        while time.monotonic() < deadline:
            with self.book.lock:
                if all(cid in self.book.received for cid in self.book.sent):
                    return
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop_sending.set()
        self._stop_all.set()
        for t in self._threads:
            t.join(timeout=30)

    # -- threads ------------------------------------------------------------------------------------
    def _publisher(self, p: ProbedPath, offload: bool) -> tuple[Publisher, str, bool]:
        m, path = self._manifest, p.path
        bucket = m.buckets.get(p.bucket) if p.bucket else None
        settings = PublishSettings(bucket=bucket.name if bucket else NO_BUCKET, always_through_s3=offload, inline_sha256=False)
        sns: SNSClient | None = None
        sqs: SQSClient | None = None
        if path.topic is not None:
            entry = m.topics[path.topic]
            sns = self.sessions.client("sns", path.sender, entry.region)
            destination = entry.arn
        else:
            entry = m.queues[path.queue]
            sqs = self.sessions.client("sqs", path.sender, entry.region)
            destination = entry.url
        s3 = self.sessions.client("s3", path.sender, bucket.region if bucket else entry.region)
        return Publisher(s3, settings, sns=sns, sqs=sqs), destination, entry.fifo

    def _send(self, p: ProbedPath) -> None:
        s, pacer, seq = self.settings, Pacer(self.settings.rate), 0
        attributes = {k: {"DataType": "String", "StringValue": v} for k, v in p.attributes.items()}
        while not self._stop_sending.is_set():
            pacer.wait_for(seq)
            offload = bool(p.bucket and s.offload_every and seq % s.offload_every == s.offload_every - 1)
            cid = f"{self.prefix}{p.index}.{seq}"
            payload = GeneratedPayload(seed_of(cid), s.offload_size if offload else s.size)
            with self.book.lock:
                self.book.expected[cid] = Expected(payload.size, payload.sha256())
            seq += 1
            try:
                publisher, destination, fifo = self._publisher(p, offload)
                kwargs: dict[str, Any] = {"attributes": attributes, "correlation_id": cid}
                if fifo:
                    kwargs.update(group_id=f"probe-{p.index}", deduplication_id=cid.replace(".", "-"))
                t_send = time.time()
                if p.path.topic is not None:
                    publisher.to_topic(destination, payload, **kwargs)
                else:
                    publisher.to_queue(destination, payload, delay_seconds=None if fifo else s.hold_seconds, **kwargs)
            except AWS_ERRORS as exc:
                with self.book.lock:
                    self.book.send_errors[p.index] = self.book.send_errors.get(p.index, 0) + 1
                    self.book.errors.setdefault(p.index, one_line(exc)[:160])
                continue
            with self.book.lock:
                self.book.sent[cid] = t_send
                if offload:
                    self.book.offloaded.add(cid)

    def _consume(self, queue: str, url: str) -> None:
        entry = self._manifest.queues[queue]  # account and region of the address being watched
        sqs = self.sessions.client("sqs", entry.account, entry.region)
        bucket_region = next((self._manifest.buckets[p.bucket].region for p in self.paths if p.bucket and p.path.queue == queue), entry.region)
        consumer = Consumer(sqs, self.sessions.client("s3", entry.account, bucket_region), url, ConsumeSettings(delete_payload=False, wait_seconds=1))
        mine = {str(p.index) for p in self.paths if p.path.queue == queue}
        while not self._stop_all.is_set():
            try:
                for msg in consumer.receive(max_messages=10):
                    cid = msg.correlation_id or ""
                    if not cid.startswith(self.run_prefix):
                        continue  # not a probe's: leave it for its owner
                    if not cid.startswith(self.prefix):
                        consumer.delete(msg)  # an earlier probe's leftover
                        continue
                    if cid[len(self.prefix):].split(".", 1)[0] in mine:
                        with self.book.lock:
                            expected = self.book.expected.get(cid)
                        verdict = consumer.verify(msg, expected)
                        with self.book.lock:
                            self.book.received.setdefault(cid, []).append((time.time(), verdict.outcome))
                            if verdict.outcome is not Outcome.INTACT:
                                index = int(cid[len(self.prefix):].split(".", 1)[0])
                                self.book.damage.setdefault(index, f"{cid} at {url}: {verdict.outcome.value} {verdict.detail}")
                    consumer.delete(msg)
            except AWS_ERRORS as exc:
                if url != self._manifest.queues[queue].url:
                    log.info("probe: queue %s at %s is gone (%s); its consumer stops", queue, url, one_line(exc))
                    return
                gone = isinstance(exc, ClientError) and retry.error_code(exc) in retry.NEW_RESOURCE_NOT_YET_VISIBLE
                # A queue being replaced is missing for a while: expected during a change, so quiet.
                log.log(logging.DEBUG if gone else logging.WARNING, "probe: receiving from %s failed: %s", queue, one_line(exc))
                time.sleep(0.5)

    # -- results ------------------------------------------------------------------------------------
    def results(self) -> list[PathResult]:
        with self.book.lock:
            sent, received = dict(self.book.sent), {k: list(v) for k, v in self.book.received.items()}
            errors, notes, offloaded = dict(self.book.send_errors), dict(self.book.errors), set(self.book.offloaded)
            damage = dict(self.book.damage)
        out = []
        for p in self.paths:
            mine = f"{self.prefix}{p.index}."
            cids = [c for c in sent if c.startswith(mine)]
            r = PathResult(p.path, sent=len(cids), send_errors=errors.get(p.index, 0))
            r.offloaded = sum(c in offloaded for c in cids)
            firsts = []
            for c in cids:
                got = received.get(c)
                if not got:
                    r.lost += 1
                    continue
                r.received += 1
                r.duplicated += len(got) > 1
                r.corrupted += any(o is not Outcome.INTACT for _, o in got)
                firsts.append(min(t for t, _ in got))
            firsts.sort()
            r.longest_gap_s = max((b - a for a, b in zip(firsts, firsts[1:])), default=0.0)
            remarks = [f"first send error: {notes[p.index]}"] if p.index in notes else []
            remarks += [f"first damaged delivery: {damage[p.index]}"] if p.index in damage else []
            r.note = "; ".join(remarks)
            out.append(r)
        return out
