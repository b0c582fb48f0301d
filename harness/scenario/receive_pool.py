"""A pool of receivers for one watched queue: several long-polls, verification off the receive loop,
acknowledgements in batches.

Per queue (:class:`ReceiverPool`):

- ``receivers`` threads long-poll (ReceiveMessage, up to ten messages) and only sort what arrives:
  this scenario's messages go to the verifiers, an earlier scenario's of the same run straight to the
  acknowledger, anyone else's are left alone (see :class:`~harness.scenario.watch.QueueWatch`);
- a bounded pool of verifiers (``receivers`` threads, at most :data:`PENDING_PER_VERIFIER` messages
  waiting each, so a slow verifier holds the receivers back rather than piling up memory) streams
  and checks each payload and records the delivery; an offloaded payload's download holds its share
  of the scenario's :class:`~harness.scenario.budget.ByteBudget`;
- one acknowledger deletes in DeleteMessageBatch calls of up to ten (waiting at most
  :data:`ACK_LINGER_SECONDS` for a batch to fill), then the payload objects when asked.

The receive time of a delivery is taken when its payload is verified, before the delete, so batching
the deletes costs no latency. How long a message waited for the harness once SQS handed it out is
the ``harness_wait`` hop (:mod:`harness.scenario.verdicts`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from types import TracebackType
from typing import Self

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import HarnessError, ServiceUnavailableError
from harness.payload.batch import MAX_BATCH_ENTRIES, delete_batch
from harness.payload.message import ReceivedMessage
from harness.scenario.budget import ByteBudget
from harness.scenario.oneline import one_line
from harness.scenario.watch import MINE, POLL_WAIT_SECONDS, STALE, STALE_RECEIPT_CODES, WATCH_JOIN_SECONDS, QueueWatch

log = logging.getLogger(__name__)

DEFAULT_RECEIVERS = 4
PENDING_PER_VERIFIER = 20
ACK_LINGER_SECONDS = 0.02


def guarded(watch: QueueWatch, what: str, fn: Callable[[], None]) -> None:
    """Run ``fn``; any error ends up on the watch as one line (a thread boundary)."""
    try:
        fn()
    except ServiceUnavailableError as exc:
        watch.fail(one_line(exc), unreachable=True)
    except (HarnessError, ClientError, BotoCoreError) as exc:
        watch.fail(one_line(exc))
    except Exception as exc:  # thread boundary: an unexpected error must reach the scenario, not vanish
        log.exception("%s of queue %s crashed", what, watch.name)
        watch.fail(f"unexpected {type(exc).__name__}: {one_line(exc)}")


class ReceiverPool:
    """Receivers, verifiers and an acknowledger for one :class:`QueueWatch`, from :meth:`start`
    until :meth:`stop`."""

    def __init__(self, watch: QueueWatch, receivers: int = DEFAULT_RECEIVERS, budget: ByteBudget | None = None):
        if receivers < 1:
            raise ValueError("a receiver pool needs at least one receiver")
        self.watch, self.receivers = watch, receivers
        self.budget = budget or ByteBudget()
        self._stop = threading.Event()
        self._acks: queue.Queue[tuple[ReceivedMessage, bool] | None] = queue.Queue()
        self._slots = threading.BoundedSemaphore(receivers * PENDING_PER_VERIFIER)
        self._verifiers = ThreadPoolExecutor(max_workers=receivers, thread_name_prefix=f"verify-{watch.name}")
        self._pending: set[Future[None]] = set()
        self._pending_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._receive_loop, daemon=True, name=f"recv-{watch.name}-{i}") for i in range(receivers)
        ]
        self._acker = threading.Thread(target=self._ack_loop, daemon=True, name=f"ack-{watch.name}")

    def start(self) -> None:
        for t in self._threads:
            t.start()
        self._acker.start()

    def stop(self, join_seconds: float) -> bool:
        """Stop receiving, let the verifiers and the acknowledger finish (bounded); False if they
        were still busy after ``join_seconds``."""
        self._stop.set()
        deadline = time.monotonic() + join_seconds
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._pending_lock:
            pending = set(self._pending)
        _, still = wait_futures(pending, timeout=max(0.0, deadline - time.monotonic()))
        self._verifiers.shutdown(wait=not still, cancel_futures=True)
        self._acks.put(None)
        self._acker.join(timeout=max(0.0, deadline - time.monotonic()))
        return not still and not self._acker.is_alive() and not any(t.is_alive() for t in self._threads)

    # -- receivers --------------------------------------------------------------------------------
    def _receive_loop(self) -> None:
        guarded(self.watch, "receiver", self._receive_until_stopped)

    def _receive_until_stopped(self) -> None:
        while not self._stop.is_set() and self.watch.error is None:
            jobs: dict[str | None, list[ReceivedMessage]] = {}
            for msg in self.watch.consumer.receive(max_messages=10):
                kind = self.watch.classify(msg)
                if kind == MINE:
                    # FIFO: one job per message group, verified in the order received, so the order
                    # of the deliveries is the queue's; standard queues: one job per message
                    if msg.group_id:
                        jobs.setdefault(msg.group_id, []).append(msg)
                    else:
                        self._submit([msg])
                elif kind == STALE:
                    log.info("queue %s: deleting a stale message of this run (%s)", self.watch.name, msg.correlation_id)
                    self._acks.put((msg, False))
            for group in jobs.values():
                self._submit(group)

    def _submit(self, messages: list[ReceivedMessage]) -> None:
        while not self._slots.acquire(timeout=0.1):  # bounded: a slow verifier holds the receivers back
            if self._stop.is_set():
                return  # the scenario is over; the messages come back after their visibility timeout
        future = self._verifiers.submit(self._verify, messages)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._finished)

    def _finished(self, future: Future[None]) -> None:
        with self._pending_lock:
            self._pending.discard(future)
        self._slots.release()

    # -- verifiers --------------------------------------------------------------------------------
    def _verify(self, messages: list[ReceivedMessage]) -> None:
        for msg in messages:
            guarded(self.watch, "verifier", lambda msg=msg: self._check(msg))

    def _check(self, msg: ReceivedMessage) -> None:
        if msg.pointer is not None:
            with self.budget.reserve(msg.declared_size or 0):
                delivery = self.watch.check(msg)
        else:
            delivery = self.watch.check(msg)
        self.watch.record(delivery)
        self._acks.put((msg, self.watch.delete_payloads))

    # -- acknowledger -----------------------------------------------------------------------------
    def _ack_loop(self) -> None:
        guarded(self.watch, "acknowledger", self._ack_until_stopped)

    def _ack_until_stopped(self) -> None:
        done = False
        while not done:
            first = self._acks.get()
            if first is None:
                break
            batch = [first]
            linger_until = time.monotonic() + ACK_LINGER_SECONDS
            while len(batch) < MAX_BATCH_ENTRIES:
                try:
                    item = self._acks.get(timeout=max(0.0, linger_until - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    done = True
                    break
                batch.append(item)
            self._delete(batch)

    def _delete(self, batch: list[tuple[ReceivedMessage, bool]]) -> None:
        consumer = self.watch.consumer
        failed = delete_batch(consumer.sqs, consumer.queue_url, [m.receipt_handle for m, _ in batch], consumer.settings.retry)
        for code in failed.values():
            if code not in STALE_RECEIPT_CODES:
                raise HarnessError(f"queue {self.watch.name}: DeleteMessageBatch refused a message: {code}")
            log.warning("queue %s: could not acknowledge a message (%s); it will be redelivered", self.watch.name, code)
        for index, (msg, delete_payload) in enumerate(batch):
            if index in failed or not delete_payload or msg.pointer is None:
                continue
            try:
                retry.call("s3.DeleteObject", consumer.s3.delete_object, Bucket=msg.pointer.bucket, Key=msg.pointer.key,
                           policy=consumer.settings.transfer.retry)
            except (ClientError, BotoCoreError) as exc:
                # as Consumer.delete: a payload left behind is logged (payload_deleted_after_ack reports it)
                log.warning("could not delete payload s3://%s/%s: %s", msg.pointer.bucket, msg.pointer.key, retry.error_code(exc))


class Watching:
    """A :class:`ReceiverPool` per watched queue, from ``with`` until :meth:`stop` (or the block's end)."""

    def __init__(self, watches: Iterable[QueueWatch], receivers: Mapping[str, int] | None = None, budget: ByteBudget | None = None):
        self.watches = list(watches)
        budget = budget or ByteBudget()
        wanted = receivers or {}
        self._pools = [ReceiverPool(w, wanted.get(w.name, DEFAULT_RECEIVERS), budget) for w in self.watches]
        self._stopped = False

    def __enter__(self) -> Self:
        for pool in self._pools:
            pool.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for pool in self._pools:
            # A verifier may be mid-way through a large payload: let it finish, bounded.
            if not pool.stop(POLL_WAIT_SECONDS + WATCH_JOIN_SECONDS):
                pool.watch.fail(f"still busy {WATCH_JOIN_SECONDS:.0f}s after the scenario ended; its deliveries cannot be trusted")

    def failed(self) -> QueueWatch | None:
        return next((w for w in self.watches if w.error), None)
