"""The receive window: receivers held back while the endpoint is saturated, given back when it is not,
never below two, and a pool that keeps delivering every message exactly once while it adapts."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from harness.scenario.execute.receive_pool import ReceiverPool, Watching
from harness.scenario.execute.watch import QueueWatch
from harness.scenario.execute.window import ReceiveWindow, base_rtt

from .test_receive_pool import TOKEN, FakeConsumer, FakeSqs, _wait_for, _watch, msg

_endpoints = itertools.count()


def window(maximum: int = 4) -> ReceiveWindow:
    """A window on an endpoint of its own (the fastest round trip is remembered per endpoint)."""
    return ReceiveWindow(maximum, f"http://endpoint-{next(_endpoints)}", "q")


def feed(w: ReceiveWindow, seconds: float, times: int, full: bool = True) -> None:
    for _ in range(times):
        w.received(10 if full else 3)
        w.round_trip(seconds)


def test_a_saturated_endpoint_shrinks_the_window_to_two_and_no_further() -> None:
    w = window(4)
    feed(w, 0.003, 4)  # idle: 3 ms
    assert w.size == 4
    feed(w, 0.150, 40)  # a burst: 50 times slower
    assert w.size == 2 and w.smallest == 2


def test_jitter_up_to_twice_the_fastest_round_trip_keeps_every_receiver() -> None:
    w = window(4)
    feed(w, 0.008, 1)  # the fastest ever seen: an outlier
    for rtt in [0.015, 0.012, 0.016, 0.014, 0.016, 0.013] * 10:
        w.received(10)
        w.round_trip(rtt)
    assert w.size == 4 and w.smallest == 4


def test_the_window_grows_back_only_while_messages_are_waiting() -> None:
    w = window(4)
    feed(w, 0.003, 4)
    feed(w, 0.150, 40)
    assert w.size == 2
    feed(w, 0.003, 40, full=False)  # fast again, but the queue is drained: nothing to gain
    assert w.size == 2
    feed(w, 0.003, 40, full=True)  # fast and a backlog: give the receivers back
    assert w.size == 4 and w.smallest == 2


def test_one_change_per_window_of_round_trips() -> None:
    w = window(4)
    feed(w, 0.003, 4)
    feed(w, 0.150, 1)
    assert w.size == 3
    feed(w, 0.150, 2)  # fewer round trips than the window since the last change: judged later
    assert w.size == 3
    feed(w, 0.150, 1)
    assert w.size == 2


def test_the_fastest_round_trip_is_shared_by_windows_on_one_endpoint() -> None:
    a = window(4)
    b = ReceiveWindow(4, a.endpoint, "other")
    feed(a, 0.002, 1)
    assert base_rtt(b.endpoint) == pytest.approx(0.002)
    feed(b, 0.150, 8)  # b never saw the endpoint idle, yet knows it is saturated
    assert b.size < 4


def test_a_pool_of_one_or_two_receivers_is_never_held_back() -> None:
    for maximum in (1, 2):
        w = window(maximum)
        feed(w, 0.001, 2)
        feed(w, 0.500, 50)
        assert w.size == maximum


def test_acquire_waits_for_a_place_and_gives_up_when_stopped() -> None:
    w = window(2)
    feed(w, 0.003, 2)
    feed(w, 0.150, 20)
    assert w.size == 2
    assert w.acquire(lambda: False) and w.acquire(lambda: False)
    got = threading.Event()
    stop = threading.Event()
    third = threading.Thread(target=lambda: w.acquire(stop.is_set) and got.set())
    third.start()
    time.sleep(0.3)
    assert not got.is_set()  # the window is full
    w.release()
    third.join(2)
    assert got.is_set()
    stop.set()
    assert not w.acquire(stop.is_set)  # full again, and stopped: no place taken


@dataclass
class SaturatingSqs(FakeSqs):
    """An endpoint whose answers slow down with the requests in flight: 2 ms with one or two, 60 ms with
    more (as LocalStack behaves on two shared cores during a burst)."""

    meta: Any = None
    in_flight: int = 0
    deletes: int = 0
    slow_deletes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:  # noqa: N803
        time.sleep(0.002)  # idle: the pool times this before its scenario's messages arrive
        return super().get_queue_attributes(QueueUrl=QueueUrl, AttributeNames=AttributeNames)

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:  # noqa: N803
        with self.lock:
            self.in_flight += 1
            slow = self.in_flight > 2
            self.deletes += 1
            self.slow_deletes += slow
        try:
            time.sleep(0.06 if slow else 0.002)
            return super().delete_message_batch(QueueUrl=QueueUrl, Entries=Entries)
        finally:
            with self.lock:
                self.in_flight -= 1


@dataclass
class SaturatingConsumer(FakeConsumer):
    def receive(self, **kwargs: Any) -> list[Any]:
        sqs: SaturatingSqs = self.sqs  # type: ignore[assignment]
        with sqs.lock:
            sqs.in_flight += 1
        try:
            time.sleep(0.005)
            return super().receive(**kwargs)
        finally:
            with sqs.lock:
                sqs.in_flight -= 1


def test_a_pool_on_a_saturated_endpoint_holds_receivers_back_and_still_delivers_each_message_once() -> None:
    messages = [msg(f"{TOKEN}.{i}") for i in range(1200)]
    sqs = SaturatingSqs(meta=SimpleNamespace(endpoint_url=f"http://endpoint-{next(_endpoints)}"))
    consumer = SaturatingConsumer(batches=[messages[i:i + 10] for i in range(0, len(messages), 10)], sqs=sqs)
    watch = _watch(consumer)
    pool = ReceiverPool(watch, receivers=4)
    pool.start()
    _wait_for(lambda: len(watch.deliveries()) >= len(messages), seconds=60)
    assert pool.stop(5)
    assert watch.error is None
    assert sorted(d.correlation_id for d in watch.deliveries()) == sorted(m.correlation_id for m in messages)
    assert sorted(h for batch in sqs.deleted_batches for h in batch) == sorted(m.receipt_handle for m in messages)
    assert pool.window.smallest == 2
    # four receivers at once would make nearly every answer slow; the window keeps most of them fast
    assert sqs.slow_deletes < sqs.deletes / 2, (sqs.slow_deletes, sqs.deletes)


def test_watching_names_the_pools_the_window_held_back_for_the_scenario_notes() -> None:
    messages = [msg(f"{TOKEN}.{i}") for i in range(600)]
    slow = SaturatingConsumer(batches=[messages[i:i + 10] for i in range(0, len(messages), 10)],
                              sqs=SaturatingSqs(meta=SimpleNamespace(endpoint_url=f"http://endpoint-{next(_endpoints)}")))
    fast = FakeConsumer(batches=[[msg(f"{TOKEN}.f{i}") for i in range(10)]])
    slow_watch, fast_watch = _watch(slow), QueueWatch("fast", fast, TOKEN, "run1", {}, delete_payloads=False)  # type: ignore[arg-type]
    with Watching([slow_watch, fast_watch], {"q": 4, "fast": 4}) as watching:
        _wait_for(lambda: len(slow_watch.deliveries()) >= len(messages) and fast_watch.received() == 10, seconds=60)
    assert watching.held_back() == [("q", 2, 4)]
