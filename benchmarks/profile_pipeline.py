"""Where the harness's CPU goes on a burst, beside raw boto3's, and how many API requests each makes.

    .venv/bin/python benchmarks/profile_pipeline.py                  # 3 bursts of 2,000 per side
    .venv/bin/python benchmarks/profile_pipeline.py --count 500 --bursts 2 --keep /tmp/profiles

Starts its own LocalStack, applies ``bench.topology.yaml`` (one topic -> one queue), then runs the
same bursts as ``pipeline_benchmark.py`` — the harness scenario, and raw boto3 (PublishBatch from 4
threads, 4 consumers with DeleteMessageBatch) — each side in a child process sampled by py-spy (all
threads, 250 Hz, idle time left out; LocalStack is another process and is not sampled). Each sample
is charged to the leaf-most frame that belongs to a category (botocore signing, serialising,
parsing, HTTP, hashing, JSON, attribute encoding, HDR recording, the receive window, logging,
thread hand-offs, ...), so the table says what each side spends its CPU on, per delivered message.
Each child also counts its API requests per operation (botocore's ``after-call`` event), the empty
receives apart, and reports process CPU seconds from the first send to the last receive.

Not a test: the figures depend on the machine. py-spy must be installed (``pip install py-spy``;
it is on PyPI as a wheel with its binary) and allowed to ptrace its child (root, or
``kernel.yama.ptrace_scope`` 0).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from payload_benchmark import log, own_emulator  # noqa: E402
from pipeline_benchmark import TOPOLOGY, Requests, Timed, process_cpu, raw_burst, run_scenario, scenario_file  # noqa: E402

from harness.provision import lifecycle  # noqa: E402
from harness.provision.manifest import Manifest  # noqa: E402
from harness.provision.sessions import Sessions  # noqa: E402
from harness.provision.targets import Target  # noqa: E402
from harness.settings import Settings  # noqa: E402

# Leaf-most match wins: a sample in ssl under urllib3 under botocore under the send pool is "HTTP".
CATEGORIES: list[tuple[str, re.Pattern[str]]] = [
    ("hashing (sha256)", re.compile(r"hashlib|_sha256|\bsha256\b|payload/outcome\.py")),
    ("payload bytes (generate)", re.compile(r"payload/generator\.py|payload/source\.py|payload/stream\.py")),
    ("JSON", re.compile(r"/json/")),
    ("HDR histogram", re.compile(r"/hdrh/")),
    ("receive window", re.compile(r"execute/window\.py")),
    ("logging", re.compile(r"/logging/")),
    ("botocore: signing", re.compile(r"botocore/(auth|signers|crt)\.py|botocore/credentials\.py")),
    ("botocore: serialise + validate", re.compile(r"botocore/(serialize|validate|model)\.py")),
    ("botocore: parse response", re.compile(r"botocore/parsers\.py|xml/etree|pyexpat")),
    ("HTTP (urllib3, http.client, ssl, socket)", re.compile(r"urllib3/|http/client\.py|/ssl\.py|/socket\.py|/selectors\.py")),
    ("botocore: hooks, retries, endpoint", re.compile(r"botocore/(hooks|retries|retryhandler|endpoint|httpsession|regions|awsrequest|client|args|utils|context)")),
    ("boto3/botocore other", re.compile(r"/botocore/|/boto3/|/s3transfer/")),
    ("attributes + wire format", re.compile(r"payload/(wire|message|envelope|addressing|batch)\.py")),
    ("harness: send (plan, pace, publish)", re.compile(r"execute/(send|send_pool)\.py|payload/publisher\.py")),
    ("harness: receive + verify + ack", re.compile(r"execute/(watch|receive_pool)\.py|payload/consumer\.py")),
    ("harness: judge + measure", re.compile(r"scenario/judge/")),
    ("harness: other", re.compile(r"(^|[ (/])harness/")),
    ("thread hand-offs (queue, locks, futures)", re.compile(r"/(threading|queue|concurrent/futures/[a-z_]+)\.py")),
    ("raw benchmark loop", re.compile(r"pipeline_benchmark\.py|profile_pipeline\.py")),
]


STARTUP = re.compile(r"importlib\._bootstrap|ClientCreator\.create_client|Session\.create_client|_load_service_model|_load_service_endpoints_ruleset")


def category(stack: list[str]) -> str:
    frames = [f for f in stack if not f.startswith(("process ", "thread ("))]  # py-spy's labels, not frames
    if not frames:
        return "no Python frame (native code, GC)"
    if any(STARTUP.search(f) for f in frames):
        return "start-up (imports, client creation)"
    for frame in reversed(frames):
        for name, pattern in CATEGORIES:
            if pattern.search(frame):
                return name
    return "interpreter / other"


def breakdown(raw_file: Path) -> collections.Counter[str]:
    """py-spy's raw (collapsed) samples → samples per category."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw_file.read_text().splitlines():
        stack_text, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        counts[category(stack_text.split(";"))] += int(n)
    return counts


# -- the child: one side's bursts, its requests counted ------------------------------------------------
def child(args: argparse.Namespace) -> None:
    settings = Settings.from_env(os.environ, state_dir=Path(args.state_dir))
    manifest = Manifest.load(args.run_id, settings)
    requests = Requests()
    sessions = Sessions.for_manifest(manifest)

    def counted(service: str, account: str, region: str) -> Any:
        return requests.hook(sessions.client(service, account, region))  # type: ignore[call-overload]

    delivered, cpu = 0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        path = scenario_file(Path(tmp), "burst", f"topic: events, count: {args.count}, size: 256B")
        for _ in range(args.bursts):
            if args.side == "raw":
                q = manifest.queues["q"]
                sqs = counted("sqs", q.account, q.region)
                sns = counted("sns", manifest.topics["events"].account, manifest.topics["events"].region)
                _, _, seconds = raw_burst(sns, manifest.topics["events"].arn, {"q": (sqs, q.url)}, args.count)
                cpu += seconds
            else:
                Timed.install()
                Timed.expected = args.count
                with requests.on_harness_clients():
                    run_scenario(manifest, path)
                cpu += Timed.cpu_last_recv - Timed.cpu_first_send
            delivered += args.count
    print(json.dumps({"side": args.side, "delivered": delivered, "cpu_s": cpu, "requests": dict(requests.by_op),
                      "empty_receives": requests.empty_receives, "process_cpu_s": process_cpu()}))


# -- the parent ------------------------------------------------------------------------------------------
def py_spy() -> str | None:
    """py-spy on PATH, or beside this interpreter (a virtualenv's bin/)."""
    beside = Path(sys.executable).with_name("py-spy")
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


def profile_side(args: argparse.Namespace, side: str, state_dir: Path, run_id: str, out_dir: Path) -> tuple[dict[str, Any], collections.Counter[str]]:
    raw_file = out_dir / f"{side}.txt"
    # Blocking mode (py-spy pauses the child for each sample): a thread waiting in a lock or a
    # Condition is then seen as idle and left out, where the nonblocking mode counts some as busy.
    cmd = [py_spy() or "py-spy", "record", "--format", "raw", "--rate", "250", "--threads",
           "--output", str(raw_file), "--", sys.executable, __file__, "--child", "--side", side, "--state-dir", str(state_dir),
           "--run-id", run_id, "--count", str(args.count), "--bursts", str(args.bursts)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"py-spy on the {side} side failed:\n{proc.stderr[-3000:]}")
    result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
    return result, breakdown(raw_file)


def report(results: dict[str, dict[str, Any]], samples: dict[str, collections.Counter[str]]) -> str:
    lines = ["", "CPU by category, share of each side's samples (µs of CPU per delivered message, from its process CPU):", ""]
    per_msg = {s: results[s]["cpu_s"] / results[s]["delivered"] * 1e6 for s in results}
    totals = {s: sum(samples[s].values()) or 1 for s in samples}
    cats = sorted({c for s in samples.values() for c in s}, key=lambda c: -samples["harness"].get(c, 0))
    lines.append(f"| {'category':<44} | {'harness':>17} | {'raw boto3':>17} |")
    lines.append(f"|{'-' * 46}|{'-' * 19}|{'-' * 19}|")
    for c in cats:
        cells = []
        for s in ("harness", "raw"):
            share = samples[s].get(c, 0) / totals[s]
            cells.append(f"{share * 100:5.1f}% {share * per_msg[s]:7.1f} µs")
        lines.append(f"| {c:<44} | {cells[0]:>17} | {cells[1]:>17} |")
    lines.append(f"| {'total (CPU first send → last receive)':<44} | {per_msg['harness']:13.1f} µs | {per_msg['raw']:13.1f} µs |")
    lines += ["", f"CPU ratio harness / raw: {per_msg['harness'] / per_msg['raw']:.2f}", "", "API requests per delivered message:", ""]
    ops = sorted({o for r in results.values() for o in r["requests"]})
    for op in ops:
        h, r = (results[s]["requests"].get(op, 0) / results[s]["delivered"] for s in ("harness", "raw"))
        lines.append(f"  {op:<32} harness {h:7.3f}   raw {r:7.3f}")
    for s in ("harness", "raw"):
        total = sum(results[s]["requests"].values()) / results[s]["delivered"]
        empty = results[s]["empty_receives"] / results[s]["delivered"]
        lines.append(f"  {s + ' in all':<32} {total:7.3f} per message (empty receives {empty:.3f} of them)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="messages per burst (default 2000)")
    parser.add_argument("--bursts", type=int, default=3, help="bursts per side (default 3)")
    parser.add_argument("--port", type=int, default=4661, help="LocalStack port (a free one if taken)")
    parser.add_argument("--keep", default=None, help="directory to keep py-spy's raw samples in (default: a temp dir, removed)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=("harness", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--state-dir", help=argparse.SUPPRESS)
    parser.add_argument("--run-id", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    if py_spy() is None:
        log("py-spy is not installed: pip install py-spy (a PyPI wheel with its binary)")
        return 2
    with own_emulator("harness-profile-", args.port) as (endpoint, state_dir):
        settings = Settings.from_env(os.environ, state_dir=state_dir)
        manifest = lifecycle.up(TOPOLOGY, Target("localstack", endpoint), settings).manifest
        out_dir = Path(args.keep) if args.keep else state_dir / "profiles"
        out_dir.mkdir(parents=True, exist_ok=True)
        results, samples = {}, {}
        try:
            for side in ("raw", "harness"):
                started = time.monotonic()
                log(f"profiling the {side} side: {args.bursts} bursts of {args.count} ...")
                results[side], samples[side] = profile_side(args, side, state_dir, manifest.run_id, out_dir)
                log(f"  {side}: {time.monotonic() - started:.0f}s, {sum(samples[side].values())} samples")
        finally:
            lifecycle.down(manifest.run_id, settings)
    print(report(results, samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
