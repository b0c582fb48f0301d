"""Judging a scenario from facts: what was sent, what arrived where and when. Pure: no boto3, no I/O.

The facts come from :mod:`harness.scenario.execute.send` (:class:`Sent`) and :mod:`harness.scenario.execute.watch`
(:class:`Delivery`); the verdicts are counts and latencies per delivery path (:class:`PathStats`)
plus one readable failure message per broken expectation.

One code path judges every path that should receive the messages: a queue under ``expect`` and the
dead-letter queue of a ``dead_letter`` check alike go through :func:`judge_path`; they differ only in
their :class:`PathRules` (what is checked) and in how a missing message is explained.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.payload.message import MessageTimestamps
from harness.payload.outcome import Outcome
from harness.scenario.judge.facts import Delivery, Sent
from harness.scenario.judge.measure import PathKey, PathStats
from harness.scenario.judge.objectives import MET, MISSED, Objective
from harness.scenario.judge.path_objectives import path_objectives

if TYPE_CHECKING:  # the expectations judge through this module
    from harness.scenario.expectations import DeadLetterCheck, Expect, ExpectNot

LATE_GRACE_SECONDS = 2.0  # waited past ``within`` to tell a *late* message from a *missing* one

OUTCOME_COUNT = {
    Outcome.INTACT: "intact",
    Outcome.UNVERIFIED: "unverified",
    Outcome.CORRUPTED: "corrupted",
    Outcome.TRUNCATED: "truncated",
    Outcome.MISSING_OBJECT: "missing",
    Outcome.UNREADABLE_POINTER: "unreadable",
    Outcome.ACCESS_DENIED: "access_denied",
    Outcome.DECRYPT_FAILED: "access_denied",  # a KMS refusal is an access denial; the words say which
    Outcome.FETCH_FAILED: "missing",
}

_OUTCOME_WORDS = {
    Outcome.MISSING_OBJECT: "missing payload (the S3 object is gone)",
    Outcome.CORRUPTED: "corrupted (sha256 mismatch)",
    Outcome.TRUNCATED: "truncated",
    Outcome.UNREADABLE_POINTER: "an unreadable pointer",
    Outcome.ACCESS_DENIED: "access denied to its payload",
    Outcome.DECRYPT_FAILED: "undecryptable (KMS refused to decrypt its SSE-KMS payload)",
    Outcome.UNVERIFIED: "unverified (no checksum to compare)",
    Outcome.FETCH_FAILED: "missing payload (fetch failed)",
}


def outcome_words(outcome: Outcome) -> str:
    return _OUTCOME_WORDS.get(outcome, outcome.value)


@dataclass(frozen=True)
class PathRules:
    """What is checked on one receiving path."""

    queue: str  # named in the failure messages
    late_after: float | None  # seconds; a message slower than this counts as late (None: no check)
    intact: bool = True  # a damaged payload is a failure
    ordered: bool = False  # FIFO order per message group
    duplicates_allowed: bool = True
    objectives: Mapping[str, float] = field(default_factory=dict)  # latency percentile -> ms
    hops: bool = True  # record the per-hop server timestamps
    report_lost: bool = True  # a message that never arrived is a failure explained here
    hop_limits: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # hop -> percentile -> ms
    throughput_min: float | None = None  # delivered msg/s the path must reach (None: not an objective)
    throughput_label: str = ""  # how the bound was stated: "95% of 500 msg/s"
    line: int = 0  # where the expectation was written

    @classmethod
    def for_expect(cls, exp: Expect, requested_rate: float | None = None) -> PathRules:
        bound = exp.throughput.resolve(requested_rate) if exp.throughput is not None else None
        return cls(
            queue=exp.queue,
            late_after=exp.within,
            intact=exp.intact,
            ordered=exp.ordered,
            duplicates_allowed=exp.duplicates_allowed,
            objectives=exp.latency.objectives(),
            hop_limits={hop: lat.objectives() for hop, lat in exp.hops.items()},
            throughput_min=bound,
            throughput_label=exp.throughput.label(requested_rate) if exp.throughput is not None else "",
            line=exp.line,
        )

    @classmethod
    def for_dead_letter(cls, check: DeadLetterCheck) -> PathRules:
        # Send → dead-lettered is the latency; the server timestamps belong to the source queue's
        # hops, and the redrive explains its own missing messages (see judge_dead_letter).
        return cls(queue=check.dead_letter_queue, late_after=None, hops=False, report_lost=False)


@dataclass
class PathVerdict:
    stats: PathStats
    failures: list[str] = field(default_factory=list)
    note: str | None = None
    objectives: list[Objective] = field(default_factory=list)


def judge_path(rules: PathRules, key: PathKey, sent: Sequence[Sent], deliveries: Iterable[Delivery]) -> PathVerdict:
    """Counts, latencies and failures of one receiving path.

    Deliveries of messages not in ``sent`` are ignored; the first delivery of a message counts, the
    later ones are duplicates. Warm-up messages are counted but not in the latency figures.
    """
    verdict = PathVerdict(PathStats(key))
    stats, failures = verdict.stats, verdict.failures
    by_cid = {s.correlation_id: s for s in sent}
    seen: dict[str, int] = defaultdict(int)
    order: dict[str | None, list[int]] = defaultdict(list)
    stats.count("sent", len(sent))
    stats.timeline.start(min((s.t_origin for s in sent), default=0.0))
    s: Sent | None
    for s in sent:
        stats.record_carrier(s.pointer)
        stats.timeline.sent(s.t_send)
    last_recv: float | None = None
    for d in deliveries:
        s = by_cid.get(d.correlation_id)
        if s is None:
            continue
        seen[d.correlation_id] += 1
        if seen[d.correlation_id] > 1:
            stats.count("duplicate")
            continue
        stats.count("received")
        stats.count(OUTCOME_COUNT.get(d.outcome, "missing"))
        latency = d.t_recv - s.t_origin  # from the intended send time when paced (no coordinated omission)
        stats.timeline.received(d.t_recv, latency)
        last_recv = d.t_recv if last_recv is None else max(last_recv, d.t_recv)
        if rules.late_after is not None and latency > rules.late_after:
            stats.count("late")
        order[s.group].append(s.seq)
        if not s.warmup:
            stats.record_latency(latency)
            if rules.hops and d.invoked_at is not None and d.timestamps is not None:
                _record_function_hops(stats, d.timestamps, s.t_send, d.t_recv, d.invoked_at)
            elif rules.hops and d.timestamps is not None:
                _record_hops(stats, d.timestamps, s.t_send, d.t_recv)
        if d.outcome is not Outcome.INTACT and rules.intact:
            failures.append(f"{rules.queue}: message {s.seq} ({s.size} B) is {outcome_words(d.outcome)}: {d.detail}")
    lost = len(sent) - stats.counts["received"]
    stats.count("lost", lost)
    if lost and rules.report_lost:
        missing = [s.seq for s in sent if s.correlation_id not in seen][:10]
        within = f" within {rules.late_after:g}s (+{LATE_GRACE_SECONDS:g}s grace)" if rules.late_after is not None else ""
        failures.append(f"{rules.queue}: {lost} of {len(sent)} messages never arrived{within}; first missing seq {missing}")
    if stats.counts["late"]:
        failures.append(f"{rules.queue}: {stats.counts['late']} messages arrived later than {rules.late_after:g}s")
    if stats.counts["duplicate"] and not rules.duplicates_allowed:
        twice = sorted(s.seq for s in sent if seen.get(s.correlation_id, 0) > 1)
        failures.append(f"{rules.queue}: {stats.counts['duplicate']} duplicate deliveries, but duplicates are forbidden here: "
                        f"seq {twice[:10]} delivered more than once")
    out_of_order = [g for g, seqs in order.items() if seqs != sorted(seqs)] if rules.ordered else []
    for group in out_of_order:
        failures.append(f"{rules.queue}: group {group} arrived out of order: {order[group][:20]}")
    pct = stats.percentiles_ms()
    for name, limit in rules.objectives.items():
        value = pct.get(name)
        if isinstance(value, (int, float)) and value > limit:
            failures.append(f"{rules.queue}: latency {name} {value:.1f} ms exceeds the objective {limit:.1f} ms ({pct['count']} samples)")
    stats.delivered_rate = _rate(stats.counts["received"], min((s.t_origin for s in sent), default=None), last_recv)
    verdict.objectives = path_objectives(rules, stats, out_of_order, len(sent))
    for o in verdict.objectives:
        if o.result == MISSED and o.what.startswith(("throughput", "hop ")):  # the rest have their failure line above
            failures.append(f"{rules.queue}: {o.what} {o.measured} misses its bound {o.bound}")
    return verdict


def _rate(n: int, first: float | None, last: float | None) -> float | None:
    """Delivered messages per second, from the first intended send to the last delivery."""
    if n < 2 or first is None or last is None or last <= first:
        return None
    return n / (last - first)


def _record_hops(stats: PathStats, ts: MessageTimestamps, t_send: float, t_recv: float) -> None:
    if ts.sns_timestamp_ms is not None:
        stats.record_hop("publish_to_sns", ts.sns_timestamp_ms / 1000.0 - t_send)
        if ts.sent_timestamp_ms is not None:
            stats.record_hop("sns_to_sqs", (ts.sent_timestamp_ms - ts.sns_timestamp_ms) / 1000.0)
    if ts.sent_timestamp_ms is not None and ts.first_receive_timestamp_ms is not None:
        stats.record_hop("sqs_to_first_receive", (ts.first_receive_timestamp_ms - ts.sent_timestamp_ms) / 1000.0)
    if ts.first_receive_timestamp_ms is not None:
        # how long the message waited for the harness once SQS handed it out: receive, queue for a
        # verifier, verify (the server stamps whole milliseconds, hence never below zero)
        stats.record_hop("harness_wait", max(0.0, t_recv - ts.first_receive_timestamp_ms / 1000.0))


def _record_function_hops(stats: PathStats, ts: MessageTimestamps, t_send: float, t_done: float, invoked: float) -> None:
    """A function's hops, from its receipt: SNS's timestamp, SQS's (a polled queue), the
    invocation's start and the moment it was done with the message."""
    sns = ts.sns_timestamp_ms / 1000.0 if ts.sns_timestamp_ms is not None else None
    sent = ts.sent_timestamp_ms / 1000.0 if ts.sent_timestamp_ms is not None else None
    if sns is not None:
        stats.record_hop("publish_to_sns", sns - t_send)
        if sent is not None:
            stats.record_hop("sns_to_sqs", sent - sns)
        else:
            stats.record_hop("sns_to_invoke", max(0.0, invoked - sns))
    if sent is not None:
        stats.record_hop("sqs_to_batch", max(0.0, invoked - sent))
        if ts.first_receive_timestamp_ms is not None:
            stats.record_hop("sqs_to_first_receive", ts.first_receive_timestamp_ms / 1000.0 - sent)
    stats.record_hop("function_duration", max(0.0, t_done - invoked))


def judge_expect(
    exp: Expect, key: PathKey, sent: Sequence[Sent], deliveries: Iterable[Delivery], requested_rate: float | None = None
) -> PathVerdict:
    """A queue that must receive every message: intact, in time, in order, fast enough.
    ``requested_rate``: what the sends on the path ask for (a throughput share is taken of it)."""
    return judge_path(PathRules.for_expect(exp, requested_rate), key, sent, deliveries)


def judge_expect_not(neg: ExpectNot, deliveries: Sequence[Delivery]) -> list[str]:
    """A queue that must receive none of the scenario's messages."""
    if not deliveries:
        return []
    return [
        (
            f"expect_not {neg.queue}: received {len(deliveries)} of this scenario's messages within {neg.within:g}s "
            f"(e.g. {deliveries[0].correlation_id}); they should have been filtered out or not routed there"
        )
    ]


def judge_dead_letter(
    check: DeadLetterCheck,
    key: PathKey,
    sent: Sequence[Sent],
    deliveries: Iterable[Delivery],
    rejected: Mapping[str, int],
) -> PathVerdict:
    """A rejecting consumer on ``check.queue``: every message must reach the dead-letter queue,
    intact, and none before it was rejected ``check.rejections`` times.

    ``deliveries`` are the scenario's messages seen in the dead-letter queue; ``rejected`` counts,
    per correlation id, the receives without delete on the source queue.
    """
    verdict = judge_path(PathRules.for_dead_letter(check), key, sent, deliveries)
    arrived, total = verdict.stats.counts["received"], len(sent)
    note = f"dead_letter {check.queue} → {check.dead_letter_queue}: rejected {dict(rejected)} times, {arrived}/{total} in the DLQ"
    verdict.note = note
    early = sum(1 for n in rejected.values() if n < check.rejections)
    where = key.label
    verdict.objectives = [
        Objective(f"dead-lettered within {check.within:g}s", where, f"all {total}", f"{arrived} of {total}", MET if arrived == total else MISSED,
                  unit="messages", bound_value=total, measured_value=arrived, line=check.line),
        Objective(f"moved only after {check.rejections} rejections", where, "none earlier", f"{early} earlier", MET if not early else MISSED,
                  unit="messages", bound_value=0, measured_value=early, line=check.line),
    ]
    if arrived < total:
        verdict.failures.append(f"{note} after {check.within:g}s; the redrive policy did not move them")
    elif early:
        verdict.failures.append(f"{note}: moved before {check.rejections} rejections")
    return verdict


def offloaded(sent: Iterable[Sent]) -> list[tuple[str, str]]:
    """(bucket, key) of every payload that went through S3."""
    return [s.pointer for s in sent if s.pointer]


def judge_payloads_deleted(pointers: Sequence[tuple[str, str]], still_there: Collection[tuple[str, str]]) -> list[str]:
    """``payload_deleted_after_ack``: ``still_there`` are the pointers whose object still exists."""
    if not pointers:
        return ["payload_deleted_after_ack: no message was offloaded, so there is no payload to check; use a size over the threshold"]
    return [f"payload s3://{b}/{k} still exists after the consumer acknowledged its message" for b, k in pointers if (b, k) in still_there]


def distinct_received(deliveries: Iterable[Delivery]) -> int:
    return len({d.correlation_id for d in deliveries})
