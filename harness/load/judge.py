"""The master's verdicts: every worker's reports become scenario results, with the kit's verdicts.

Per stream and expected queue, the sends of every worker and the deliveries seen by every worker
go through :func:`harness.scenario.judge.verdicts.judge_expect` (counts, integrity, lateness, objectives,
per-hop figures); its end-to-end latency histogram is replaced by the **merge of the workers' HDR
histograms** (each worker measured its own deliveries against the shared schedule) and the master
checks that merge against the histogram of the delivery records themselves.

Accounting across workers: a correlation id is sent by exactly one worker (its share) and counted
once however many reports mention it. A worker that stopped reporting (killed, lost) leaves a
*lost share*, reported apart from message loss:

- ``unsent``: its share of the schedule that it never sent;
- ``unaccounted``: messages sent but never seen delivered that the dead worker may have received
  after its last report (those sent from ``within`` before that report on); they are left out of
  ``sent`` and ``lost`` of the path;
- its sends that reached other workers' consumers but not its own last report are rebuilt from
  the delivery (``rebuilt``): they were sent, so they count.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from harness.load.plan import LoadPlan, Stream
from harness.load.records import WorkerReport, histogram_key
from harness.provision.manifest import Manifest
from harness.scenario.execute.send_pool import send_summary
from harness.scenario.judge import verdicts
from harness.scenario.judge.facts import Delivery, Sent
from harness.scenario.judge.measure import HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS, PathKey
from harness.scenario.judge.result import ERROR, ScenarioResult

RATE_BUCKET_SECONDS = 1.0


@dataclass
class LoadOutcome:
    """Scenario results for the report, and the load run's own section of report.json."""

    results: list[ScenarioResult]
    section: dict = field(default_factory=dict)


def _merge(encoded: Iterable[str]) -> HdrHistogram:
    merged = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    for text in encoded:
        merged.add(HdrHistogram.decode(text))
    return merged


def same_samples(a: HdrHistogram, b: HdrHistogram) -> bool:
    """Exactly the same recorded values and counts (HDR buckets)."""
    def values(h: HdrHistogram) -> list[tuple[int, int]]:
        return [(i.value_iterated_to, i.count_at_value_iterated_to) for i in h.get_recorded_iterator()]
    return a.get_total_count() == b.get_total_count() and values(a) == values(b)


class Judge:
    """Turns the workers' reports into :class:`LoadOutcome` (see the module docstring)."""

    def __init__(self, plan: LoadPlan, manifest: Manifest, workers: Sequence[WorkerReport]):
        self.plan, self.manifest, self.workers = plan, manifest, list(workers)
        self.dead = {w.index: w for w in self.workers if w.gone is not None and not w.final}
        self._rebuilt: dict[tuple[int, int], int] = defaultdict(int)  # (stream, worker) -> sends known from deliveries

    def _sent(self, stream: Stream) -> tuple[dict[str, Sent], int]:
        sent: dict[str, Sent] = {}
        repeats = 0
        for w in self.workers:
            for index, s in w.sent:
                if index != stream.index:
                    continue
                repeats += s.correlation_id in sent
                sent[s.correlation_id] = s
        return sent, repeats

    def _deliveries(self, stream: Stream) -> dict[str, list[Delivery]]:
        out: dict[str, list[Delivery]] = defaultdict(list)
        for w in self.workers:
            for queue, d in w.deliveries:
                parsed = self.plan.parse(d.correlation_id)
                if parsed is not None and parsed[0].index == stream.index:
                    out[queue].append(d)
        return out

    def _rebuild(self, stream: Stream, sent: dict[str, Sent], deliveries: dict[str, list[Delivery]]) -> int:
        """Sends of a dead worker known only from their delivery."""
        rebuilt = 0
        for got in deliveries.values():
            for d in got:
                parsed = self.plan.parse(d.correlation_id)
                if parsed is None or d.correlation_id in sent:
                    continue
                _, seq = parsed
                owner = LoadPlan.owner(seq, self.plan.workers)
                if owner not in self.dead:
                    continue
                self._rebuilt[(stream.index, owner)] += 1
                t = stream.intended(seq, self.plan.start_wall)
                sent[d.correlation_id] = Sent(seq, d.correlation_id, stream.size(seq), "", stream.send.group, t,
                                              seq < stream.send.warmup, None, t)
                rebuilt += 1
        return rebuilt

    def _worker_lost(self, stream: Stream, sent: dict[str, Sent], received: set[str]) -> set[str]:
        if not self.dead:
            return set()
        since = min((w.last_report or 0.0) for w in self.dead.values()) - stream.max_within
        return {cid for cid, s in sent.items() if cid not in received and s.t_send >= since}

    def _key(self, stream: Stream, queue: str) -> PathKey:
        entry, send = self.manifest.queues[queue], stream.send
        via = f"topic:{send.topic}" if send.topic else f"queue:{send.queue}"
        return PathKey(send.account, send.region, via, entry.account, entry.region, queue)

    def judge(self, interrupted: bool, duration_s: float) -> LoadOutcome:
        share: dict[str, Any] = {"workers": sorted(self.dead), "unsent": 0, "unaccounted": 0, "rebuilt": 0}
        outcome = LoadOutcome([], {"paths": [], "lost_share": share})
        for stream in self.plan.streams:
            outcome.results.append(self._judge_stream(stream, interrupted, duration_s, outcome.section))
            for w in self.dead.values():
                planned = len(self.plan.share(stream, w.index))
                reported = sum(1 for idx, _ in w.sent if idx == stream.index)
                share["unsent"] += max(0, planned - reported - self._rebuilt.get((stream.index, w.index), 0))
        return outcome

    def _judge_stream(self, stream: Stream, interrupted: bool, duration_s: float, section: dict) -> ScenarioResult:
        sc = stream.scenario
        result = ScenarioResult(sc.name, sc.source, duration_s=duration_s)
        sent, repeats = self._sent(stream)
        deliveries = self._deliveries(stream)
        rebuilt = self._rebuild(stream, sent, deliveries)
        section["lost_share"]["rebuilt"] += rebuilt
        if repeats:
            result.fail(f"{repeats} messages were reported sent by more than one report (double counting across workers)")
        for exp in stream.expect:
            got = deliveries.get(exp.queue, [])
            lost_to_worker = self._worker_lost(stream, sent, {d.correlation_id for d in got})
            kept = sorted((s for cid, s in sent.items() if cid not in lost_to_worker), key=lambda s: s.seq)
            verdict = verdicts.judge_expect(exp, self._key(stream, exp.queue), kept, got)
            from_records = verdict.stats.latency
            merged = _merge(w.histograms[k] for w in self.workers if (k := histogram_key(stream.index, exp.queue)) in w.histograms)
            verdict.stats.latency = merged
            match = same_samples(merged, from_records)
            if not match:
                result.notes.append(f"{exp.queue}: the workers' merged histograms hold {merged.get_total_count()} samples, "
                                    f"the delivery records {from_records.get_total_count()} (a duplicate seen by two workers counts on each)")
            result.paths.append(verdict.stats)
            for failure in verdict.failures:
                result.fail(failure)
            section["lost_share"]["unaccounted"] += len(lost_to_worker)
            section["paths"].append({
                "scenario": sc.name, "queue": exp.queue, "label": verdict.stats.key.label,
                "histograms_match_records": match,
                "workers": {str(w.index): w.histograms.get(histogram_key(stream.index, exp.queue)) for w in self.workers},
                "worker_lost": len(lost_to_worker),
            })
        for neg in sc.expect_not:
            for failure in verdicts.judge_expect_not(neg, deliveries.get(neg.queue, [])):
                result.fail(failure)
        if any(e.ordered for e in sc.expect) and self.plan.workers > 1:
            result.notes.append("FIFO order per group is not judged in a load run: several workers send one group")
        for w in self.dead.values():
            result.notes.append(f"worker {w.index} (pid {w.pid} on {w.host}) stopped reporting: {w.gone}; its share is "
                                "reported as its lost share (load.lost_share), not as message loss")
        for w in self.workers:
            for error in w.errors:
                result.fail(f"worker {w.index}: {error}")
        if not sent:
            result.fail(f"{sc.name}: no message was sent (see the workers' errors and notes)")
        else:
            summary = send_summary(list(sent.values()), stream.send.senders * self.plan.workers, stream.rate)
            result.send = summary.as_dict()
            if summary.note():
                result.notes.append(summary.note() or "")
        if interrupted:
            result.status = ERROR
            result.failures.append("interrupted: the load run was stopped before its budget was spent; counts are until then")
        return result


def rate_over_time(plan: LoadPlan, workers: Sequence[WorkerReport]) -> dict:
    """Messages sent and first deliveries per second since the schedule's start."""
    t0 = plan.start_wall
    sent_times = [s.t_send for w in workers for _, s in w.sent]
    seen: set[tuple[str, str]] = set()
    recv_times = []
    for w in workers:
        for queue, d in w.deliveries:
            if (queue, d.correlation_id) not in seen:
                seen.add((queue, d.correlation_id))
                recv_times.append(d.t_recv)
    end = max(sent_times + recv_times, default=t0)
    buckets = max(1, math.ceil((end - t0) / RATE_BUCKET_SECONDS))

    def histogram(times: list[float]) -> list[int]:
        counts = [0] * buckets
        for t in times:
            counts[min(buckets - 1, max(0, int((t - t0) / RATE_BUCKET_SECONDS)))] += 1
        return counts

    requested = sum(s.rate for s in plan.streams)
    first, last = min(sent_times, default=None), max(recv_times, default=None)
    span = (last - first) if first is not None and last is not None else 0.0
    return {"interval_s": RATE_BUCKET_SECONDS, "started_at": t0, "requested_rate": requested,
            "sent": histogram(sent_times), "delivered": histogram(recv_times),
            # distinct deliveries per path / (last delivery - first send): the pipeline's delivered rate
            "first_sent_at": first, "last_delivered_at": last,
            "delivered_rate": round(len(recv_times) / span, 1) if span > 0 else None}

