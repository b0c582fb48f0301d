"""The consumer side of a scenario: watch queues, verify and acknowledge the scenario's messages.

Isolation: every message carries a correlation id ``<run-id>.<scenario token>.<seq>``. A
:class:`QueueWatch` acts only on its own scenario's messages (verify, record a :class:`Delivery`,
acknowledge), deletes stale ones of the same run (earlier scenarios' leftovers) and leaves anything
else untouched for its owner.

:class:`~harness.scenario.execute.receive_pool.Watching` runs a pool of receivers per queue while the
scenario sends and waits; :meth:`QueueWatch.run` is the single-threaded loop.
:func:`still_stored` probes which payload objects still exist, :func:`list_payloads` lists a
scenario's. (A rejecting consumer is the ``consumer_reject`` fault: :mod:`harness.scenario.faults`.)

:meth:`QueueWatch.poll`, :meth:`QueueWatch.handle` and the steps they are made of
(:meth:`~QueueWatch.classify`, :meth:`~QueueWatch.check`, :meth:`~QueueWatch.record`) are safe to
call from several threads on one watch (deliveries are recorded under a lock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.console import TransferProgress
from harness.errors import HarnessError, ServiceUnavailableError
from harness.payload.consumer import Consumer, ConsumeSettings
from harness.payload.message import ReceivedMessage
from harness.payload.outcome import Expected
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.execute.oneline import one_line
from harness.scenario.execute.send import PROGRESS_MIN_BYTES
from harness.scenario.judge.facts import Delivery

log = logging.getLogger(__name__)

POLL_WAIT_SECONDS = 1  # long-poll slice: short, so deadlines are honoured closely
WATCH_JOIN_SECONDS = 600.0  # bound on finishing an in-flight verify after the scenario ended
# A receipt handle that expired meanwhile: the message comes back and then counts as a duplicate.
MINE, STALE, FOREIGN = "mine", "stale", "foreign"
STALE_RECEIPT_CODES = ("ReceiptHandleIsInvalid", "InvalidParameterValue", "MessageNotInflight")


class ConsumerBehaviour(Protocol):
    """How a faulty consumer departs from the harness's (:mod:`harness.scenario.faults.consumer`)."""

    def paused(self) -> bool:
        """True while the consumer is stopped: its receivers do not poll."""
        ...

    def intercept(self, watch: QueueWatch, messages: list[ReceivedMessage]) -> list[ReceivedMessage]:
        """Act on the received messages it takes (crash, reject, slow, …); the rest are handled as usual."""
        ...


def consumer_for(manifest: Manifest, sessions: Sessions, queue: str, delete_payloads: bool, bucket_region: str | None) -> Consumer:
    """A consumer acting as the queue's owner; payloads are read in the bucket's region."""
    entry = manifest.queues[queue]
    sqs = sessions.client("sqs", entry.account, entry.region)
    s3 = sessions.client("s3", entry.account, bucket_region or entry.region)
    # The target's retry policy: on AWS it also waits out propagation right after an apply.
    settings = ConsumeSettings(delete_payload=delete_payloads, wait_seconds=POLL_WAIT_SECONDS, retry=sessions.retry_policy)
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
        self._distinct: set[str] = set()  # correlation ids delivered (the scenario's wait asks often)
        self._lock = threading.Lock()
        self.behaviour: ConsumerBehaviour | None = None  # a consumer fault, while it is on

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def received(self) -> int:
        """How many distinct messages of the scenario arrived."""
        with self._lock:
            return len(self._distinct)

    def poll(self, wait_seconds: int | None = None) -> None:
        """One ReceiveMessage (up to 10 messages), each handled."""
        if self.behaviour is not None and self.behaviour.paused():
            return
        received = self.consumer.receive(max_messages=10, wait_seconds=wait_seconds)
        for msg in received if self.behaviour is None else self.behaviour.intercept(self, received):
            self.handle(msg)

    def handle(self, msg: ReceivedMessage) -> None:
        kind = self.classify(msg)
        if kind == MINE:
            self.record(self.check(msg))
            ack(self.consumer, self.name, msg, self.delete_payloads)
        elif kind == STALE:
            log.info("queue %s: deleting a stale message of this run (%s)", self.name, msg.correlation_id)
            ack(self.consumer, self.name, msg, False)
        # anything else is not ours: leave it for its owner

    def classify(self, msg: ReceivedMessage) -> str:
        """MINE (this scenario's), STALE (an earlier scenario's of this run) or FOREIGN."""
        cid = msg.correlation_id or ""
        if cid.startswith(self.mine_prefix):
            return MINE
        return STALE if cid.startswith(self.run_prefix) else FOREIGN

    def check(self, msg: ReceivedMessage) -> Delivery:
        """Verify one of the scenario's messages; received = the harness holds the verified payload."""
        cid = msg.correlation_id or ""
        verdict = self.consumer.verify(msg, self.expected.get(cid), self._progress(cid, msg))
        return Delivery(cid, time.time(), verdict.outcome, verdict.detail, msg.timestamps, receive_count=msg.receive_count)

    def record(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)
            self._distinct.add(delivery.correlation_id)

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


def list_payloads(s3: Any, bucket: str, prefix: str) -> dict[str, tuple[str, float]]:
    """The objects under ``prefix`` in ``bucket``: key -> (etag, last modified in epoch seconds)."""
    found: dict[str, tuple[str, float]] = {}
    token: str | None = None
    for _ in range(1000):  # bounded: 1000 pages of 1000 keys
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if token:
            kwargs["ContinuationToken"] = token
        page = retry.call("s3.ListObjectsV2", s3.list_objects_v2, **kwargs)
        for obj in page.get("Contents", []):
            found[obj["Key"]] = (str(obj.get("ETag", "")).strip('"'), obj["LastModified"].timestamp())
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            break
    return found
