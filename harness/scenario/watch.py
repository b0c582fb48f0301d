"""The consumer side of a scenario: watch queues, verify and acknowledge the scenario's messages.

Isolation: every message carries a correlation id ``<run-id>.<scenario token>.<seq>``. A
:class:`QueueWatch` acts only on its own scenario's messages (verify, record a :class:`Delivery`,
acknowledge), deletes stale ones of the same run (earlier scenarios' leftovers) and leaves anything
else untouched for its owner.

:class:`Watching` runs one consumer thread per queue while the scenario sends and waits.
:func:`collect_dead_letters` plays a rejecting consumer on a source queue while watching its
dead-letter queue. :func:`still_stored` probes which payload objects still exist.

Seam for a concurrent pipeline: :meth:`QueueWatch.poll` and :meth:`QueueWatch.handle` are safe to
call from several threads on one watch (deliveries are recorded under a lock), so a pool of
receivers per queue can replace the single thread :class:`Watching` starts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from types import TracebackType
from typing import Any, Self

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.console import TransferProgress
from harness.errors import HarnessError, ServiceUnavailableError
from harness.payload.consumer import Consumer, ConsumeSettings
from harness.payload.message import ReceivedMessage
from harness.payload.outcome import Expected
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.facts import Delivery
from harness.scenario.oneline import one_line
from harness.scenario.send import PROGRESS_MIN_BYTES

log = logging.getLogger(__name__)

POLL_WAIT_SECONDS = 1  # long-poll slice: short, so deadlines are honoured closely
WATCH_JOIN_SECONDS = 600.0  # bound on finishing an in-flight verify after the scenario ended
# A receipt handle that expired meanwhile: the message comes back and then counts as a duplicate.
STALE_RECEIPT_CODES = ("ReceiptHandleIsInvalid", "InvalidParameterValue", "MessageNotInflight")


def consumer_for(manifest: Manifest, sessions: Sessions, queue: str, delete_payloads: bool, bucket_region: str | None) -> Consumer:
    """A consumer acting as the queue's owner; payloads are read in the bucket's region."""
    entry = manifest.queues[queue]
    sqs = sessions.client("sqs", entry.account, entry.region)
    s3 = sessions.client("s3", entry.account, bucket_region or entry.region)
    settings = ConsumeSettings(delete_payload=delete_payloads, wait_seconds=POLL_WAIT_SECONDS)
    return Consumer(sqs, s3, entry.url, settings)


def ack(consumer: Consumer, queue: str, msg: ReceivedMessage, delete_payload: bool) -> None:
    """Acknowledge (delete) one message; an expired receipt handle is logged, not fatal."""
    try:
        consumer.delete(msg, delete_payload=delete_payload)
    except ClientError as exc:
        if retry.error_code(exc) not in STALE_RECEIPT_CODES:
            raise
        log.warning("queue %s: could not acknowledge a message (%s); it will be redelivered", queue, retry.error_code(exc))


class QueueWatch:
    """One queue's findings: the scenario's deliveries, or the error that stopped its consumer."""

    def __init__(
        self,
        name: str,
        consumer: Consumer,
        token: str,
        run_id: str,
        expected: Mapping[str, Expected],
        delete_payloads: bool = False,
        show_progress: bool = False,
    ):
        self.name, self.consumer = name, consumer
        self.mine_prefix, self.run_prefix = f"{token}.", f"{run_id}."
        self.expected = expected  # correlation id -> size and sha256, filled by the sender
        self.delete_payloads, self.show_progress = delete_payloads, show_progress
        self.error: str | None = None  # one line
        self.unreachable = False  # the error was the endpoint going away
        self._deliveries: list[Delivery] = []
        self._lock = threading.Lock()

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def received(self) -> int:
        """How many distinct messages of the scenario arrived."""
        with self._lock:
            return len({d.correlation_id for d in self._deliveries})

    def poll(self, wait_seconds: int | None = None) -> None:
        """One ReceiveMessage (up to 10 messages), each handled."""
        for msg in self.consumer.receive(max_messages=10, wait_seconds=wait_seconds):
            self.handle(msg)

    def handle(self, msg: ReceivedMessage) -> None:
        cid = msg.correlation_id or ""
        if cid.startswith(self.mine_prefix):
            verdict = self.consumer.verify(msg, self.expected.get(cid), self._progress(cid, msg))
            # Received = the consumer holds the verified payload (per message, not per batch).
            delivery = Delivery(cid, time.time(), verdict.outcome, verdict.detail, msg.timestamps)
            with self._lock:
                self._deliveries.append(delivery)
            ack(self.consumer, self.name, msg, self.delete_payloads)
        elif cid.startswith(self.run_prefix):
            log.info("queue %s: deleting a stale message of this run (%s)", self.name, cid)
            ack(self.consumer, self.name, msg, False)
        # anything else is not ours: leave it for its owner

    def _progress(self, cid: str, msg: ReceivedMessage) -> Any:
        size = msg.declared_size or 0
        if not self.show_progress or size < PROGRESS_MIN_BYTES:
            return None
        bar = TransferProgress(f"{self.name} {cid.rsplit('.', 1)[-1]} download", size)
        return lambda chunk: bar.add(len(chunk))

    def run(self, stop: threading.Event) -> None:
        """Thread body: poll until ``stop`` is set; any error ends up in ``self.error``."""
        try:
            while not stop.is_set():
                self.poll()
        except ServiceUnavailableError as exc:
            self.fail(one_line(exc), unreachable=True)
        except (HarnessError, ClientError, BotoCoreError) as exc:
            self.fail(one_line(exc))
        except Exception as exc:  # thread boundary: an unexpected error must reach the scenario, not vanish
            log.exception("consumer of queue %s crashed", self.name)
            self.fail(f"unexpected {type(exc).__name__}: {one_line(exc)}")

    def fail(self, error: str, unreachable: bool = False) -> None:
        if self.error is None:
            self.error, self.unreachable = error, unreachable


class Watching:
    """One consumer thread per queue, from ``with`` until :meth:`stop` (or the block's end)."""

    def __init__(self, watches: Iterable[QueueWatch]):
        self.watches = list(watches)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=w.run, args=(self._stop,), daemon=True, name=f"watch-{w.name}") for w in self.watches]

    def __enter__(self) -> Self:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        for t, w in zip(self._threads, self.watches):
            # A watcher may be mid-way through verifying a large payload: let it finish, bounded.
            t.join(timeout=POLL_WAIT_SECONDS + WATCH_JOIN_SECONDS)
            if t.is_alive():
                w.fail(f"still busy {WATCH_JOIN_SECONDS:.0f}s after the scenario ended; its deliveries cannot be trusted")

    def failed(self) -> QueueWatch | None:
        return next((w for w in self.watches if w.error), None)


def collect_dead_letters(source: Consumer, dlq: QueueWatch, mine: Collection[str], within: float) -> dict[str, int]:
    """Reject the scenario's messages on ``source`` (receive, never delete) until all of ``mine``
    reached the dead-letter queue watched by ``dlq``, or ``within`` seconds passed.

    Returns how many times each message was rejected. Errors propagate (no thread here).
    """
    rejected: dict[str, int] = defaultdict(int)
    deadline = time.time() + within
    while time.time() < deadline and dlq.received() < len(mine):
        for msg in source.receive(max_messages=10, visibility_timeout=0):
            # visibility 0 = reject: the message is immediately receivable again, count + 1
            if msg.correlation_id in mine:
                rejected[msg.correlation_id] += 1
        dlq.poll(wait_seconds=0)
    return dict(rejected)


def still_stored(s3: Any, pointers: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (bucket, key) payload objects still exist."""
    left: set[tuple[str, str]] = set()
    for bucket, key in pointers:
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if retry.error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                continue
            raise
        left.add((bucket, key))
    return left
