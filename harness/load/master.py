"""The Locust master of a load run: workers, the plan, the budget, the stop, the verdicts.

Flow: bind Locust's master (``--master-host``/``--master-port``), start ``--workers`` local worker
processes (``python -m harness.load_agent load … --worker``; each dies with the master, ``PR_SET_PDEATHSIG``),
wait for ``expect_workers`` workers (local ones plus any started elsewhere against the same run
manifest), send them the plan (the schedule starts a second later), start one producer and one
consumer user per worker, and collect each worker's reports. When every live worker's producers
are done, wait until everything sent was delivered or the longest ``within`` (+ grace) passed,
then tell the workers to stop, take their last reports, quit Locust and reap the processes.

Ctrl-C / SIGTERM at any point: the same stop (no drain wait), then the report — the run is marked
interrupted. A second interrupt kills the workers at once. A worker Locust marks missing, or a local
worker process that exits, is recorded as gone: its share becomes its lost share (:mod:`.judge`).
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import gevent
from locust import argument_parser
from locust.env import Environment
from locust.stats import StatsCSVFileWriter, stats_history

from harness.errors import HarnessError
from harness.load.judge import Judge, LoadOutcome, rate_over_time
from harness.load.plan import START_DELAY_SECONDS, LoadPlan
from harness.load.records import WorkerReport
from harness.load.users import PLAN, REPORT, STOP, USER_CLASSES, ProducerUser
from harness.provision.manifest import Manifest
from harness.scenario.judge.verdicts import LATE_GRACE_SECONDS

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 60.0
FINAL_REPORT_SECONDS = 45.0
REAP_SECONDS = 10.0
SLICE = 0.2
HEARTBEAT_LOST = "Locust lost its heartbeat"


@dataclass(frozen=True)
class MasterOptions:
    workers: int  # local worker processes
    expect_workers: int  # workers to wait for in all (>= workers)
    host: str = "127.0.0.1"  # where the master listens
    port: int = 5557
    locust_ui: bool = False
    ui_port: int = 8089
    csv_prefix: str | None = None
    worker_command: Sequence[str] = field(default_factory=tuple)  # argv of a local worker, minus the python
    env: dict[str, str] | None = None  # environment of local workers (None: inherit)


def _die_with_master() -> None:
    """preexec_fn: the kernel sends the worker SIGTERM when the master dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _locust_options() -> argparse.Namespace:
    """Locust's defaults (its web UI reads them; without them it would parse this process's argv)."""
    parser = argument_parser.get_empty_argument_parser()
    argument_parser.setup_parser_arguments(parser)
    return parser.parse(args=[])


class Master:
    def __init__(self, plan: LoadPlan, manifest: Manifest, options: MasterOptions, out: TextIO):
        self.plan, self.manifest, self.options, self.out = plan, manifest, options, out
        self.env = Environment(user_classes=USER_CLASSES, parsed_options=_locust_options())
        self.runner = self.env.create_master_runner(options.host, options.port)
        self.runner.register_message(REPORT, self._on_report)
        self.workers: dict[str, WorkerReport] = {}  # node id -> report
        self.procs: list[subprocess.Popen] = []
        self.interrupts = 0
        self.started = time.time()
        self.nodes: list[str] = []  # the workers the plan was sent to

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- messages and signals -------------------------------------------------------------------
    def _on_report(self, msg, **_kw) -> None:  # noqa: ANN001 - Locust's message
        report = self.workers.get(msg.node_id)
        if report is None:
            report = self.workers[msg.node_id] = WorkerReport(int(msg.data.get("index", -1)), msg.node_id)
        report.add(msg.data, time.time())

    def _interrupt(self, signum: int) -> None:
        self.interrupts += 1
        if self.interrupts == 1:
            self.say(f"{signal.Signals(signum).name}: stopping the workers, then writing the report (again: kill them)")
        else:
            self._kill_workers()

    # -- lifecycle ------------------------------------------------------------------------------
    def run(self) -> LoadOutcome:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            gevent.signal_handler(sig, self._interrupt, sig)
        greenlets: list[gevent.Greenlet[..., object]] = []
        writer = None
        try:
            if self.options.locust_ui:
                ui = self.env.create_web_ui(self.options.host, self.options.ui_port)
                self.say(f"Locust UI at http://{self.options.host}:{ui.server.server_port if ui.server else self.options.ui_port}/")
            if self.options.csv_prefix:
                Path(self.options.csv_prefix).parent.mkdir(parents=True, exist_ok=True)
                writer = StatsCSVFileWriter(self.env, [0.5, 0.9, 0.99], self.options.csv_prefix, full_history=False)
                greenlets.append(gevent.spawn(writer))
                greenlets.append(gevent.spawn(stats_history, self.runner))
            self._start_workers()
            if self._wait_ready():
                self._start_plan()
                self._wait_done()
            self._stop()
        finally:
            self._reap()
            for g in greenlets:
                g.kill(block=False)
            if writer is not None:
                writer.close_files()
            web = getattr(self.env, "web_ui", None)
            if web is not None and getattr(web, "server", None) is not None:
                web.stop()
        return self._judge()

    def _start_workers(self) -> None:
        for i in range(self.options.workers):
            cmd = [sys.executable, *self.options.worker_command]
            proc = subprocess.Popen(cmd, env=self.options.env, start_new_session=True, preexec_fn=_die_with_master,
                                    stdin=subprocess.DEVNULL)
            self.procs.append(proc)
            self.say(f"worker {i + 1}/{self.options.workers} started (pid {proc.pid})")

    def _ready(self) -> int:
        return len(self.runner.clients.ready) + len(self.runner.clients.running) + len(self.runner.clients.spawning)

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while self._ready() < self.options.expect_workers:
            exited = [p for p in self.procs if p.poll() is not None]
            if exited:
                raise HarnessError(f"worker pid {exited[0].pid} exited ({exited[0].returncode}) before the run started; see its output above")
            if self.interrupts:
                return False
            if time.monotonic() > deadline:
                raise HarnessError(f"{self._ready()} of {self.options.expect_workers} workers connected within {READY_TIMEOUT_SECONDS:.0f}s")
            gevent.sleep(SLICE)
        self.say(f"{self._ready()} workers connected to the master at {self.options.host}:{self.options.port}")
        return True

    def _start_plan(self) -> None:
        self.nodes = [c.id for c in self.runner.clients.values() if c.state != "missing"]
        self.plan = self.plan.started(time.time() + START_DELAY_SECONDS)
        self.runner.send_message(PLAN, self.plan.as_message())
        n = self.plan.workers
        ProducerUser.fixed_count = n  # dispatched first, one per worker; then n consumers, one per worker
        self.runner.start(2 * n, spawn_rate=max(2 * n, 10))
        rates = ", ".join(f"{s.scenario.name} {s.rate:g} msg/s × {s.send.count}" for s in self.plan.streams)
        self.say(f"load started: {rates}, split over {n} workers")

    def _gone(self) -> None:
        """Record workers that went away: missing for Locust, or a local process that exited."""
        live = {c.id for c in self.runner.clients.values() if c.state != "missing"}
        dead_pids = {p.pid: p.returncode for p in self.procs if p.poll() is not None}
        for node in self.nodes:
            if node not in live and node not in self.workers:  # gone before its first report
                index = self.runner.worker_indexes.get(node, -1)
                self.workers[node] = WorkerReport(index, node, gone="lost before its first report")
                self.say(f"worker {index} is gone before its first report")
        for node, report in self.workers.items():
            if report.gone == HEARTBEAT_LOST and node in live and report.pid not in dead_pids:
                report.gone = None  # a busy worker missed heartbeats, then came back: it counts again
                self.say(f"worker {report.index} (pid {report.pid}) is back")
            if report.gone or report.final:
                continue
            if node not in live:
                report.gone = HEARTBEAT_LOST
            elif report.pid in dead_pids:
                report.gone = f"its process exited ({dead_pids[report.pid]})"
            if report.gone:
                self.say(f"worker {report.index} (pid {report.pid}) is gone: {report.gone}")

    def _live(self) -> list[WorkerReport]:
        return [w for w in self.workers.values() if not w.gone]

    def _wait_done(self) -> None:
        last_send_bound = self.plan.start_wall + max(s.send.count / s.rate for s in self.plan.streams)
        while not self.interrupts:
            gevent.sleep(SLICE)
            self._gone()
            live = self._live()
            if self.workers and not live:
                self.say("no worker left")
                return
            if all(w.producers_done for w in live) and len(self.workers) >= self.plan.workers:
                break
            if time.time() > last_send_bound + 600:
                self.say("the producers did not finish 10 minutes after the schedule's end; stopping")
                return
        if self.interrupts:
            return
        sent_times = [s.t_send for w in self.workers.values() for _, s in w.sent]
        deadline = max(sent_times, default=time.time()) + self.plan.max_within() + LATE_GRACE_SECONDS
        while not self.interrupts and time.time() < deadline and not self._all_delivered():
            gevent.sleep(SLICE)
            self._gone()

    def _all_delivered(self) -> bool:
        sent = {s.correlation_id for w in self.workers.values() for _, s in w.sent}
        for stream in self.plan.streams:
            mine = {cid for cid in sent if cid.startswith(stream.token + ".")}
            for exp in stream.expect:
                got = {d.correlation_id for w in self.workers.values() for q, d in w.deliveries if q == exp.queue}
                if not mine <= got:
                    return False
        return True

    def _stop(self) -> None:
        self.say("stopping the workers…")
        self.runner.send_message(STOP)
        deadline = time.monotonic() + FINAL_REPORT_SECONDS
        while time.monotonic() < deadline and self.interrupts < 2:
            self._gone()
            if all(w.final or w.gone for w in self.workers.values()):
                break
            gevent.sleep(SLICE)
        for w in self.workers.values():
            if not w.final and not w.gone:
                w.gone = f"no final report within {FINAL_REPORT_SECONDS:.0f}s of the stop"
        self.runner.quit()

    def _kill_workers(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()

    def _reap(self) -> None:
        deadline = time.monotonic() + REAP_SECONDS
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def _judge(self) -> LoadOutcome:
        judge = Judge(self.plan, self.manifest, list(self.workers.values()))
        interrupted = self.interrupts > 0
        outcome = judge.judge(interrupted, time.time() - self.started)
        outcome.section.update({
            "token": self.plan.token, "budget": self.plan.budget.as_dict(), "interrupted": interrupted,
            "workers": [{"index": w.index, "pid": w.pid, "host": w.host, "gone": w.gone, "final": w.final,
                         "sent": len(w.sent), "deliveries": len(w.deliveries), "errors": w.errors}
                        for w in sorted(self.workers.values(), key=lambda w: w.index)],
            "rate_over_time": rate_over_time(self.plan, list(self.workers.values())),
        })
        return outcome


def run_master(plan: LoadPlan, manifest: Manifest, options: MasterOptions, out: TextIO) -> LoadOutcome:
    return Master(plan, manifest, options, out).run()


def worker_argv(files: Sequence[Path], run_id: str, host: str, port: int) -> list[str]:
    """How a local worker is started (minus the interpreter)."""
    return ["-m", "harness.load_agent", "load", *map(str, files), "--run-id", run_id, "--worker", "--master-host", host,
            "--master-port", str(port)]

