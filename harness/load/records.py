"""The facts a worker reports to the master, as plain lists (Locust's messages are msgpack).

A worker reports every second: the messages its producers sent and the deliveries its consumers
verified since the last report, and its latency histograms per path in full (HDR, encoded), so
the master's copy of a worker is always one consistent snapshot and histograms merge exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.payload.message import MessageTimestamps
from harness.payload.outcome import Outcome
from harness.scenario.judge.facts import Delivery, Sent


def sent_record(stream: int, s: Sent) -> list:
    bucket, key = s.pointer if s.pointer else (None, None)
    return [stream, s.seq, s.correlation_id, s.size, s.sha256, s.group, s.t_send, s.warmup, bucket, key, s.t_intended]


def sent_from(record: list) -> tuple[int, Sent]:
    stream, seq, cid, size, sha, group, t_send, warmup, bucket, key, intended = record
    pointer = (bucket, key) if bucket is not None else None
    return stream, Sent(seq, cid, size, sha, group, t_send, warmup, pointer, intended)


def delivery_record(queue: str, d: Delivery) -> list:
    ts = d.timestamps
    stamps = None if ts is None else [ts.published_at_ms, ts.sns_timestamp_ms, ts.sent_timestamp_ms,
                                      ts.first_receive_timestamp_ms, ts.received_at_ms]
    return [queue, d.correlation_id, d.t_recv, d.outcome.value, d.detail, stamps]


def delivery_from(record: list) -> tuple[str, Delivery]:
    queue, cid, t_recv, outcome, detail, stamps = record
    ts = MessageTimestamps(*stamps) if stamps is not None else None
    return queue, Delivery(cid, t_recv, Outcome(outcome), detail, ts)


@dataclass
class WorkerReport:
    """One worker as the master knows it: everything it reported, and when it last did."""

    index: int
    node_id: str
    pid: int | None = None
    host: str | None = None
    sent: list[tuple[int, Sent]] = field(default_factory=list)
    deliveries: list[tuple[str, Delivery]] = field(default_factory=list)
    histograms: dict[str, str] = field(default_factory=dict)  # "<stream>|<queue>" -> encoded HDR (cumulative)
    producers_done: bool = False
    final: bool = False
    last_report: float | None = None  # epoch seconds (master's clock)
    errors: list[str] = field(default_factory=list)
    gone: str | None = None  # why the master stopped hearing from it

    def add(self, data: dict, now: float) -> None:
        self.pid, self.host = data.get("pid"), data.get("host")
        self.sent += [sent_from(r) for r in data.get("sent", [])]
        self.deliveries += [delivery_from(r) for r in data.get("deliveries", [])]
        self.histograms = dict(data.get("histograms", {})) or self.histograms
        self.producers_done = self.producers_done or bool(data.get("producers_done"))
        self.final = self.final or bool(data.get("final"))
        for error in data.get("errors", []):
            if error not in self.errors:
                self.errors.append(error)
        self.last_report = now


def histogram_key(stream: int, queue: str) -> str:
    return f"{stream}|{queue}"
