"""Benchmark of `harness load` (not a test): delivered rate with 2 Locust workers beside the
single-process scenario's, on one LocalStack.

    .venv/bin/python benchmarks/load_benchmark.py            # 2,000 small messages, 2 rounds
    .venv/bin/python benchmarks/load_benchmark.py --quick    # 500 messages, 1 round

Starts its own LocalStack (host mode, temp state dir) and always stops it, applies
``benchmarks/bench.topology.yaml`` (one topic -> one queue) and alternates, per round:

1. the single-process scenario (the kit's ScenarioRunner: its send and receive pools), a burst of
   ``--count`` messages of 256 B; delivered msg/s = messages / (last received - first sent);
2. ``harness load`` with ``--workers 2`` (a Locust master and two worker processes) sending the same
   count on an open-loop schedule faster than either can keep (``--rate``, default 5,000 msg/s), so
   it runs flat out; delivered msg/s from its report (``load.rate_over_time.delivered_rate``: distinct
   deliveries / (last delivery - first send)).

Both must account for every message (no loss) or the round fails. Medians are printed with the
ratio load / single-process (issue 15's goal: at least 1.0 on this 2-core machine).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from payload_benchmark import log, own_emulator, ticker  # noqa: E402
from pipeline_benchmark import SMALL, TOPOLOGY, Timed, run_scenario, scenario_file  # noqa: E402

from harness.provision import lifecycle  # noqa: E402
from harness.provision.manifest import Manifest  # noqa: E402
from harness.provision.targets import Target  # noqa: E402
from harness.settings import Settings  # noqa: E402


def single_process(manifest: Manifest, path: Path) -> float:
    result = run_scenario(manifest, path)
    send = result.send or {}
    return result.paths[0].counts["received"] / (Timed.last_recv - send["started_at"])


def distributed(state_dir: Path, run_id: str, path: Path, count: int, rate: float, workers: int, reports: Path) -> float:
    env = {**os.environ, "HARNESS_STATE_DIR": str(state_dir), "HARNESS_REPORTS_DIR": str(reports)}
    cmd = [sys.executable, "-m", "harness.load_agent", "load", str(path), "--run-id", run_id, "--messages", str(count),
           "--rate", str(rate), "--workers", str(workers)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    report = max(reports.glob(f"{run_id}/load-*/report.json"), key=lambda p: p.stat().st_mtime, default=None)
    if out.returncode != 0 or report is None:
        raise RuntimeError(f"harness load failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    data = json.loads(report.read_text())
    counts = data["scenarios"][0]["paths"][0]["counts"]
    if counts["received"] != count or counts["lost"]:
        raise RuntimeError(f"harness load lost messages: {counts}")
    return float(data["load"]["rate_over_time"]["delivered_rate"])


def measure(args: argparse.Namespace, endpoint: str, state_dir: Path) -> int:
    settings = Settings.from_env(os.environ, state_dir=state_dir)
    log("applying benchmarks/bench.topology.yaml ...")
    manifest = lifecycle.up(TOPOLOGY, Target("localstack", endpoint), settings, out=io.StringIO()).manifest
    try:
        Timed.install()
        tmp = state_dir / "bench"  # removed with the emulator's temporary state dir
        tmp.mkdir()
        burst = scenario_file(tmp, "burst", f"topic: events, count: {args.count}, size: {SMALL}B")
        load = os.getloadavg()
        log(f"CPUs {os.cpu_count()}, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
        singles, loads = [], []
        for i in range(1, args.rounds + 1):
            with ticker(f"round {i}"):
                singles.append(single_process(manifest, burst))
                loads.append(distributed(state_dir, manifest.run_id, burst, args.count, args.rate, args.workers, tmp / "reports"))
            log(f"round {i}: single-process scenario {singles[-1]:.0f} msg/s, harness load ({args.workers} workers) {loads[-1]:.0f} msg/s")
        single, dist = statistics.median(singles), statistics.median(loads)
        end = os.getloadavg()
        print()
        print(f"=== load benchmark ({args.rounds} rounds, medians; {args.count} x {SMALL} B; load average {load[0]:.2f} at start, "
              f"{end[0]:.2f} at end) ===")
        print(f"delivered msg/s   single-process scenario {single:8.1f}   harness load, {args.workers} workers {dist:8.1f}   "
              f"ratio {dist / single:5.2f}  goal >= 1.0 {'met' if dist >= single else 'NOT met'}")
        print(f"  per round: single {' / '.join(f'{v:.0f}' for v in singles)}; load {' / '.join(f'{v:.0f}' for v in loads)}")
        return 0
    finally:
        log("destroying the bench topology ...")
        lifecycle.down(manifest.run_id, settings, out=io.StringIO())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="messages per run (default 2000)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating single/load rounds (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="harness load workers (default 2)")
    parser.add_argument("--rate", type=float, default=5000.0, help="harness load's schedule, msg/s (default 5000: flat out)")
    parser.add_argument("--port", type=int, default=4671, help="LocalStack port (a free one if taken)")
    parser.add_argument("--quick", action="store_true", help="500 messages, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.count, args.rounds = 500, 1
    with own_emulator("load-bench-", args.port) as (endpoint, state_dir):
        return measure(args, endpoint, state_dir)


if __name__ == "__main__":
    sys.exit(main())
