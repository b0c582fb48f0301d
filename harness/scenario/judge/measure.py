"""Measurements of one scenario: per delivery path, counts of what happened and latency percentiles.

A delivery path is (sending account/region, topic-or-queue) → (receiving account/region, queue or
Lambda function; a function fed by its event source mapping through the queue it polls).
End-to-end latency is measured on one clock, the harness's own ``time.time()``, from the message's
intended send time on a paced (``rate``) schedule, or else from just before the publish call, to the
moment the consumer has the message and its verified payload. Server
timestamps (SNS envelope ``Timestamp``, SQS ``SentTimestamp`` and
``ApproximateFirstReceiveTimestamp``) give per-hop figures; ``harness_wait`` is the harness's own
share (its verified receive time minus SQS's first receive). To a function, latency ends when the
function was done with the message (its receipt); its hops are ``sns_to_invoke`` (SNS's timestamp
to the invocation's start), ``sqs_to_batch`` (SQS's ``SentTimestamp`` to the start of the
invocation whose batch held it) and ``function_duration`` (that start to the function being done). Warm-up messages are counted but kept
out of the latency histograms. Latencies go into an HDR histogram (microsecond resolution, 3
significant digits), so percentiles stay exact enough at any message count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3600 * 1_000_000  # one hour
SIGNIFICANT_DIGITS = 3
PERCENTILES = (50.0, 90.0, 99.0)
HOPS = ("publish_to_sns", "sns_to_sqs", "sqs_to_first_receive", "harness_wait", "sns_to_invoke", "sqs_to_batch", "function_duration")
QUEUE_HOPS = HOPS[:4]  # what a path to a queue has
FUNCTION_HOPS = ("publish_to_sns", "sns_to_sqs", "sqs_to_first_receive", "sns_to_invoke", "sqs_to_batch", "function_duration")

COUNT_KEYS = (
    "sent",
    "received",
    "intact",
    "corrupted",
    "truncated",
    "missing",
    "unreadable",
    "access_denied",
    "unverified",
    "duplicate",
    "late",
    "lost",
)


QUEUE, FUNCTION = "queue", "function"


@dataclass(frozen=True)
class PathKey:
    from_account: str
    from_region: str
    via: str  # "topic:orders" | "queue:c-us"
    to_account: str
    to_region: str
    queue: str  # where the path ends: the queue's logical name, or the function's (to_kind "function")
    to_kind: str = QUEUE  # QUEUE | FUNCTION
    through: str = ""  # a function's path: the queue its event source mapping polls ("": SNS invokes it)
    after: str = ""  # a queue's path: the function whose failed invocations Lambda records there (its on-failure destination)

    @property
    def endpoint(self) -> str:
        return self.queue

    @property
    def label(self) -> str:
        end = f"{self.to_account}/{self.to_region} {self.queue}"
        if self.to_kind == FUNCTION:
            end = f"{self.to_account}/{self.to_region} function {self.queue}" + (f" (polling {self.through})" if self.through else "")
        elif self.after:
            end += f" (records of function {self.after}'s failures)"
        return f"{self.from_account}/{self.from_region} {self.via} → {end}"

    def as_dict(self) -> dict:
        to: dict[str, str] = {"account": self.to_account, "region": self.to_region}
        if self.to_kind == FUNCTION:
            to.update({"kind": FUNCTION, "function": self.queue, **({"through": self.through} if self.through else {})})
        else:
            to["queue"] = self.queue
            if self.after:
                to["on_failure_of"] = self.after
        return {"from": {"account": self.from_account, "region": self.from_region, "via": self.via}, "to": to, "label": self.label}


def _histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def _clamp_us(seconds: float) -> int:
    return max(LOWEST_US, min(HIGHEST_US, int(round(seconds * 1_000_000))))


@dataclass
class Timeline:
    """Sends, deliveries and latency over time on one path, from its first intended send: the
    reports' rate and latency over time (not only distributions). Recorded in tenths of a second,
    handed on in at most :data:`MAX_BINS` bins."""

    RESOLUTION: ClassVar[float] = 0.1
    MAX_BINS: ClassVar[int] = 120

    t0: float = 0.0
    sends: dict[int, int] = field(default_factory=dict)  # tick -> messages sent
    deliveries: dict[int, int] = field(default_factory=dict)  # tick -> first deliveries
    latency_sum: dict[int, float] = field(default_factory=dict)  # tick -> sum of their latencies (s)
    latency_max: dict[int, float] = field(default_factory=dict)

    def start(self, t0: float) -> None:
        self.t0 = t0

    def _tick(self, t: float) -> int:
        return max(0, int((t - self.t0) / self.RESOLUTION))

    def sent(self, t: float) -> None:
        k = self._tick(t)
        self.sends[k] = self.sends.get(k, 0) + 1

    def received(self, t: float, latency: float) -> None:
        k = self._tick(t)
        self.deliveries[k] = self.deliveries.get(k, 0) + 1
        self.latency_sum[k] = self.latency_sum.get(k, 0.0) + latency
        self.latency_max[k] = max(self.latency_max.get(k, 0.0), latency)

    def as_dict(self) -> dict[str, Any]:
        """Per bin of ``bin_s`` seconds (bin 0 starts at the first intended send, ``t0``): messages
        sent and delivered, mean and max latency of those delivered (ms; None for an empty bin)."""
        ticks = max([*self.sends, *self.deliveries, -1]) + 1
        group = max(1, math.ceil(ticks / self.MAX_BINS))
        n = math.ceil(ticks / group)
        sent, delivered, lat_sum, lat_max = [0] * n, [0] * n, [0.0] * n, [0.0] * n
        for k, v in self.sends.items():
            sent[k // group] += v
        for k, v in self.deliveries.items():
            delivered[k // group] += v
            lat_sum[k // group] += self.latency_sum[k]
            lat_max[k // group] = max(lat_max[k // group], self.latency_max[k])
        return {
            "t0": self.t0,
            "bin_s": round(group * self.RESOLUTION, 3),
            "sent": sent,
            "delivered": delivered,
            "latency_mean_ms": [round(lat_sum[i] / delivered[i] * 1000, 3) if delivered[i] else None for i in range(n)],
            "latency_max_ms": [round(lat_max[i] * 1000, 3) if delivered[i] else None for i in range(n)],
        }


@dataclass
class PathStats:
    key: PathKey
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    latency: HdrHistogram = field(default_factory=_histogram)
    hops: dict[str, HdrHistogram] = field(default_factory=lambda: {h: _histogram() for h in HOPS})
    inline: int = 0  # messages of the path sent inline
    through_s3: dict[str, int] = field(default_factory=dict)  # bucket -> messages offloaded into it
    failed: bool = False  # the path's own verdict had a failure (set by the runner)
    timeline: Timeline = field(default_factory=Timeline)
    delivered_rate: float | None = None  # msg/s from the first intended send to the last delivery
    requests: dict[str, int] = field(default_factory=dict)  # publish (shared by a fan-out), receive, empty_receives, s3 (shared)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    def record_carrier(self, pointer: tuple[str, str] | None) -> None:
        """How one sent message travelled: inline (``None``) or through S3 (its ``(bucket, key)``)."""
        if pointer is None:
            self.inline += 1
        else:
            self.through_s3[pointer[0]] = self.through_s3.get(pointer[0], 0) + 1

    def record_latency(self, seconds: float) -> None:
        self.latency.record_value(_clamp_us(seconds))

    def record_hop(self, hop: str, seconds: float | None) -> None:
        if seconds is not None and seconds >= 0:
            self.hops[hop].record_value(_clamp_us(seconds))

    def percentiles_ms(self) -> dict[str, float | int | None]:
        return summarize(self.latency)

    def distribution_ms(self) -> list[tuple[float, int]]:
        """(latency ms, count) for every recorded bucket, for plots."""
        return [
            (round(item.value_iterated_to / 1000.0, 3), item.count_at_value_iterated_to)
            for item in self.latency.get_recorded_iterator()
        ]

    def as_dict(self) -> dict:
        return {
            **self.key.as_dict(),
            "counts": dict(self.counts),
            "failed": self.failed,
            "carried": {"inline": self.inline, "s3": sum(self.through_s3.values()), "buckets": dict(self.through_s3)},
            "latency_ms": self.percentiles_ms(),
            "hops_ms": {hop: summarize(h) for hop, h in self.hops.items() if h.get_total_count()},
            "distribution_ms": self.distribution_ms(),
            "delivered_rate": round(self.delivered_rate, 2) if self.delivered_rate is not None else None,
            "timeline": self.timeline.as_dict(),
            **({"requests": dict(self.requests)} if self.requests else {}),
        }


def summarize(h: HdrHistogram) -> dict[str, float | int | None]:
    """Count, p50/p90/p99, max and mean (ms) of a microsecond histogram. The percentiles come from
    one pass over the counts (hdrh's per-percentile query walks them once per percentile), and the
    summary is kept on the histogram until it records again: judging, objectives and reports ask
    for the same figures several times."""
    n = h.get_total_count()
    if n == 0:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None, "mean": None}
    cached = getattr(h, "_harness_summary", None)
    if cached is not None and cached[0] == n:  # every record adds to the count: unchanged since
        return dict(cached[1])
    values = h.get_percentile_to_value_dict(list(PERCENTILES))
    out: dict[str, float | int | None] = {"count": n}
    for p in PERCENTILES:
        out[f"p{int(p)}"] = round(values[p] / 1000.0, 3)
    out["max"] = round(h.get_max_value() / 1000.0, 3)
    out["mean"] = round(h.get_mean_value() / 1000.0, 3)
    h._harness_summary = (n, dict(out))  # the cache lives with what it summarises (hdrh ships no types)
    return out
