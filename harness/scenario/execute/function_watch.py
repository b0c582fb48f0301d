"""The consumer side of a scenario whose messages end in a Lambda function: its receipts.

The kit's handler (:mod:`harness.payload.function_consumer`) writes one receipt per message it
handled to the function's receipts queue. A :class:`FunctionWatch` is a
:class:`~harness.scenario.execute.watch.QueueWatch` of that queue, run by the same receiver pool:
it classifies each receipt by the correlation id it names (this scenario's, an earlier one's of the
run, anyone else's), turns this scenario's into :class:`~harness.scenario.judge.facts.Delivery`
facts (an acknowledged message: delivered, judged against what the sender registered) or records
what the function did instead (rejected, failed on purpose), and acknowledges the receipt.

The function verified the payload with the harness's own consumer code; the harness compares what
it read (bytes, sha256) with what was sent, as it does for its own deliveries.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.payload.consumer import Consumer, ConsumeSettings
from harness.payload.function_consumer import ACK
from harness.payload.message import MessageTimestamps, ReceivedMessage
from harness.payload.outcome import Expected, Outcome, judge
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.execute.watch import FOREIGN, MINE, POLL_WAIT_SECONDS, STALE, QueueWatch
from harness.scenario.judge.facts import Delivery

log = logging.getLogger(__name__)

FUNCTION_WATCH_PREFIX = "function "  # a watch's key: no queue name has a space
_READ_TO_THE_END = {Outcome.INTACT.value, Outcome.UNVERIFIED.value, Outcome.CORRUPTED.value, Outcome.TRUNCATED.value}


def function_key(function: str) -> str:
    """The key of a function's watch among the scenario's watches (queues are keyed by name)."""
    return FUNCTION_WATCH_PREFIX + function


def function_of(key: str) -> str | None:
    return key[len(FUNCTION_WATCH_PREFIX):] if key.startswith(FUNCTION_WATCH_PREFIX) else None


@dataclass(frozen=True)
class Receipt:
    """What the function did with one message (its receipt, read back)."""

    correlation_id: str
    action: str  # ack | reject | fail
    receive: int
    outcome: str
    detail: str
    bytes: int
    sha256: str | None
    offloaded: bool
    bucket: str | None
    key: str | None
    invoked_at: float
    done_at: float
    timestamps: MessageTimestamps
    request_id: str
    batch_size: int
    payload_deleted: bool | None

    @classmethod
    def parse(cls, body: str | None) -> Receipt | None:
        try:
            r: dict[str, Any] = json.loads(body or "")
            ts = MessageTimestamps(None, r.get("sns_timestamp_ms"), r.get("sent_timestamp_ms"), r.get("first_receive_timestamp_ms"),
                                   int(r["invoked_at_ms"]))
            return cls(str(r["correlation_id"]), str(r["action"]), int(r.get("receive") or 1), str(r["outcome"]), str(r.get("detail", "")),
                       int(r.get("bytes") or 0), r.get("sha256"), bool(r.get("offloaded")), r.get("bucket"), r.get("key"),
                       r["invoked_at_ms"] / 1000.0, r["done_at_ms"] / 1000.0, ts, str(r.get("request_id", "")), int(r.get("batch_size") or 1),
                       r.get("payload_deleted"))
        except (ValueError, KeyError, TypeError):
            return None


def function_consumer(manifest: Manifest, sessions: Sessions, function: str) -> Consumer:
    """A consumer of the function's receipts queue, acting as the function's account."""
    entry = manifest.functions[function]
    sqs = sessions.client("sqs", entry.account, entry.region)
    s3 = sessions.client("s3", entry.account, entry.region)  # receipts carry no payloads
    return Consumer(sqs, s3, entry.receipts_url, ConsumeSettings(delete_payload=False, wait_seconds=POLL_WAIT_SECONDS, retry=sessions.retry_policy))


class FunctionWatch(QueueWatch):
    """One function's findings: its acknowledged deliveries (``deliveries()``) and every receipt of
    the scenario's messages (``receipts()``, rejections and failures included)."""

    def __init__(self, function: str, consumer: Consumer, token: str, run_id: str, expected: Mapping[str, Expected]):
        super().__init__(function_key(function), consumer, token, run_id, expected)
        self.function = function
        self._receipts: list[Receipt] = []
        self._acked: set[tuple[str, float]] = set()  # (correlation id, done at) of acknowledging receipts
        self._receipt_lock = threading.Lock()

    @staticmethod
    def key_of(function: str) -> str:
        return function_key(function)

    def receipts(self) -> list[Receipt]:
        with self._receipt_lock:
            return list(self._receipts)

    def classify(self, msg: ReceivedMessage) -> str:
        receipt = Receipt.parse(msg.body)
        if receipt is None:
            log.warning("function %s: an unreadable receipt in its receipts queue, left there: %.200s", self.function, msg.body)
            return FOREIGN
        cid = receipt.correlation_id
        if cid.startswith(self.mine_prefix):
            return MINE
        return STALE if cid.startswith(self.run_prefix) else FOREIGN

    def check(self, msg: ReceivedMessage) -> Delivery:
        receipt = Receipt.parse(msg.body)
        assert receipt is not None  # classify said MINE
        with self._receipt_lock:
            self._receipts.append(receipt)
            if receipt.action == ACK:
                self._acked.add((receipt.correlation_id, receipt.done_at))
        outcome, detail = self._judged(receipt)
        return Delivery(receipt.correlation_id, receipt.done_at, outcome, detail, receipt.timestamps, receipt.invoked_at)

    def record(self, delivery: Delivery) -> None:
        """Only acknowledged messages are deliveries (a rejected one comes back, or goes to a DLQ)."""
        with self._receipt_lock:
            acked = (delivery.correlation_id, delivery.t_recv) in self._acked
        if acked:
            super().record(delivery)

    def _judged(self, receipt: Receipt) -> tuple[Outcome, str]:
        """The function's verdict, compared with what the sender registered when it read the payload to its end."""
        expected = self.expected.get(receipt.correlation_id)
        if expected is None or receipt.outcome not in _READ_TO_THE_END or receipt.sha256 is None:
            return Outcome(receipt.outcome), f"function {self.function}: {receipt.detail}"
        verdict = judge(bytes_read=receipt.bytes, actual_sha256=receipt.sha256, expected_size=expected.size, size_source="the sender",
                        expected_sha256=expected.sha256, sha256_source="the sender", offloaded=receipt.offloaded, bucket=receipt.bucket,
                        key=receipt.key)
        return verdict.outcome, f"function {self.function}: {verdict.detail}"
