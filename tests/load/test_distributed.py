"""`harness load` for real: a Locust master and worker processes against the session's LocalStack,
on the bench topology (one topic → one queue, one payload bucket), with small and offloaded
(300 KiB > SNS's 256 KiB) messages."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram

from harness.provision import lifecycle
from harness.provision.manifest import Manifest
from harness.provision.targets import Target
from harness.scenario.judge.measure import HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS
from harness.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench.topology.yaml"
pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")
def applied(endpoint_url: str) -> Iterator[Manifest]:
    settings = Settings.from_env(os.environ)
    manifest = lifecycle.up(BENCH, Target("localstack", endpoint_url), settings, out=io.StringIO()).manifest
    yield manifest
    lifecycle.down(manifest.run_id, settings, out=io.StringIO())


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.scenario.yaml"
    path.write_text(f"name: mixed\ntopology: {BENCH}\n"
                    "send: {from: A/us-east-1, topic: events, count: 100, sizes: [512B, 300KiB, 1KiB, 2KiB], rate: 20, warmup: 2}\n"
                    "expect:\n  - {queue: q, within: 30s}\n")
    return path


class Load:
    """`harness load` as a child process; its output lines are collected as they come."""

    def __init__(self, tmp_path: Path, scenario: Path, run_id: str, *options: str):
        self.reports = tmp_path / "reports"
        env = {**os.environ, "HARNESS_REPORTS_DIR": str(self.reports)}
        cmd = [sys.executable, "-m", "harness.cli", "load", str(scenario), "--run-id", run_id, *options]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None or any(text in line for line in self.lines), "\n".join(self.lines[-30:])
            assert time.monotonic() < deadline, f"no {text!r} within {timeout}s:\n" + "\n".join(self.lines[-30:])
            time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        return [int(line.rsplit("pid ", 1)[1].rstrip(")")) for line in self.lines if " started (pid " in line]

    def finish(self, timeout: float = 180.0) -> tuple[int, dict]:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        output = "\n".join(self.lines)
        [report] = list(self.reports.glob("*/load-*/report.json")) or [None]
        assert report is not None, output
        return code, json.loads(report.read_text())


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _values(h: HdrHistogram) -> list[tuple[int, int]]:
    return [(i.value_iterated_to, i.count_at_value_iterated_to) for i in h.get_recorded_iterator()]


def test_two_workers_account_for_every_message_and_their_histograms_merge_exactly(applied: Manifest, tmp_path: Path, mixed: Path) -> None:
    load = Load(tmp_path, mixed, applied.run_id, "--duration", "6", "--workers", "2")
    code, report = load.finish()
    output = "\n".join(load.lines)
    assert code == 0, output
    [scenario] = report["scenarios"]
    assert scenario["status"] == "passed", scenario["failures"]
    [path] = scenario["paths"]
    counts = path["counts"]
    assert counts["sent"] == 120 and counts["sent"] == counts["received"] + counts["lost"] and counts["lost"] == 0
    assert counts["intact"] == counts["received"] and counts["duplicate"] == 0
    workers = report["load"]["workers"]
    assert len(workers) == 2 and all(w["final"] and not w["gone"] for w in workers)
    assert sorted(w["sent"] for w in workers) == [60, 60]  # each its share, nothing sent twice
    assert sum(w["deliveries"] for w in workers) == counts["received"]  # each delivery judged by one worker
    assert all(w["deliveries"] > 0 for w in workers), workers  # consumers on both workers judged messages
    [load_path] = report["load"]["paths"]
    assert load_path["histograms_match_records"] is True  # the merge equals the histogram of every delivery
    merged = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    union: dict[int, int] = {}
    for encoded in load_path["workers"].values():
        assert encoded, "each worker measured some deliveries"
        one = HdrHistogram.decode(encoded)
        merged.add(one)
        for value, n in _values(one):
            union[value] = union.get(value, 0) + n
    assert _values(merged) == sorted(union.items())
    assert merged.get_total_count() == path["latency_ms"]["count"] == counts["received"] - 2  # warm-up excluded
    assert round(merged.get_value_at_percentile(50) / 1000.0, 3) == path["latency_ms"]["p50"]
    rate = report["load"]["rate_over_time"]
    assert sum(rate["sent"]) == 120 and sum(rate["delivered"]) == 120
    assert (tmp_path / "reports").glob("*/load-*/report.html")
    page = next((tmp_path / "reports").glob("*/load-*/report.html")).read_text()
    assert "achieved rate over time" in page and "<h2 id=\"mixed\">" in page


def test_a_killed_worker_is_its_lost_share_not_message_loss(applied: Manifest, tmp_path: Path, mixed: Path) -> None:
    load = Load(tmp_path, mixed, applied.run_id, "--duration", "16", "--workers", "2")
    load.wait_for("load started")
    time.sleep(5)
    victim = load.worker_pids()[1]
    os.kill(victim, signal.SIGKILL)
    code, report = load.finish()
    output = "\n".join(load.lines)
    [scenario] = report["scenarios"]
    assert scenario["status"] == "passed", (scenario["failures"], output)
    [path] = scenario["paths"]
    counts = path["counts"]
    assert counts["lost"] == 0 and counts["sent"] == counts["received"] + counts["lost"]
    share = report["load"]["lost_share"]
    [dead] = [w for w in report["load"]["workers"] if w["gone"]]
    assert dead["pid"] == victim and share["workers"] == [dead["index"]]
    assert share["unsent"] > 0  # the rest of its share was never sent
    # everything is accounted for: the plan's 320 = sent (judged) + never sent + unaccounted
    assert counts["sent"] + share["unsent"] + share["unaccounted"] == 320
    assert any("its lost share" in note for note in scenario["notes"])
    assert "lost share of workers" in output and code == 0
    assert not _alive(victim)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_stops_every_worker_and_still_writes_the_report(applied: Manifest, tmp_path: Path, mixed: Path,
                                                                     sig: signal.Signals) -> None:
    load = Load(tmp_path, mixed, applied.run_id, "--duration", "120", "--workers", "2")
    load.wait_for("load started")
    time.sleep(4)
    pids = load.worker_pids()
    assert len(pids) == 2
    load.proc.send_signal(sig)
    code, report = load.finish(timeout=120)
    assert code == 130, "\n".join(load.lines)
    assert report["load"]["interrupted"] is True
    [scenario] = report["scenarios"]
    assert scenario["status"] == "error" and any("interrupted" in f for f in scenario["failures"])
    counts = scenario["paths"][0]["counts"]
    assert 0 < counts["sent"] < 2400 and counts["sent"] == counts["received"] + counts["lost"]
    assert all(w["final"] for w in report["load"]["workers"])  # both reported once more after the stop
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids), "a worker outlived the interrupted master"


def test_a_killed_master_takes_its_workers_with_it(applied: Manifest, tmp_path: Path, mixed: Path) -> None:
    """SIGKILL leaves no report (nothing can write it), but no orphan either: the kernel sends each
    worker SIGTERM when the master dies (PR_SET_PDEATHSIG)."""
    load = Load(tmp_path, mixed, applied.run_id, "--duration", "120", "--workers", "2")
    load.wait_for("load started")
    time.sleep(2)
    pids = load.worker_pids()
    load.proc.kill()
    load.proc.wait(timeout=10)
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids), "a worker outlived its killed master"


def test_a_budget_is_required(tmp_path: Path, mixed: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "harness.load_agent", "load", str(mixed), "--run-id", "nope"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "a load run needs a budget: give --duration SECONDS or --messages N" in out.stderr


def test_a_worker_started_elsewhere_joins_through_the_master_address(applied: Manifest, tmp_path: Path, mixed: Path) -> None:
    """As on another machine: one local worker, one started by hand with --worker against the master's
    address and the same run manifest (here: the same state directory)."""
    port = str(_free_port())
    load = Load(tmp_path, mixed, applied.run_id, "--messages", "40", "--workers", "1", "--expect-workers", "2",
                "--master-port", port)
    load.wait_for("worker 1/1 started")
    remote = subprocess.Popen([sys.executable, "-m", "harness.cli", "load", str(mixed), "--run-id", applied.run_id,
                               "--worker", "--master-host", "127.0.0.1", "--master-port", port],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        code, report = load.finish()
        assert code == 0, "\n".join(load.lines)
        assert remote.wait(timeout=30) == 0  # the master's quit ends it
    finally:
        if remote.poll() is None:
            remote.kill()
    workers = report["load"]["workers"]
    assert len(workers) == 2 and sorted(w["sent"] for w in workers) == [20, 20]
    assert remote.pid in [w["pid"] for w in workers]
    counts = report["scenarios"][0]["paths"][0]["counts"]
    assert counts["sent"] == counts["received"] == counts["intact"] == 40


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
