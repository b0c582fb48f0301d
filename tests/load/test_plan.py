"""The load run's plan and the master's judging, without processes or an emulator: shares partition
the schedule, any consumer can derive any message's expectation, a dead worker's share is kept apart
from message loss, histograms merge exactly, and the cost guard counts the budget."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from hdrh.histogram import HdrHistogram

from harness import paths
from harness.errors import HarnessError
from harness.load.command import guard_cost
from harness.load.judge import Judge, same_samples
from harness.load.plan import Budget, DerivedExpectations, LoadPlan
from harness.load.records import WorkerReport, delivery_record, histogram_key, sent_record
from harness.payload.outcome import Expected, Outcome
from harness.provision.manifest import Manifest
from harness.scenario.cost import CostLimitError
from harness.scenario.execute.send import plan as scenario_plan
from harness.scenario.format.loader import load_scenario
from harness.scenario.judge.facts import Delivery, Sent
from harness.scenario.judge.measure import HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS
from harness.topology.loader import load_topology

REF = paths.REFERENCE_TOPOLOGY


def _scenario(tmp_path: Path, body: str, name: str = "stream"):
    path = tmp_path / f"{name}.scenario.yaml"
    path.write_text(f"name: {name}\ntopology: {REF}\n" + textwrap.dedent(body))
    return load_scenario(path)


@pytest.fixture
def stream(tmp_path: Path):
    return _scenario(tmp_path, """\
        send: {from: A/us-east-1, topic: orders, count: 10, sizes: [1KiB, 300KiB], rate: 10, warmup: 1}
        expect:
          - {queue: b-eu, within: 5s}
        """)


def test_a_budget_is_one_of_duration_or_messages() -> None:
    with pytest.raises(HarnessError, match="needs a budget"):
        Budget()
    with pytest.raises(HarnessError, match="needs a budget"):
        Budget(duration_s=5, messages=10)
    assert Budget(duration_s=2.5).count(rate=10) == 25
    assert Budget(messages=7).count(rate=1000) == 7


def test_shares_partition_the_schedule_and_every_id_parses_back(stream) -> None:
    load = LoadPlan.build([stream], Budget(duration_s=3), "run1", "run1.labc", workers=3)
    [s] = load.streams
    assert s.send.count == 30 and s.rate == 10
    shares = [load.share(s, w) for w in range(3)]
    seqs = [o.seq for share in shares for o in share]
    assert sorted(seqs) == list(range(30)) and len(set(seqs)) == 30  # every message, once
    assert [len(share) for share in shares] == [10, 10, 10]  # the rate is split evenly
    assert load.share(s, 3) == []  # a worker beyond the plan only consumes
    for o in shares[1]:
        assert load.parse(o.correlation_id) == (s, o.seq)
    assert load.parse("run1.other.0.1") is None and load.parse("run1.labc.0.99") is None


def test_any_consumer_derives_the_expectation_the_producer_registered(stream) -> None:
    load = LoadPlan.build([stream], Budget(messages=4), "run1", "run1.labc", workers=2)
    expected = DerivedExpectations(load)
    for out in scenario_plan(load.streams[0].send, load.streams[0].token):
        payload = out.payload()
        assert expected.get(out.correlation_id) == Expected(out.size, payload.sha256())
    assert expected.get("run1.someone-else.3") is None


def test_a_load_run_needs_a_rate_and_a_send(tmp_path: Path) -> None:
    unpaced = _scenario(tmp_path, """\
        send: {from: A/us-east-1, topic: orders, count: 3}
        expect:
          - {queue: b-eu, within: 5s}
        """, "unpaced")
    with pytest.raises(HarnessError, match="no rate"):
        LoadPlan.build([unpaced], Budget(messages=3), "run1", "run1.l1", workers=2)
    assert LoadPlan.build([unpaced], Budget(messages=3), "run1", "run1.l1", workers=2, rate=50).streams[0].rate == 50


def _histogram(*seconds: float) -> HdrHistogram:
    h = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    for s in seconds:
        h.record_value(int(s * 1_000_000))
    return h


def test_the_master_counts_each_message_once_and_a_dead_workers_share_apart(stream) -> None:
    load = LoadPlan.build([stream], Budget(messages=10), "run1", "run1.labc", workers=2).started(1000.0)
    [s] = load.streams
    manifest = SimpleNamespace(queues={"b-eu": SimpleNamespace(account="B", region="eu-west-1")})
    live, dead = WorkerReport(0, "n0"), WorkerReport(1, "n1")

    def sent(seq: int) -> Sent:
        t = s.intended(seq, load.start_wall)
        return Sent(seq, f"{s.token}.{seq}", s.size(seq), "x", None, t, seq < 1, None, t)

    def delivered(seq: int, latency: float) -> Delivery:
        return Delivery(f"{s.token}.{seq}", s.intended(seq, load.start_wall) + latency, Outcome.INTACT, "")

    # worker 0 (even seqs) sent all of its share; worker 1 (odd) reported 1 and 3, and 5 reached
    # worker 0's consumer only; then worker 1 died (last report at 1000.45), holding 7 unreported.
    live.add({"sent": [sent_record(0, sent(q)) for q in (0, 2, 4, 6, 8)],
              "deliveries": [delivery_record("b-eu", delivered(q, 0.02)) for q in (0, 2, 4, 6, 8, 5)],
              "histograms": {histogram_key(0, "b-eu"): _histogram(0.02, 0.02, 0.02, 0.02, 0.02).encode().decode()},
              "final": True}, now=1002.0)
    dead.add({"sent": [sent_record(0, sent(q)) for q in (1, 3)] + [sent_record(0, sent(7))],
              "deliveries": [delivery_record("b-eu", delivered(q, 0.03)) for q in (1, 3)],
              "histograms": {histogram_key(0, "b-eu"): _histogram(0.03, 0.03).encode().decode()}}, now=1000.45)
    dead.gone = "its process exited (-9)"
    outcome = Judge(load, manifest, [live, dead]).judge(interrupted=False, duration_s=2.0)  # type: ignore[arg-type]
    [result] = outcome.results
    [path] = result.paths
    assert path.counts["lost"] == 0 and path.counts["sent"] == path.counts["received"] == 8  # 7 is the worker's
    assert outcome.section["lost_share"] == {"workers": [1], "unsent": 1, "unaccounted": 1, "rebuilt": 1}  # 9 unsent, 7, 5
    assert result.status == "passed", result.failures
    assert any("its lost share" in n for n in result.notes)
    # seq 0 is warm-up: left out by the workers' histograms as by the records; 5 was measured by worker 0
    [section] = outcome.section["paths"]
    assert section["worker_lost"] == 1 and section["histograms_match_records"] is True
    assert path.latency.get_total_count() == 7 and path.latency.get_max_value() >= 29_000


def test_merged_histograms_equal_the_union_of_samples() -> None:
    a, b = _histogram(0.010, 0.011, 0.5), _histogram(0.010, 2.0)
    merged = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    for h in (a, b):
        merged.add(HdrHistogram.decode(h.encode()))
    assert same_samples(merged, _histogram(0.010, 0.011, 0.5, 0.010, 2.0))
    assert not same_samples(merged, _histogram(0.010, 0.011, 0.5))


def test_the_cost_guard_counts_what_the_load_run_would_send_on_aws(stream) -> None:
    manifest = Manifest("run1", "aws", None, "reference", str(REF), "applied", "3.39.0")
    manifest.record_topology(load_topology(REF))
    small = LoadPlan.build([stream], Budget(messages=10), "run1", "run1.l1", workers=2)
    out = io.StringIO()
    guard_cost(small, manifest, 5.0, out)  # type: ignore[arg-type]
    assert "cost guard: estimated" in out.getvalue()
    huge = LoadPlan.build([stream], Budget(duration_s=3600 * 24 * 30), "run1", "run1.l1", workers=2, rate=10_000)
    with pytest.raises(CostLimitError, match="over the limit"):
        guard_cost(huge, manifest, 5.0, io.StringIO())  # type: ignore[arg-type]
    guard_cost(huge, SimpleNamespace(target="localstack"), 5.0, io.StringIO())  # type: ignore[arg-type]
