"""The consumer side of a function's on-failure destination: Lambda's records of failed invocations.

When an asynchronous invocation of a function (SNS invokes it so) failed for good — its retries
exhausted, or the event too old for another — Lambda sends a *record* to the function's on-failure
destination, a queue: the failure context (``requestContext``: the function's ARN, the condition,
``approximateInvokeCount``), the event it failed on (``requestPayload``: for SNS, the SNS event)
and what the function answered (``responseContext``, ``responsePayload``)::

    {"version": "1.0", "timestamp": "…",
     "requestContext": {"requestId": "…", "functionArn": "arn:…:function:hx-r1-c-fn:$LATEST",
                        "condition": "RetriesExhausted", "approximateInvokeCount": 1},
     "requestPayload": {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "…", "MessageAttributes": {…}, …}}]},
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
     "responsePayload": {"errorMessage": "…", "errorType": "Rejected"}}

A :class:`FailureWatch` is a :class:`~harness.scenario.execute.watch.QueueWatch` of that queue: it
recovers the kit's message from ``requestPayload`` the way the kit's Lambda consumer reads an SNS
record (:func:`harness.payload.function_consumer.records`: correlation id, inline payload or S3
pointer, attributes), classifies the record by that correlation id, verifies the message as the
queue's account (the payload read to its end against what the sender registered) and keeps the
failure context of every record of the scenario (:meth:`FailureWatch.records`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.payload.consumer import Consumer
from harness.payload.function_consumer import records
from harness.payload.message import ReceivedMessage
from harness.payload.outcome import Expected
from harness.scenario.execute.watch import FOREIGN, MINE, STALE, QueueWatch
from harness.scenario.judge.facts import Delivery

log = logging.getLogger(__name__)

FAILURE_WATCH_PREFIX = "on-failure "  # a watch's key: no queue name has a space
RETRIES_EXHAUSTED, EVENT_AGE_EXCEEDED = "RetriesExhausted", "EventAgeExceeded"


def failure_key(queue: str) -> str:
    """The key of an on-failure destination's watch among the scenario's watches."""
    return FAILURE_WATCH_PREFIX + queue


def failure_queue_of(key: str) -> str | None:
    return key[len(FAILURE_WATCH_PREFIX):] if key.startswith(FAILURE_WATCH_PREFIX) else None


@dataclass(frozen=True)
class FailureRecord:
    """One record Lambda sent to the on-failure destination: the failure context and the kit's
    message recovered from the event (``message``; None when the event holds none)."""

    function_arn: str
    condition: str  # RetriesExhausted | EventAgeExceeded | …
    invoke_count: int  # approximateInvokeCount
    request_id: str
    error_type: str
    error_message: str
    message: ReceivedMessage | None

    @property
    def correlation_id(self) -> str:
        return (self.message.correlation_id or "") if self.message is not None else ""

    @classmethod
    def parse(cls, body: str | None, received_ms: int) -> FailureRecord | None:
        """The record in ``body``, or None when it is not one (no ``requestContext``)."""
        try:
            data: dict[str, Any] = json.loads(body or "")
            context = data["requestContext"]
            response = data.get("responsePayload") or {}
            payload = data.get("requestPayload") or {}
            found = records(payload, received_ms, {}) if isinstance(payload, dict) else []
            return cls(
                str(context.get("functionArn", "")), str(context.get("condition", "")), int(context.get("approximateInvokeCount") or 0),
                str(context.get("requestId", "")),
                str(response.get("errorType", "")) if isinstance(response, dict) else "",
                str(response.get("errorMessage", ""))[:300] if isinstance(response, dict) else "",
                found[0].message if found else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class FailureWatch(QueueWatch):
    """One on-failure destination's findings: the scenario's messages it holds records of
    (``deliveries()``, verified) and the records themselves (``records()``)."""

    def __init__(self, queue: str, consumer: Consumer, token: str, run_id: str, expected: Mapping[str, Expected]):
        super().__init__(failure_key(queue), consumer, token, run_id, expected)
        self.queue = queue
        self._records: list[FailureRecord] = []
        self._records_lock = threading.Lock()

    @staticmethod
    def key_of(queue: str) -> str:
        return failure_key(queue)

    def records(self) -> list[FailureRecord]:
        with self._records_lock:
            return list(self._records)

    def classify(self, msg: ReceivedMessage) -> str:
        record = FailureRecord.parse(msg.body, msg.timestamps.received_at_ms)
        if record is None or record.message is None:
            log.warning("queue %s: a message that is no record of a failed invocation, left there: %.200s", self.queue, msg.body)
            return FOREIGN
        cid = record.correlation_id
        if cid.startswith(self.mine_prefix):
            return MINE
        return STALE if cid.startswith(self.run_prefix) else FOREIGN

    def check(self, msg: ReceivedMessage) -> Delivery:
        record = FailureRecord.parse(msg.body, msg.timestamps.received_at_ms)
        assert record is not None and record.message is not None  # classify said MINE
        with self._records_lock:
            self._records.append(record)
        inner = record.message
        verdict = self.consumer.verify(inner, self.expected.get(record.correlation_id))
        return Delivery(record.correlation_id, time.time(), verdict.outcome, f"on-failure record in {self.queue}: {verdict.detail}",
                        inner.timestamps, receive_count=msg.receive_count)
