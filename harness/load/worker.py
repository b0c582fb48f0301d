"""One worker's data path: the kit's send and receive pools, run as Locust users, reporting to the master.

- The **producer** user of a worker runs, per stream, a :class:`~harness.scenario.execute.send_pool.SendPool`
  over the worker's share of the plan, through the kit's :class:`~harness.scenario.execute.send.Sender`
  (the extended-client publisher: batches, offloading, FIFO groups) on the shared open-loop schedule.
- The **consumer** user runs the kit's :class:`~harness.scenario.execute.receive_pool.Watching` on every
  queue of the plan: receive, verify (expectations derived from the correlation id, so any
  producer's message is judged), acknowledge in batches.
- Every send and delivery also goes to Locust's statistics (``publish`` / ``receive`` requests), so
  its UI and CSV show them; the kit's own figures are the HDR histograms sent to the master.

A worker claims its pipeline once: if Locust rebalances users after a worker died, a second
producer user on a worker does nothing (the dead worker's share stays unsent: its lost share).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.errors import HarnessError
from harness.load.plan import DerivedExpectations, LoadPlan, Stream
from harness.load.records import delivery_record, histogram_key, sent_record
from harness.payload.consumer import Consumer
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.execute.budget import ByteBudget
from harness.scenario.execute.oneline import one_line
from harness.scenario.execute.receive_pool import Watching
from harness.scenario.execute.send import Outgoing, Pacer, SendLog, sender_for
from harness.scenario.execute.send_pool import SendPool
from harness.scenario.execute.watch import QueueWatch, consumer_for
from harness.scenario.judge.facts import Delivery, Sent
from harness.scenario.judge.measure import PathKey, PathStats

log = logging.getLogger(__name__)

REPORT_INTERVAL_SECONDS = 1.0
STOP_JOIN_SECONDS = 30.0

# (request_type, name, response_time_ms, response_length): Locust's request event, or nothing
RequestEvent = Callable[[str, str, float, int], None]


def _no_event(kind: str, name: str, ms: float, length: int) -> None:
    pass


class Share(Sequence[Outgoing]):
    """A worker's share of a stream; :meth:`cut` ends it where the pool got to (budget or interrupt)."""

    def __init__(self, items: list[Outgoing]):
        self._items, self._end = items, len(items)

    def __len__(self) -> int:
        return self._end

    def __getitem__(self, index: int) -> Outgoing:  # type: ignore[override]
        return self._items[index]  # a batch being taken when the share is cut may still look ahead

    def cut(self) -> None:
        self._end = 0  # SendPool takes no further batch; those in flight finish


class _Log(SendLog):
    """The kit's send log, also handing each sent message to the worker's outbox."""

    def __init__(self, pipeline: WorkerPipeline, stream: Stream):
        super().__init__()
        self.pipeline, self.stream = pipeline, stream

    def record(self, sent: Sent) -> None:
        self.pipeline.on_sent(self.stream, sent)


class _Watch(QueueWatch):
    """The kit's queue watch, handing each verified delivery to the worker's outbox (kept nowhere else)."""

    def __init__(self, name: str, consumer: Consumer, plan: LoadPlan, expected: DerivedExpectations, delete: bool,
                 pipeline: WorkerPipeline):
        super().__init__(name, consumer, plan.token, plan.run_id, expected, delete)
        self.pipeline = pipeline

    def record(self, delivery: Delivery) -> None:
        self.pipeline.on_delivery(self.name, delivery)


class WorkerPipeline:
    """Producer and consumer pools of one worker process for one plan, and what they found."""

    def __init__(self, plan: LoadPlan, index: int, manifest: Manifest, sessions: Sessions, event: RequestEvent = _no_event):
        self.plan, self.index, self.manifest, self.sessions, self.event = plan, index, manifest, sessions, event
        self.expected = DerivedExpectations(plan)
        self.budget = ByteBudget()
        self._lock = threading.Lock()
        self._sent: list[list] = []
        self._deliveries: list[list] = []
        self._errors: list[str] = []
        self._paths: dict[str, PathStats] = {}
        self._seen: set[tuple[str, str]] = set()
        self._producers: list[threading.Thread] = []
        self._shares: list[Share] = []
        self._watching: Watching | None = None
        self._claimed: set[str] = set()
        self.stopped = False

    def _claim(self, role: str) -> bool:
        with self._lock:
            if role in self._claimed or self.stopped:
                return False
            self._claimed.add(role)
            return True

    # -- producing ------------------------------------------------------------------------------
    def start_producing(self) -> None:
        if not self._claim("producer"):
            return
        for stream in self.plan.streams:
            share = Share(self.plan.share(stream, self.index) if self.index < self.plan.workers else [])
            self._shares.append(share)
            sender = sender_for(self.manifest, self.sessions, stream.send, self.expected, _Log(self, stream))
            pacer = Pacer(stream.rate)
            pacer.start += self.plan.start_wall - pacer.start_wall  # the master's schedule, on this clock
            pacer.start_wall = self.plan.start_wall
            pool = SendPool(sender, pacer, stream.send.senders, self.budget)
            thread = threading.Thread(target=self._produce, args=(stream, pool, share), daemon=True, name=f"produce-{stream.index}")
            self._producers.append(thread)
            thread.start()

    def _produce(self, stream: Stream, pool: SendPool, share: Share) -> None:
        try:
            pool.send_all(share)
        except (HarnessError, ClientError, BotoCoreError) as exc:
            self._error(f"{stream.scenario.name}: sending stopped: {one_line(exc)}")
        except Exception as exc:  # thread boundary: the master must hear of it
            log.exception("producer of %s crashed", stream.scenario.name)
            self._error(f"{stream.scenario.name}: producer crashed: {type(exc).__name__}: {one_line(exc)}")

    def producers_done(self) -> bool:
        return "producer" in self._claimed and not any(t.is_alive() for t in self._producers)

    def on_sent(self, stream: Stream, sent: Sent) -> None:
        with self._lock:
            self._sent.append(sent_record(stream.index, sent))
        self.event("publish", stream.scenario.name, (time.time() - sent.t_send) * 1000.0, sent.size)

    # -- consuming ------------------------------------------------------------------------------
    def start_consuming(self) -> None:
        if not self._claim("consumer"):
            return
        bucket_region = next((self.manifest.buckets[s.send.bucket].region for s in self.plan.streams
                              if s.send.bucket and s.send.bucket in self.manifest.buckets), None)
        watches, receivers = [], {}
        for queue, (count, delete) in self.plan.queues().items():
            consumer = consumer_for(self.manifest, self.sessions, queue, delete, bucket_region)
            watches.append(_Watch(queue, consumer, self.plan, self.expected, delete, self))
            receivers[queue] = count
        self._watching = Watching(watches, receivers, self.budget)
        self._watching.__enter__()

    def _path(self, stream: Stream, queue: str) -> PathStats:
        key = histogram_key(stream.index, queue)
        stats = self._paths.get(key)
        if stats is None:
            entry, send = self.manifest.queues[queue], stream.send
            via = f"topic:{send.topic}" if send.topic else f"queue:{send.queue}"
            stats = self._paths[key] = PathStats(PathKey(send.account, send.region, via, entry.account, entry.region, queue))
        return stats

    def on_delivery(self, queue: str, delivery: Delivery) -> None:
        parsed = self.plan.parse(delivery.correlation_id)
        if parsed is None:
            return
        stream, seq = parsed
        latency = delivery.t_recv - stream.intended(seq, self.plan.start_wall)
        with self._lock:
            self._deliveries.append(delivery_record(queue, delivery))
            first = (queue, delivery.correlation_id) not in self._seen
            self._seen.add((queue, delivery.correlation_id))
            if first and seq >= stream.send.warmup:
                self._path(stream, queue).record_latency(latency)
        self.event("receive", queue, latency * 1000.0, stream.size(seq))

    # -- reporting and stopping -----------------------------------------------------------------
    def _error(self, line: str) -> None:
        with self._lock:
            self._errors.append(line)

    def report(self, final: bool = False) -> dict[str, Any]:
        """What happened since the last report, plus the full histograms (a consistent snapshot)."""
        if self._watching is not None:
            broken = self._watching.failed()
            if broken is not None:
                self._error(f"consumer of queue {broken.name} failed: {broken.error}")
        with self._lock:
            sent, self._sent = self._sent, []
            deliveries, self._deliveries = self._deliveries, []
            histograms = {k: s.latency.encode().decode("ascii") for k, s in self._paths.items()}
            errors = list(self._errors)
        return {
            "index": self.index, "pid": os.getpid(), "host": socket.gethostname(), "sent": sent, "deliveries": deliveries,
            "histograms": histograms, "producers_done": self.producers_done(), "final": final, "errors": errors,
        }

    def stop(self) -> None:
        """Stop sending (in-flight batches finish), then receiving (in-flight verifications finish)."""
        with self._lock:
            self.stopped = True
        for share in self._shares:
            share.cut()
        deadline = time.monotonic() + STOP_JOIN_SECONDS
        for thread in self._producers:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._watching is not None:
            self._watching.stop()
