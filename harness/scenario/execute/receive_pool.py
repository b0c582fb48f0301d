"""A pool of receivers for one watched queue: several long-polls, verification off the receive loop,
acknowledgements in batches.

Per queue (:class:`ReceiverPool`):

- up to ``receivers`` threads long-poll (ReceiveMessage, up to ten messages) and sort what arrives
  (a :class:`~harness.scenario.execute.window.ReceiveWindow` holds some of them back while the endpoint is
  saturated, when more would only slow its responses):
  this scenario's offloaded payloads and FIFO groups go to the verifiers, its inline messages are
  checked on the spot (a hash of at most 1 MiB in memory costs less than a hand-off), an earlier
  scenario's of the same run are acknowledged, anyone else's are left alone (see
  :class:`~harness.scenario.execute.watch.QueueWatch`);
- a bounded pool of verifiers (``receivers`` threads, at most :data:`PENDING_PER_VERIFIER` messages
  waiting each, so a slow verifier holds the receivers back rather than piling up memory) streams
  and checks each payload and records the delivery; an offloaded payload's download holds its share
  of the scenario's :class:`~harness.scenario.execute.budget.ByteBudget`;
- the thread that checked a batch acknowledges it in one DeleteMessageBatch (so acknowledgements
  scale with the receivers and never queue up past the visibility timeout), then deletes the
  payload objects when asked.

The receive time of a delivery is taken when its payload is verified, before the delete. How long a
message waited for the harness once SQS handed it out is the ``harness_wait`` hop
(:mod:`harness.scenario.judge.verdicts`).
"""

from __future__ import annotations

import logging
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
from harness.payload.batch import delete_batch
from harness.payload.message import ReceivedMessage
from harness.scenario.execute.budget import ByteBudget
from harness.scenario.execute.oneline import one_line
from harness.scenario.execute.watch import MINE, POLL_WAIT_SECONDS, STALE, STALE_RECEIPT_CODES, WATCH_JOIN_SECONDS, QueueWatch
from harness.scenario.execute.window import ReceiveWindow

log = logging.getLogger(__name__)

DEFAULT_RECEIVERS = 4
PENDING_PER_VERIFIER = 20


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
    """Receivers and verifiers for one :class:`QueueWatch`, from :meth:`start` until :meth:`stop`."""

    def __init__(self, watch: QueueWatch, receivers: int = DEFAULT_RECEIVERS, budget: ByteBudget | None = None):
        if receivers < 1:
            raise ValueError("a receiver pool needs at least one receiver")
        self.watch, self.receivers = watch, receivers
        self.budget = budget or ByteBudget()
        self._stop = threading.Event()
        self.window = ReceiveWindow(receivers, str(getattr(getattr(watch.consumer.sqs, "meta", None), "endpoint_url", "")), watch.name)
        self._slots = threading.BoundedSemaphore(receivers * PENDING_PER_VERIFIER)
        self._verifiers = ThreadPoolExecutor(max_workers=receivers, thread_name_prefix=f"verify-{watch.name}")
        self._pending: set[Future[None]] = set()
        self._pending_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._receive_loop, daemon=True, name=f"recv-{watch.name}-{i}") for i in range(receivers)
        ]

    def start(self) -> None:
        self._time_idle_endpoint()
        for t in self._threads:
            t.start()

    def stop(self, join_seconds: float) -> bool:
        """Stop receiving, let the verifiers finish (bounded); False if still busy after ``join_seconds``."""
        self._stop.set()
        deadline = time.monotonic() + join_seconds
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._pending_lock:
            pending = set(self._pending)
        _, still = wait_futures(pending, timeout=max(0.0, deadline - time.monotonic()))
        self._verifiers.shutdown(wait=not still, cancel_futures=True)
        if self.window.smallest < self.receivers:
            log.info("queue %s: at times only %d of its %d receivers polled at once while the endpoint was saturated "
                     "(more would only have slowed its responses)", self.watch.name, self.window.smallest, self.receivers)
        return not still and not any(t.is_alive() for t in self._threads)

    def _time_idle_endpoint(self) -> None:
        """One GetQueueAttributes before the scenario sends: how fast the endpoint answers unloaded,
        for the receive window. Optional: a refusal or a fault only leaves the window to learn it."""
        consumer = self.watch.consumer
        started = time.monotonic()
        try:
            consumer.sqs.get_queue_attributes(QueueUrl=consumer.queue_url, AttributeNames=["QueueArn"])
        except (ClientError, BotoCoreError) as exc:
            log.debug("queue %s: no idle round trip for the receive window (%s)", self.watch.name, retry.error_code(exc))
            return
        self.window.idle(time.monotonic() - started)

    # -- receivers --------------------------------------------------------------------------------
    def _receive_loop(self) -> None:
        guarded(self.watch, "receiver", self._receive_until_stopped)

    def _receive_until_stopped(self) -> None:
        while not self._stop.is_set() and self.watch.error is None:
            if self.watch.behaviour is not None and self.watch.behaviour.paused():  # a stopped consumer (a fault)
                self._stop.wait(0.05)
                continue
            if not self.window.acquire(self._stop.is_set):
                return
            try:
                self._receive_once()
            finally:
                self.window.release()

    def _receive_once(self) -> None:
        """One ReceiveMessage; its batch checked and acknowledged, or handed to the verifiers."""
        jobs: dict[str | None, list[ReceivedMessage]] = {}
        acks: list[tuple[ReceivedMessage, bool]] = []
        received = self.watch.consumer.receive(max_messages=10)
        self.window.received(len(received))
        if self.watch.behaviour is not None:  # a consumer fault takes the messages it acts on
            received = self.watch.behaviour.intercept(self.watch, received)
        for msg in received:
            kind = self.watch.classify(msg)
            if kind == MINE and msg.pointer is None and not msg.group_id:
                # inline: the check is a hash of at most 1 MiB already in memory, cheaper than a
                # hand-off to a verifier thread (which would only add latency)
                self.watch.record(self.watch.check(msg))
                acks.append((msg, self.watch.delete_payloads))
            elif kind == MINE:
                # FIFO: one job per message group, verified in the order received, so the order
                # of the deliveries is the queue's; offloaded payloads: one download job each
                if msg.group_id:
                    jobs.setdefault(msg.group_id, []).append(msg)
                else:
                    self._submit([msg])
            elif kind == STALE:
                log.info("queue %s: deleting a stale message of this run (%s)", self.watch.name, msg.correlation_id)
                acks.append((msg, False))
        if acks:
            self._delete(acks)
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
        guarded(self.watch, "verifier", lambda: self._verify_and_ack(messages))

    def _verify_and_ack(self, messages: list[ReceivedMessage]) -> None:
        for msg in messages:
            if msg.pointer is not None:
                with self.budget.reserve(msg.declared_size or 0):
                    delivery = self.watch.check(msg)
            else:
                delivery = self.watch.check(msg)
            self.watch.record(delivery)
        self._delete([(m, self.watch.delete_payloads) for m in messages])

    # -- acknowledgement --------------------------------------------------------------------------
    def _delete(self, batch: list[tuple[ReceivedMessage, bool]]) -> None:
        """Acknowledge in one DeleteMessageBatch (on the thread that checked them), then the payloads.

        An expired receipt handle or a fault on the service's side leaves the message in the queue:
        logged; it comes back and counts as a duplicate. A refusal (the caller's fault) is fatal.
        """
        consumer = self.watch.consumer
        started = time.monotonic()
        failed = delete_batch(consumer.sqs, consumer.queue_url, [m.receipt_handle for m, _ in batch], consumer.settings.retry)
        self.window.round_trip(time.monotonic() - started)
        for code, senders_fault in failed.values():
            if senders_fault and code not in STALE_RECEIPT_CODES:
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

    def held_back(self) -> list[tuple[str, int, int]]:
        """(queue, fewest receivers polling at once, receivers) of each pool the window held back."""
        return [(p.watch.name, p.window.smallest, p.receivers) for p in self._pools if p.window.smallest < p.receivers]

    def failed(self) -> QueueWatch | None:
        return next((w for w in self.watches if w.error), None)
