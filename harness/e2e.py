"""``harness run`` and ``harness e2e``: scenarios against an applied run, and the whole job.

``e2e`` = start the emulator (unless one is already running, or ``HARNESS_ENDPOINT_URL`` names
one; either is then left running), apply
the topology, run every scenario that names it, write the reports, destroy, stop the emulator.
Destroy and stop happen whatever the scenarios did, and on Ctrl-C. If the emulator itself died,
its resources died with it: the destroy is skipped with a message instead of hanging on retries.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from harness import emulator, paths
from harness.errors import EmulatorError, HarnessError
from harness.provision import lifecycle
from harness.provision.manifest import STATUS_DESTROYED, Manifest
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.report import console_summary, write_reports
from harness.scenario.loader import discover_scenarios, load_scenario
from harness.scenario.model import Scenario
from harness.scenario.result import RunReport
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings


def run_scenarios(manifest: Manifest, scenarios: Sequence[Scenario], out: TextIO, reports_root: Path | None = None) -> tuple[RunReport, dict[str, Path]]:
    report = RunReport(manifest.run_id, manifest.target, manifest.endpoint_url, manifest.topology)
    runner = ScenarioRunner(manifest, Sessions.for_manifest(manifest), show_progress=True)
    try:
        for i, scenario in enumerate(scenarios, 1):
            print(f"[{i}/{len(scenarios)}] {scenario.name}: {scenario.description}", file=out, flush=True)
            result = runner.run(scenario)
            report.scenarios.append(result)
            mark = "ok" if result.status == "passed" else result.status.upper()
            print(f"    {mark} in {result.duration_s:.1f}s" + "".join(f"\n    ✗ {f}" for f in result.failures), file=out, flush=True)
        if runner.not_run:
            print(f"the endpoint is unreachable: {runner.not_run} remaining scenario(s) not run", file=out, flush=True)
    finally:
        report.finished_at = time.time()
        files = write_reports(report, (reports_root or paths.reports_dir()) / manifest.run_id)
    return report, files


def e2e(topology_file: Path, scenario_dir: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    started = time.monotonic()
    scenarios = [load_scenario(p) for p in discover_scenarios(scenario_dir)]
    wanted = str(Path(topology_file).resolve())
    mine = [s for s in scenarios if s.topology_file == wanted]
    if not mine:
        raise HarnessError(f"no scenario in {scenario_dir} names {topology_file}; nothing to run")
    host = emulator.HostEmulator()
    settings = Settings.from_env(os.environ)
    external = os.environ.get("HARNESS_ENDPOINT_URL", "").strip().rstrip("/")
    endpoint = external
    manifest: Manifest | None = None
    report: RunReport | None = None
    files: dict[str, Path] = {}
    try:
        if external:
            if not emulator.is_ready(external):
                raise EmulatorError(f"HARNESS_ENDPOINT_URL={external} does not answer as a healthy LocalStack; start it or unset the variable.")
            print(f"LocalStack at {endpoint} (HARNESS_ENDPOINT_URL; left running)", file=out, flush=True)
        else:
            if host.status() is None:
                print("starting LocalStack (host mode)…", file=out, flush=True)
            endpoint = host.start().endpoint_url
            print(f"LocalStack at {endpoint}" + ("" if host.launched else " (already running; left running)"), file=out, flush=True)
        try:
            manifest = lifecycle.up(Path(topology_file), Target("localstack", endpoint), settings, out=out).manifest
            report, files = run_scenarios(manifest, mine, out)
        finally:
            if manifest is not None:
                if emulator.is_ready(endpoint):
                    lifecycle.down(manifest.run_id, settings, out=out)
                else:
                    print(
                        f"LocalStack at {endpoint} is gone, and the run's resources with it; nothing left to destroy",
                        file=out,
                        flush=True,
                    )
                    manifest.status = STATUS_DESTROYED
                    manifest.save(settings)
    finally:
        if host.launched:  # one that was already running (or external) is left running
            print("LocalStack stopped" if host.stop() else "LocalStack was already stopped", file=out, flush=True)
    assert report is not None
    print("\n" + console_summary(report), file=out)
    print(f"reports: {files['json'].parent}  (report.json, junit.xml, report.html, report.md)", file=out)
    print(f"total time {time.monotonic() - started:.1f}s", file=out, flush=True)
    return 0 if report.status == "passed" else 1
