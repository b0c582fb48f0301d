"""``harness load``: check the inputs, plan, guard the cost, run the master, write the reports.

The Locust processes run in :mod:`harness.load_agent` (Locust must patch the standard library before
boto3 is imported), so ``harness load`` hands its options over with :func:`agent_argv`; this module
imports no Locust itself except in :func:`run_load`, which only the agent calls.
"""

from __future__ import annotations

import argparse
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from harness.errors import HarnessError, RunNotFoundError
from harness.load.plan import Budget, LoadPlan
from harness.provision.manifest import STATUS_APPLIED, Manifest
from harness.scenario import cost
from harness.scenario.format.loader import validate_scenario_files
from harness.scenario.format.model import Scenario
from harness.settings import Settings

# options handed from `harness load` to the agent, as (flag, attribute)
_VALUED = (("--run-id", "run_id"), ("--duration", "duration"), ("--messages", "messages"), ("--workers", "workers"),
           ("--expect-workers", "expect_workers"), ("--rate", "rate"), ("--csv", "csv"), ("--ui-port", "ui_port"),
           ("--master-host", "master_host"), ("--master-port", "master_port"), ("--max-cost-usd", "max_cost_usd"))
_FLAGS = (("--locust-ui", "locust_ui"), ("--worker", "worker"))


def agent_argv(args: argparse.Namespace) -> list[str]:
    """The ``python -m harness.load_agent`` arguments for parsed ``harness load`` options."""
    argv = ["load", *args.files]
    for flag, attr in _VALUED:
        value = getattr(args, attr, None)
        if value is not None:
            argv += [flag, str(value)]
    argv += [flag for flag, attr in _FLAGS if getattr(args, attr, False)]
    return argv


@dataclass(frozen=True)
class LoadOptions:
    files: tuple[Path, ...]
    run_id: str
    budget: Budget
    workers: int = 2
    expect_workers: int | None = None
    rate: float | None = None
    master_host: str = "127.0.0.1"
    master_port: int | None = None
    locust_ui: bool = False
    ui_port: int = 8089
    csv: str | None = None
    max_cost_usd: float | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> LoadOptions:
        return cls(tuple(Path(f) for f in args.files), args.run_id, Budget(args.duration, args.messages), args.workers,
                   args.expect_workers, args.rate, args.master_host or "127.0.0.1", args.master_port, args.locust_ui,
                   args.ui_port or 8089, args.csv, args.max_cost_usd)


def load_inputs(settings: Settings, files: tuple[Path, ...], run_id: str) -> tuple[list[Scenario], Manifest]:
    """The scenarios (all problems at once) and the applied run they load."""
    scenarios = validate_scenario_files(files)
    manifest = Manifest.load(run_id, settings)
    if manifest.status != STATUS_APPLIED:
        raise RunNotFoundError(f"run {run_id} is {manifest.status}, not applied: a load run needs an applied topology")
    for sc in scenarios:
        if sc.topology_file != manifest.topology_file:
            raise HarnessError(f"{sc.source} names topology {sc.topology_file}, but run {run_id} applied {manifest.topology_file}")
    return scenarios, manifest


def guard_cost(plan: LoadPlan, manifest: Manifest, max_cost_usd: float | None, out: TextIO) -> None:
    """On AWS, the kit's cost guard over what the load run will send (each stream's budgeted count)."""
    if manifest.target != "aws":
        return
    scenarios = [replace(s.scenario, send=s.send) for s in plan.streams]
    drift = manifest.topology_drift()
    if drift:  # the run's snapshot is what is loaded, whatever happened to the file since
        print(f"note: {drift}", file=out, flush=True)
    estimates = cost.estimate_all(scenarios, manifest.applied_topology())
    limit = cost.DEFAULT_MAX_COST_USD if max_cost_usd is None else max_cost_usd
    cost.check_budget(estimates, limit)
    print(f"cost guard: estimated ${sum(e.usd for e in estimates):.4f} for the load run, within the ${limit:g} limit", file=out, flush=True)


def run_load(settings: Settings, options: LoadOptions, out: TextIO) -> int:
    """The master's side (called by the agent, after Locust patched the standard library)."""
    from harness.emulator.state import ephemeral_port
    from harness.load.master import MasterOptions, run_master, worker_argv
    from harness.load.report import write_load_reports
    from harness.report import console_summary

    scenarios, manifest = load_inputs(settings, options.files, options.run_id)
    expect = options.expect_workers if options.expect_workers is not None else options.workers
    if expect < max(1, options.workers):
        raise HarnessError(f"--expect-workers {expect}: at least the {options.workers} local workers (and at least 1)")
    token = f"{manifest.run_id}.l{uuid.uuid4().hex[:6]}"
    plan = LoadPlan.build(scenarios, options.budget, manifest.run_id, token, expect, options.rate)
    guard_cost(plan, manifest, options.max_cost_usd, out)
    port = options.master_port or ephemeral_port()
    master = MasterOptions(options.workers, expect, options.master_host, port, options.locust_ui, options.ui_port, options.csv,
                           worker_argv(options.files, manifest.run_id, options.master_host, port))
    started = time.time()
    outcome = run_master(plan, manifest, master, out)
    directory = settings.reports_dir / manifest.run_id / f"load-{token.rsplit('.l', 1)[-1]}"
    files = write_load_reports(manifest, outcome, directory, started, time.time())
    passed = all(r.status == "passed" for r in outcome.results)
    from harness.scenario.judge.result import RunReport

    summary = RunReport(manifest.run_id, manifest.target, manifest.endpoint_url, manifest.topology, scenarios=outcome.results)
    print("\n" + console_summary(summary), file=out)
    share = outcome.section.get("lost_share", {})
    if share.get("workers"):
        print(f"lost share of workers {share['workers']}: {share['unsent']} never sent, {share['unaccounted']} unaccounted "
              f"(not counted as message loss)", file=out)
    print(f"reports: {files['json'].parent}  (report.json with its load section, junit.xml, report.html, report.md)", file=out, flush=True)
    if outcome.section.get("interrupted"):
        return 130
    return 0 if passed else 1
