"""The consumer side of a scenario with a fake consumer: isolation, acknowledgement, errors."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from botocore import exceptions as bce

from harness.errors import ServiceUnavailableError
from harness.payload.message import BodyKind, MessageTimestamps, ReceivedMessage
from harness.payload.outcome import Expected, Outcome, Verdict
from harness.scenario.execute.watch import QueueWatch

RUN = "run1"
TOKEN = f"{RUN}.sc.ab12cd"
TS = MessageTimestamps(None, None, 1, 2, 3)


def msg(cid: str | None, handle: str = "h") -> ReceivedMessage:
    return ReceivedMessage("http://q", f"id-{cid}", handle, BodyKind.INLINE, TS, body="x", correlation_id=cid)


@dataclass
class FakeConsumer:
    batches: list[list[ReceivedMessage]] = field(default_factory=list)
    deleted: list[tuple[str | None, bool]] = field(default_factory=list)
    verified: list[tuple[str | None, Expected | None]] = field(default_factory=list)
    delete_error: Exception | None = None
    receive_error: Exception | None = None
    receives: list[dict[str, Any]] = field(default_factory=list)

    def receive(self, **kwargs: Any) -> list[ReceivedMessage]:
        self.receives.append(kwargs)
        if self.receive_error is not None:
            raise self.receive_error
        return self.batches.pop(0) if self.batches else []

    def verify(self, message: ReceivedMessage, expected: Expected | None = None, sink: Any = None) -> Verdict:
        self.verified.append((message.correlation_id, expected))
        return Verdict(Outcome.INTACT, "ok")

    def delete(self, message: ReceivedMessage, delete_payload: bool | None = None) -> None:
        if self.delete_error is not None:
            raise self.delete_error
        self.deleted.append((message.correlation_id, bool(delete_payload)))


def _watch(consumer: FakeConsumer, expected: dict[str, Expected] | None = None, delete_payloads: bool = True) -> QueueWatch:
    return QueueWatch("q", consumer, TOKEN, RUN, expected or {}, delete_payloads)  # type: ignore[arg-type]


def test_own_messages_are_verified_and_acked_stale_ones_deleted_foreign_ones_left() -> None:
    consumer = FakeConsumer([[msg(f"{TOKEN}.0"), msg(f"{RUN}.older.ff0000.3"), msg("someone-else.1"), msg(None), msg(f"{TOKEN}.0")]])
    expected = {f"{TOKEN}.0": Expected(1, "abc")}
    w = _watch(consumer, expected)
    w.poll()
    assert consumer.verified == [(f"{TOKEN}.0", expected[f"{TOKEN}.0"])] * 2
    assert consumer.deleted == [(f"{TOKEN}.0", True), (f"{RUN}.older.ff0000.3", False), (f"{TOKEN}.0", True)]
    assert [(d.correlation_id, d.outcome, d.timestamps) for d in w.deliveries()] == [(f"{TOKEN}.0", Outcome.INTACT, TS)] * 2
    assert w.received() == 1


def test_an_expired_receipt_handle_is_not_fatal_but_other_errors_are() -> None:
    expired = bce.ClientError({"Error": {"Code": "ReceiptHandleIsInvalid", "Message": "gone"}}, "DeleteMessage")
    consumer = FakeConsumer([[msg(f"{TOKEN}.0")]], delete_error=expired)
    w = _watch(consumer)
    w.poll()
    assert w.received() == 1 and w.error is None
    denied = bce.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteMessage")
    consumer = FakeConsumer([[msg(f"{TOKEN}.0")]], delete_error=denied)
    w = _watch(consumer)
    w.run(threading.Event())
    assert w.error is not None and w.error.startswith("An error occurred (AccessDenied)") and not w.unreachable


def test_an_unreachable_endpoint_ends_the_watch_with_one_line() -> None:
    cause = bce.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/q?Action=ReceiveMessage&x=1")
    err = ServiceUnavailableError(f"sqs.ReceiveMessage: {cause.kwargs['endpoint_url']} is unreachable ({cause})")
    err.__cause__ = cause
    w = _watch(FakeConsumer(receive_error=err))
    w.run(threading.Event())
    assert w.unreachable is True
    assert w.error == (
        "endpoint unreachable: cannot reach http://127.0.0.1:9 (connection refused); check that LocalStack is running "
        "(`harness emulator status`) or that the endpoint URL / network route to AWS is right"
    )


