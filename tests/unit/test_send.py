"""The publisher side of a scenario with a fake publisher: plan, schedule, and the send log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.errors import ServiceUnavailableError
from harness.payload import wire
from harness.payload.outcome import Expected
from harness.scenario.execute.send import Pacer, Sender, SendLog, plan
from harness.scenario.format.model import Send, Size

TOKEN = "run.sc.ab12cd"


@dataclass
class FakePublished:
    sha256: str
    pointer: wire.S3Pointer | None


@dataclass
class FakePublisher:
    """Accepts ``fail_at`` publishes, then raises like the retry layer does for a dead endpoint."""

    fail_at: int | None = None
    offload: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)

    def to_queue(self, url: str, source: Any, **kwargs: Any) -> FakePublished:
        if self.fail_at is not None and len(self.calls) >= self.fail_at:
            raise ServiceUnavailableError("sqs.SendMessage: http://127.0.0.1:1 is unreachable")
        self.calls.append({"url": url, "size": source.size, **kwargs})
        n = len(self.calls)
        return FakePublished(source.sha256(), wire.S3Pointer("b", f"k{n}") if self.offload else None)

    to_topic = to_queue


def _send(**kw: Any) -> Send:
    return Send(account="A", region="us-east-1", queue="q", **kw)


def test_plan_numbers_sizes_groups_and_warmup() -> None:
    sizes = (Size("1KiB", 1024), Size("2KiB", 2048))
    out = plan(_send(count=3, sizes=sizes, group="g", dedup="repeat", warmup=1), TOKEN)
    assert [(o.seq, o.correlation_id, o.size, o.deduplication_id, o.copies, o.warmup) for o in out] == [
        (0, f"{TOKEN}.0", 1024, f"{TOKEN}-0", 2, True),
        (1, f"{TOKEN}.1", 2048, f"{TOKEN}-1", 2, False),
        (2, f"{TOKEN}.2", 1024, f"{TOKEN}-2", 2, False),
    ]
    plain = plan(_send(count=1), TOKEN)[0]
    assert (plain.group, plain.deduplication_id, plain.copies) == (None, None, 1)
    # The payload is a function of the correlation id: the consumer side can rebuild it.
    assert plain.payload().sha256() == plan(_send(count=1), TOKEN)[0].payload().sha256()


def test_pacer_is_an_open_loop_schedule() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(round(s, 6))
        now[0] += s

    pacer = Pacer(4.0, clock=lambda: now[0], sleep=sleep)
    assert [pacer.due(i) for i in range(3)] == [100.0, 100.25, 100.5]
    pacer.wait_for(0)
    pacer.wait_for(1)
    now[0] = 101.0  # the sender stalled: messages 2..4 are overdue and go at once, no drift
    pacer.wait_for(2)
    pacer.wait_for(4)
    pacer.wait_for(5)
    assert slept == [0.25, 0.25]
    unpaced = Pacer(None, clock=lambda: now[0], sleep=sleep)
    unpaced.wait_for(1000)
    assert slept == [0.25, 0.25]


def test_every_message_is_logged_when_its_publish_returns_so_a_failure_keeps_the_count() -> None:
    publisher, log, expected = FakePublisher(fail_at=3), SendLog(), {}
    sender = Sender(publisher, "http://q", False, {"kind": "x"}, expected, log)  # type: ignore[arg-type]
    with pytest.raises(ServiceUnavailableError):
        sender.send_all(plan(_send(count=5), TOKEN), Pacer(None))
    assert [s.seq for s in log.snapshot()] == [0, 1, 2] and len(log) == 3
    # The 4th message was registered for the consumers before its publish failed.
    assert set(expected) == {f"{TOKEN}.{i}" for i in range(4)}
    assert expected[f"{TOKEN}.0"] == Expected(1024, log.snapshot()[0].sha256)
    assert publisher.calls[0]["attributes"] == {"kind": {"DataType": "String", "StringValue": "x"}}


def test_a_repeated_fifo_message_is_one_sent_record_with_the_first_copys_pointer() -> None:
    publisher, log = FakePublisher(offload=True), SendLog()
    sender = Sender(publisher, "http://q.fifo", False, {}, {}, log)  # type: ignore[arg-type]
    sender.send_all(plan(_send(count=2, group="g", dedup="repeat"), TOKEN), Pacer(None))
    assert len(publisher.calls) == 4
    assert [c["deduplication_id"] for c in publisher.calls] == [f"{TOKEN}-0", f"{TOKEN}-0", f"{TOKEN}-1", f"{TOKEN}-1"]
    assert [(s.seq, s.group, s.pointer) for s in log.snapshot()] == [(0, "g", ("b", "k1")), (1, "g", ("b", "k3"))]
