"""The receiver pool with a fake queue: several receivers, verification off the receive loop, batched
deletes, FIFO delivery order, duplicates still counted, and the byte budget."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from harness.payload.consumer import ConsumeSettings
from harness.payload.message import BodyKind, MessageTimestamps, ReceivedMessage
from harness.payload.outcome import Expected, Outcome, Verdict
from harness.payload.wire import S3Pointer
from harness.scenario.execute.budget import ByteBudget, transfer_window
from harness.scenario.execute.receive_pool import ReceiverPool, Watching
from harness.scenario.execute.watch import QueueWatch

RUN = "run1"
TOKEN = f"{RUN}.sc.ab12cd"
TS = MessageTimestamps(None, None, 1, 2, 3)


def msg(cid: str, handle: str | None = None, group: str | None = None) -> ReceivedMessage:
    return ReceivedMessage("http://q", f"id-{cid}", handle or f"h-{cid}", BodyKind.INLINE, TS, body="x", correlation_id=cid, group_id=group)


def offloaded(cid: str) -> ReceivedMessage:
    pointer = S3Pointer("b", f"k-{cid}")
    return ReceivedMessage("http://q", f"id-{cid}", f"h-{cid}", BodyKind.POINTER, TS, pointer=pointer, declared_size=5 << 20, correlation_id=cid)


@dataclass
class FakeSqs:
    deleted_batches: list[list[str]] = field(default_factory=list)
    fail_codes: dict[str, str] = field(default_factory=dict)  # receipt handle -> error code

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:  # noqa: N803
        return {"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q"}}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:  # noqa: N803
        self.deleted_batches.append([e["ReceiptHandle"] for e in Entries])
        failed = [{"Id": e["Id"], "Code": self.fail_codes[e["ReceiptHandle"]], "SenderFault": self.fail_codes[e["ReceiptHandle"]] != "RuntimeError"}
                  for e in Entries if e["ReceiptHandle"] in self.fail_codes]
        return {"Successful": [{"Id": e["Id"]} for e in Entries if e["ReceiptHandle"] not in self.fail_codes], "Failed": failed}


@dataclass
class FakeConsumer:
    batches: list[list[ReceivedMessage]] = field(default_factory=list)
    verify_delay: float = 0.0
    sqs: FakeSqs = field(default_factory=FakeSqs)
    s3: Any = None
    queue_url: str = "http://q"
    settings: ConsumeSettings = field(default_factory=ConsumeSettings)
    lock: threading.Lock = field(default_factory=threading.Lock)
    receivers_seen: set[str] = field(default_factory=set)
    verifiers_seen: set[str] = field(default_factory=set)

    def receive(self, **kwargs: Any) -> list[ReceivedMessage]:
        with self.lock:
            self.receivers_seen.add(threading.current_thread().name)
            batch = self.batches.pop(0) if self.batches else None
        if batch is None:
            time.sleep(0.01)
            return []
        return batch

    def verify(self, message: ReceivedMessage, expected: Expected | None = None, sink: Any = None) -> Verdict:
        with self.lock:
            self.verifiers_seen.add(threading.current_thread().name)
        time.sleep(self.verify_delay)
        return Verdict(Outcome.INTACT, "ok")


def _watch(consumer: FakeConsumer) -> QueueWatch:
    return QueueWatch("q", consumer, TOKEN, RUN, {}, delete_payloads=False)  # type: ignore[arg-type]


def _wait_for(predicate: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_offloaded_payloads_are_verified_off_the_receive_loop() -> None:
    mine = [offloaded(f"{TOKEN}.{i}") for i in range(40)]
    consumer = FakeConsumer([mine[i:i + 10] for i in range(0, 40, 10)] + [[msg(f"{RUN}.older.ff.1"), msg("someone.else.1")]],
                            verify_delay=0.02)
    w = _watch(consumer)
    with Watching([w], {"q": 4}):
        _wait_for(lambda: w.received() == 40)
    assert w.received() == 40 and w.error is None
    assert len(consumer.verifiers_seen) > 1 and all(n.startswith("verify-q") for n in consumer.verifiers_seen)
    assert all(n.startswith("recv-q") for n in consumer.receivers_seen)
    deleted = [h for b in consumer.sqs.deleted_batches for h in b]
    assert sorted(deleted) == sorted([f"h-{TOKEN}.{i}" for i in range(40)] + [f"h-{RUN}.older.ff.1"])
    assert "h-someone.else.1" not in deleted  # not ours: left for its owner
    assert all(len(b) <= 10 for b in consumer.sqs.deleted_batches)


def test_inline_messages_are_checked_on_the_receiving_thread() -> None:
    consumer = FakeConsumer([[msg(f"{TOKEN}.{i}") for i in range(10)]])
    w = _watch(consumer)
    with Watching([w], {"q": 2}):
        _wait_for(lambda: w.received() == 10)
    assert w.received() == 10 and consumer.verifiers_seen and all(n.startswith("recv-q") for n in consumer.verifiers_seen)
    assert consumer.sqs.deleted_batches == [[f"h-{TOKEN}.{i}" for i in range(10)]]  # one DeleteMessageBatch


def test_a_redelivered_message_is_recorded_twice_so_the_duplicate_is_counted() -> None:
    consumer = FakeConsumer([[msg(f"{TOKEN}.0", "h1")], [msg(f"{TOKEN}.0", "h2")]])
    w = _watch(consumer)
    with Watching([w]):
        _wait_for(lambda: len(w.deliveries()) == 2)
    assert [d.correlation_id for d in w.deliveries()] == [f"{TOKEN}.0"] * 2 and w.received() == 1


def test_fifo_messages_of_a_group_are_delivered_in_the_order_received() -> None:
    batch = [msg(f"{TOKEN}.{i}", group="g1") for i in range(10)]
    consumer = FakeConsumer([batch], verify_delay=0.005)
    w = _watch(consumer)
    pool = ReceiverPool(w, receivers=4)
    pool.start()
    _wait_for(lambda: w.received() == 10)
    assert pool.stop(5.0)
    assert [d.correlation_id for d in w.deliveries()] == [f"{TOKEN}.{i}" for i in range(10)]


def test_a_refused_delete_fails_the_watch_but_an_expired_handle_or_a_service_fault_does_not() -> None:
    consumer = FakeConsumer([[msg(f"{TOKEN}.0"), msg(f"{TOKEN}.1"), msg(f"{TOKEN}.2")]])
    consumer.sqs.fail_codes = {f"h-{TOKEN}.0": "ReceiptHandleIsInvalid", f"h-{TOKEN}.1": "RuntimeError"}
    w = _watch(consumer)
    with Watching([w]):
        _wait_for(lambda: w.received() == 3)
    assert w.error is None
    consumer = FakeConsumer([[msg(f"{TOKEN}.0")]])
    consumer.sqs.fail_codes = {f"h-{TOKEN}.0": "AccessDenied"}
    w = _watch(consumer)
    with Watching([w]) as watching:
        _wait_for(lambda: w.error is not None)
    assert watching.failed() is w and "DeleteMessageBatch refused a message: AccessDenied" in (w.error or "")


def test_the_byte_budget_bounds_transfers_in_flight() -> None:
    budget = ByteBudget(2 * transfer_window())
    active, peak = [0], [0]
    lock = threading.Lock()

    def transfer(size: int) -> None:
        with budget.reserve(size):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.02)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=transfer, args=(2 << 30,)) for _ in range(6)]  # six 2 GiB payloads
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2 and budget.peak_reserved == 2 * transfer_window()
    small = ByteBudget(10)
    with small.reserve(1 << 30) as held:  # larger than the whole budget: clamped, runs alone
        assert held == 10
