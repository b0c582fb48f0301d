"""The send pool with a fake SNS client: open-loop schedule, intended send times as the latency
origin, batching limits, FIFO order per group under concurrency, errors, and the send summary."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.errors import PayloadError
from harness.payload.batch import MAX_BATCH_BYTES, MAX_BATCH_ENTRIES
from harness.payload.message import MessageTimestamps
from harness.payload.outcome import Outcome
from harness.payload.publisher import Publisher, PublishSettings
from harness.scenario.execute.send import Pacer, Sender, SendLog, plan
from harness.scenario.execute.send_pool import SendPool, send_summary
from harness.scenario.expectations import Expect
from harness.scenario.format.model import Send, Size
from harness.scenario.judge.facts import Delivery, Sent
from harness.scenario.judge.measure import PathKey
from harness.scenario.judge.verdicts import judge_expect

TOKEN = "run.sc.ab12cd"
TOPIC = "arn:aws:sns:us-east-1:111111111111:orders"


@dataclass
class FakeSns:
    """Records every PublishBatch; ``delay`` sleeps in each call, ``reject`` fails entries by id."""

    delay: Any = None  # callable (batch number) -> seconds
    reject: set[str] = field(default_factory=set)
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # correlation ids in the order SNS accepted them
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    most_in_flight: int = 0  # the most calls under way at once

    class meta:  # noqa: N801 - mimics the boto3 client attribute
        region_name = "us-east-1"

    def publish_batch(self, TopicArn: str, PublishBatchRequestEntries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        with self.lock:
            number = len(self.batches)
            self.batches.append(PublishBatchRequestEntries)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.delay is not None:
            time.sleep(self.delay(number))
        with self.lock:
            self.in_flight -= 1
        ok, failed = [], []
        for e in PublishBatchRequestEntries:
            cid = e["MessageAttributes"]["HarnessCorrelationId"]["StringValue"]
            if cid in self.reject:
                failed.append({"Id": e["Id"], "Code": "InvalidParameter", "Message": "no"})
            else:
                ok.append({"Id": e["Id"], "MessageId": f"m-{cid}"})
        with self.lock:
            self.published += [e["MessageAttributes"]["HarnessCorrelationId"]["StringValue"] for e in PublishBatchRequestEntries
                               if e["Id"] in {o["Id"] for o in ok}]
        return {"Successful": ok, "Failed": failed}

    def publish(self, TopicArn: str, **entry: Any) -> dict[str, Any]:  # noqa: N803
        """A batch of one goes as a plain Publish: recorded like a batch of one entry."""
        result = self.publish_batch(TopicArn, [{"Id": "0", **entry}])
        if result["Failed"]:
            raise AssertionError("a single Publish is not rejected entry by entry")
        return {"MessageId": result["Successful"][0]["MessageId"]}


def _sender(sns: FakeSns, log: SendLog) -> Sender:
    publisher = Publisher(None, PublishSettings(bucket="b", inline_sha256=False), sns=sns)
    return Sender(publisher, TOPIC, True, {"kind": "x"}, {}, log)


def _send(**kw: Any) -> Send:
    return Send(account="A", region="us-east-1", topic="orders", **kw)


def test_intended_send_times_follow_the_open_loop_schedule() -> None:
    now = [100.0]
    pacer = Pacer(4.0, clock=lambda: now[0], sleep=lambda s: None, wall=lambda: 1_000.0)
    assert [pacer.intended(i) for i in range(3)] == [1_000.0, 1_000.25, 1_000.5]
    assert pacer.is_due(0) and not pacer.is_due(1)
    now[0] = 100.6  # a stalled sender: 1 and 2 are overdue, 3 is not yet
    assert pacer.is_due(1) and pacer.is_due(2) and not pacer.is_due(3)
    unpaced = Pacer(None, clock=lambda: now[0], sleep=lambda s: None)
    assert unpaced.intended(5) is None and unpaced.is_due(10_000)


def test_latency_starts_at_the_intended_send_time_not_the_late_actual_send() -> None:
    # Paced at 10 msg/s, message 1 was meant to go at t=0.1 but the sender stalled until t=1.0.
    sent = [Sent(0, "c.0", 10, "0" * 64, None, 0.0, False, None, 0.0), Sent(1, "c.1", 10, "0" * 64, None, 1.0, False, None, 0.1)]
    got = [Delivery("c.0", 0.02, Outcome.INTACT, ""), Delivery("c.1", 1.02, Outcome.INTACT, "")]
    key = PathKey("A", "us-east-1", "topic:t", "B", "eu-west-1", "q")
    pct = judge_expect(Expect("q", 10.0), key, sent, got).stats.percentiles_ms()
    assert pct["max"] == pytest.approx(920.0, abs=1)  # 1.02 - 0.1, not 1.02 - 1.0
    assert sent[1].t_origin == 0.1
    unpaced = Sent(2, "c.2", 10, "0" * 64, None, 5.0, False)
    assert unpaced.t_origin == 5.0  # no schedule: from just before the publish call
    ts = MessageTimestamps(None, None, 1_000, 1_010, 1_011)
    verdict = judge_expect(Expect("q", 10.0), key, [Sent(0, "c.0", 10, "0" * 64, None, 0.9, False, None, 0.5)],
                           [Delivery("c.0", 1.030, Outcome.INTACT, "", ts)])
    hops = verdict.stats.as_dict()["hops_ms"]
    assert hops["harness_wait"]["p50"] == pytest.approx(20.0, abs=0.1)  # 1.030 s - first receive 1.010 s


def test_a_stalled_sender_catches_up_in_batches_and_is_flagged() -> None:
    # A stall longer than the 1 s lag a paced send may have (a shorter one is caught up within bounds).
    sns, log = FakeSns(delay=lambda n: 1.2 if n == 0 else 0.0), SendLog()
    pacer = Pacer(200.0)
    SendPool(_sender(sns, log), pacer, senders=1).send_all(plan(_send(count=60), TOKEN))
    sent = log.snapshot()
    assert [s.seq for s in sent] == list(range(60))
    assert all(s.t_intended == pytest.approx(pacer.start_wall + s.seq / 200.0) for s in sent)
    assert all(s.t_send >= s.t_intended - 0.002 for s in sent)
    # The first call stalled 1.2 s: the overdue messages went in full batches afterwards.
    assert max(len(b) for b in sns.batches) == MAX_BATCH_ENTRIES
    summary = send_summary(sent, 1, 200.0)
    assert summary.fell_behind and summary.lag["max"] > 1100
    assert summary.note() is not None and "fell behind" in summary.note()
    report = summary.as_dict()
    assert report["requested_rate"] == 200.0 and report["senders"] == 1 and report["lag_ms"]["count"] == 60


def test_an_on_time_schedule_is_not_flagged() -> None:
    sent = [Sent(i, f"c.{i}", 1, "0" * 64, None, 10.0 + i / 50 + 0.001, False, None, 10.0 + i / 50) for i in range(100)]
    summary = send_summary(sent, 4, 50.0)
    assert not summary.fell_behind and summary.note() is None
    assert summary.achieved_rate == pytest.approx(50.0, rel=0.01)
    burst = send_summary([Sent(i, f"c.{i}", 1, "0" * 64, None, i / 1000, False) for i in range(10)], 4, None)
    assert burst.requested_rate is None and not burst.fell_behind and burst.lag["count"] == 0


def test_batches_respect_entry_and_byte_limits() -> None:
    sns, log = FakeSns(), SendLog()
    big = Size("100KiB", 100 * 1024)
    SendPool(_sender(sns, log), Pacer(None), senders=2).send_all(plan(_send(count=25, sizes=(Size("1KiB", 1024),)), TOKEN))
    assert all(len(b) <= MAX_BATCH_ENTRIES for b in sns.batches) and sum(len(b) for b in sns.batches) == 25
    sns2, log2 = FakeSns(), SendLog()
    SendPool(_sender(sns2, log2), Pacer(None), senders=2).send_all(plan(_send(count=7, sizes=(big,)), TOKEN))
    assert all(sum(len(e["Message"]) for e in b) <= MAX_BATCH_BYTES for b in sns2.batches)
    assert max(len(b) for b in sns2.batches) == 2 and len(log2) == 7


def test_fifo_order_per_group_survives_many_senders_with_random_delays() -> None:
    rng = random.Random(7)
    delays = [rng.uniform(0, 0.01) for _ in range(200)]
    sns, log = FakeSns(delay=lambda n: delays[n % len(delays)]), SendLog()
    SendPool(_sender(sns, log), Pacer(2000.0), senders=8).send_all(plan(_send(count=150, group="g1", dedup="repeat"), TOKEN))
    firsts = [cid for i, cid in enumerate(sns.published) if cid not in sns.published[:i]]
    assert firsts == [f"{TOKEN}.{i}" for i in range(150)]
    # every message went twice (dedup: repeat), each repeat after its first copy
    assert len(sns.published) == 300 and len(log) == 150
    dedup_ids = [e["MessageDeduplicationId"] for b in sns.batches for e in b]
    assert sorted(set(dedup_ids)) == sorted(f"{TOKEN}-{i}" for i in range(150))


def test_standard_sends_run_in_parallel() -> None:
    # 40 messages, one batch of 10 each time: 4 calls of 200 ms, under way at the same time (counted,
    # not timed: a wall-clock bound flaked on a loaded 2-core runner)
    sns, log = FakeSns(delay=lambda n: 0.2), SendLog()
    SendPool(_sender(sns, log), Pacer(None), senders=4).send_all(plan(_send(count=40), TOKEN))
    assert len(sns.batches) == 4 and len(log) == 40
    assert sns.most_in_flight >= 3, sns.most_in_flight


def test_a_rejected_entry_stops_the_pool_and_keeps_the_accepted_ones_logged() -> None:
    sns, log = FakeSns(reject={f"{TOKEN}.3"}), SendLog()
    with pytest.raises(PayloadError, match=r"1 of \d+ messages of a batch .* were rejected, e.g. run.sc.ab12cd.3: InvalidParameter"):
        SendPool(_sender(sns, log), Pacer(None), senders=2).send_all(plan(_send(count=10), TOKEN))
    assert f"{TOKEN}.3" not in {s.correlation_id for s in log.snapshot()}
    assert {0, 1, 2} <= {s.seq for s in log.snapshot()}


def test_a_bursts_messages_are_built_before_the_first_send_and_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generating a payload holds the GIL: a burst's are built before its first send (up to
    PREPARE_AHEAD_BYTES), so the work neither delays the sends nor the receivers measured meanwhile."""
    from harness.scenario.execute import send_pool

    sns, log = FakeSns(), SendLog()
    sender = _sender(sns, log)
    built: list[int] = []
    at_first_send: list[int] = []
    original_prepare, original_batch = sender.prepare, sns.publish_batch
    monkeypatch.setattr(sender, "prepare", lambda out: built.append(out.seq) or original_prepare(out))

    def publish_batch(**kwargs: Any) -> dict[str, Any]:
        if not at_first_send:
            at_first_send.append(len(built))
        return original_batch(**kwargs)

    monkeypatch.setattr(sns, "publish_batch", publish_batch)
    SendPool(sender, Pacer(None), senders=4).send_all(plan(_send(count=25), TOKEN))
    assert at_first_send == [25] and sorted(built) == list(range(25)) and len(log) == 25

    # beyond the bound, the rest is built as it goes; a paced send builds each before its due time
    monkeypatch.setattr(send_pool, "PREPARE_AHEAD_BYTES", 1)
    built.clear(), at_first_send.clear()
    SendPool(sender, Pacer(None), senders=1).send_all(plan(_send(count=25), f"{TOKEN}x"))
    assert at_first_send[0] < 25 and sorted(set(built)) == list(range(25))


def test_a_paced_message_is_built_shortly_before_it_is_due(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not right after the previous send: building holds the GIL and would slow that send and its
    receipt, i.e. the latency being measured."""
    from harness.scenario.execute.send_pool import PREPARE_LEAD_SECONDS

    now = [0.0]
    pacer = Pacer(10.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s), wall=lambda: 1_000.0)
    sns, log = FakeSns(), SendLog()
    sender = _sender(sns, log)
    built_at: dict[int, float] = {}
    original = sender.prepare
    monkeypatch.setattr(sender, "prepare", lambda out: built_at.setdefault(out.seq, now[0]) and None or original(out))
    SendPool(sender, pacer, senders=1).send_all(plan(_send(count=5), TOKEN))
    assert built_at[0] == 0.0
    assert all(built_at[k] == pytest.approx(k * 0.1 - PREPARE_LEAD_SECONDS) for k in range(1, 5))
    assert [s.t_intended for s in log.snapshot()] == pytest.approx([1_000.0 + k * 0.1 for k in range(5)])
