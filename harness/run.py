"""Stage 7 — the one driver of a run: endpoint → up → scenarios → reports → down.

``harness e2e``, ``harness run`` and the pytest plugin all drive runs through :class:`Driver`, so
they resolve the endpoint, apply, judge, report and clean up the same way:

- **endpoint** (LocalStack target): ``settings.endpoint_url`` (``HARNESS_ENDPOINT_URL`` /
  ``--harness-endpoint``; must answer, is left running), else the emulator recorded in the state
  directory when it answers (left running), else one the driver starts and stops again;
- **up**: one applied run per topology file, applied on first use;
- **scenarios**: one :class:`~harness.scenario.execute.runner.ScenarioRunner` per run (it remembers an
  endpoint that went away, so the remaining scenarios are recorded as not run at once);
- **reports** and **down** happen in :meth:`Driver.close`, whatever the scenarios did and on
  Ctrl-C; runs the driver did not apply itself (``harness run`` on an applied run) are reported
  but left applied. If the emulator died, its resources died with it: the destroy is skipped
  with one line instead of hanging on retries.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from harness import emulator
from harness.access.static import check_topology_access
from harness.change import execute
from harness.change import report as change_report
from harness.change.outcome import ACCEPTED, ChangeOutcome
from harness.change.probe import ProbeSettings
from harness.errors import EmulatorError, HarnessError
from harness.provision import lifecycle
from harness.provision.fault_journal import FaultJournal
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.report import console_summary, resources_of, write_reports
from harness.report.meta import run_meta
from harness.scenario import cost
from harness.scenario.execute.access_step import applied_matrix, outsiders_of
from harness.scenario.execute.oneline import one_line
from harness.scenario.execute.runner import ScenarioRunner
from harness.scenario.execute.settle import settle_deliveries
from harness.scenario.format.loader import discover_scenarios, validate_scenario_files
from harness.scenario.format.model import Scenario
from harness.scenario.judge import human
from harness.scenario.judge.result import INCONCLUSIVE, PASSED, RunReport, ScenarioResult
from harness.settings import Settings
from harness.topology.loader import load_topology
from harness.topology.model import Topology


@dataclass
class _Run:
    manifest: Manifest
    owned: bool  # applied by this driver, so destroyed by it
    runner: ScenarioRunner
    report: RunReport
    scenarios: list[Scenario] = field(default_factory=list)
    unsettled: str | None = None  # why SNS did not deliver after the apply (AWS): scenarios not run


@dataclass
class Finished:
    """One run's report and the files written for it."""

    report: RunReport
    files: dict[str, Path] = field(default_factory=dict)


class Driver:
    """Drives runs for one process (a CLI command, or one pytest process / xdist worker).

    ``emulator_home``: where an emulator the driver starts keeps its state — ``"state-dir"`` (the
    settings' state directory, so ``harness emulator status`` sees it; the CLI) or ``"private"`` (a
    temporary directory and an ephemeral port, so parallel pytest workers never share one).
    """

    def __init__(
        self,
        settings: Settings,
        target: str = "localstack",
        out: TextIO | None = None,
        show_progress: bool = True,
        emulator_home: str = "state-dir",
        verbose_scenarios: bool = True,
    ):
        self.settings = settings
        self.target_name = target
        self.out = out or sys.stdout
        self.show_progress = show_progress
        self.emulator_home = emulator_home
        self.verbose_scenarios = verbose_scenarios
        self.endpoint: str | None = None
        self._own: emulator.HostEmulator | None = None
        self._private_dir: Path | None = None
        self._runs: dict[str, _Run] = {}  # topology file -> run
        self.finished: list[Finished] = []  # filled by close()

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- endpoint ---------------------------------------------------------------------------------
    def ensure_endpoint(self) -> str | None:
        """The LocalStack endpoint of this driver's runs (None on AWS), started if need be."""
        if self.endpoint:
            return self.endpoint
        if self.target_name == "aws":  # real AWS, or an endpoint override for a rehearsal
            self.endpoint = self.settings.endpoint_url
            return self.endpoint
        external = self.settings.endpoint_url
        if external:
            if not emulator.is_ready(external):
                raise EmulatorError(f"HARNESS_ENDPOINT_URL={external} does not answer as a healthy LocalStack; start it or unset the variable.")
            self._say(f"LocalStack at {external} (HARNESS_ENDPOINT_URL; left running)")
            self.endpoint = external
            return external
        if self.emulator_home == "private":
            recorded = emulator.read_state(self.settings.emulator_dir)
            if recorded and emulator.is_ready(recorded.endpoint_url):
                self.endpoint = recorded.endpoint_url
                return self.endpoint
            self._private_dir = Path(tempfile.mkdtemp(prefix="harness-emulator-"))
            host = emulator.HostEmulator(self.settings.replace(state_dir=self._private_dir))
            port = emulator.ephemeral_port()  # not 4566: under `-n auto` every worker starts one at once
        else:
            host = emulator.HostEmulator(self.settings)
            port = None
            if host.status() is None:
                self._say("starting LocalStack (host mode)…")
        # tied to this process: a driver killed with SIGKILL takes the emulator it launched with it
        self.endpoint = host.start(port=port, tied_to=os.getpid()).endpoint_url
        if host.launched:
            self._own = host
        self._say(f"LocalStack at {self.endpoint}" + ("" if host.launched else " (already running; left running)"))
        return self.endpoint

    # -- runs -------------------------------------------------------------------------------------
    def _track(self, manifest: Manifest, owned: bool) -> _Run:
        journal = FaultJournal(self.settings.run_dir(manifest.run_id))
        runner = ScenarioRunner(manifest, Sessions.for_manifest(manifest), show_progress=self.show_progress, journal=journal)
        run = _Run(manifest, owned, runner, RunReport(manifest.run_id, manifest.target, manifest.endpoint_url, manifest.topology))
        self._runs[manifest.topology_file] = run
        return run

    def apply(self, topology_file: Path) -> Manifest:
        """The run of ``topology_file`` in this driver, applied on first use."""
        key = str(Path(topology_file).resolve())
        if key not in self._runs:
            check_topology_access(load_topology(topology_file))  # refuse before anything is applied
            target = Target(self.target_name, self.ensure_endpoint())
            manifest = lifecycle.up(Path(topology_file), target, self.settings, out=self.out).manifest
            self._track(manifest, owned=True)
            self.settle(manifest)
        if self._runs[key].unsettled:
            raise HarnessError(self._runs[key].unsettled)
        return self._runs[key].manifest

    def settle(self, manifest: Manifest) -> None:
        """On AWS (and its rehearsal): wait, bounded and logged, until every subscription of the
        tracked run ``manifest`` delivers: after its apply, and after ``harness change`` applied a
        new topology to it (new subscriptions and changed policies propagate too). A failure is
        kept: every later scenario of the run raises it instead of blaming the system."""
        if not Target(manifest.target, manifest.endpoint_url).settles_deliveries:
            return
        run = self._runs[manifest.topology_file]
        try:
            settle_deliveries(manifest, run.runner.sessions, self.out)
        except HarnessError as err:
            run.unsettled = str(err)

    def adopt(self, manifest: Manifest) -> None:
        """Run scenarios against a run applied earlier; it stays applied when the driver closes.
        A run this driver tracks already under another topology (before ``harness change``) is
        filed under its new one and keeps its ownership: one applied by the driver is destroyed."""
        journal = FaultJournal(self.settings.run_dir(manifest.run_id))
        left = journal.left_behind()  # faults a killed process applied and never undid
        if left:
            lifecycle.restore(manifest, self.settings, self.out, "a killed process left " + "; ".join(e.describe() for e in left))
            journal.forget(left)
        owned = False
        for key, run in list(self._runs.items()):
            if run.manifest.run_id == manifest.run_id:
                owned = owned or run.owned
                del self._runs[key]
        self._track(manifest, owned=owned)

    def run(self, scenario: Scenario) -> ScenarioResult:
        """Run one scenario against the run of its topology (applied first if need be)."""
        self.apply(Path(scenario.topology_file))
        run = self._runs[scenario.topology_file]
        result = run.runner.run(scenario)
        run.report.scenarios.append(result)
        run.scenarios.append(scenario)
        return result

    def run_all(self, scenarios: Sequence[Scenario]) -> list[ScenarioResult]:
        """Run ``scenarios`` in order, a progress line and the failures of each on ``out``."""
        results = []
        for i, scenario in enumerate(scenarios, 1):
            self._say(f"[{i}/{len(scenarios)}] {scenario.name}: {scenario.description}")
            result = self.run(scenario)
            results.append(result)
            mark = "ok" if result.status == PASSED else result.status.upper()
            self._say(f"    {mark} in {human.duration(result.duration_s)}" + "".join(f"\n    ✗ {f}" for f in result.failures)
                      + "".join(f"\n    ! {line}" for line in result.inconclusive_because))
        for run in self._runs.values():
            if run.runner.not_run:
                self._say(f"the endpoint is unreachable: {run.runner.not_run} remaining scenario(s) not run")
        return results

    # -- the end ----------------------------------------------------------------------------------
    def close(self, reports_dir: Path | None = None) -> list[Finished]:
        """Write every run's reports, destroy the runs this driver applied, stop its emulator.
        Each step happens even when an earlier one failed; the first error is raised after all."""
        first_error: BaseException | None = None
        try:
            for run in self._runs.values():
                run.report.access = self._access_matrix(run)
                run.report.resources = resources_of(run.manifest)
                run.report.meta = run_meta(run.manifest)
                run.report.finished_at = time.time()
                files = write_reports(run.report, (reports_dir or self.settings.reports_dir) / run.manifest.run_id)
                self.finished.append(Finished(run.report, files))
            for run in self._runs.values():
                if not run.owned:
                    continue
                try:
                    self._down(run.manifest)
                except (HarnessError, KeyboardInterrupt) as exc:
                    self._say(f"cleanup of run {run.manifest.run_id} failed: {exc or type(exc).__name__}")
                    first_error = first_error or exc
        finally:
            if self._own is not None:
                self._say("LocalStack stopped" if self._own.stop() else "LocalStack was already stopped")
                self._own = None
            if self._private_dir is not None:
                shutil.rmtree(self._private_dir, ignore_errors=True)
                self._private_dir = None
        if first_error is not None:
            raise first_error
        return self.finished

    def _access_matrix(self, run: _Run) -> dict:
        """The run's access matrix for report.json, from the policies applied at the end."""
        manifest = run.manifest
        if run.runner.unreachable_during is not None or (manifest.endpoint_url and not emulator.is_ready(manifest.endpoint_url)):
            return {"error": "not read: the endpoint is unreachable"}
        outsiders = outsiders_of(run.scenarios, manifest.accounts.values())
        try:
            return applied_matrix(manifest, run.runner.sessions, outsiders).as_dict()
        except HarnessError as err:
            return {"error": one_line(err)}

    def _down(self, manifest: Manifest) -> None:
        if manifest.endpoint_url and not emulator.is_ready(manifest.endpoint_url):
            self._say(f"LocalStack at {manifest.endpoint_url} is gone, and the run's resources with it; nothing left to destroy")
            lifecycle.forget(manifest.run_id, self.settings, f"the emulator at {manifest.endpoint_url} went away")
            return
        lifecycle.down(manifest.run_id, self.settings, out=self.out)


def guard_cost(target: str, scenarios: Sequence[Scenario], topology: Topology, max_cost_usd: float | None, out: TextIO) -> None:
    """On AWS, refuse (with the table) scenarios whose estimated cost exceeds ``max_cost_usd``
    before anything is applied or sent. The emulator costs nothing: no check there."""
    if target != "aws":
        return
    estimates = cost.estimate_all(scenarios, topology)
    limit = cost.DEFAULT_MAX_COST_USD if max_cost_usd is None else max_cost_usd
    cost.check_budget(estimates, limit)
    total = sum(e.usd for e in estimates)
    print(f"cost guard: estimated ${total:.4f} for {len(estimates)} scenario(s), within the ${limit:g} limit", file=out, flush=True)


def run_scenarios(
    settings: Settings, manifest: Manifest, scenarios: Sequence[Scenario], out: TextIO, max_cost_usd: float | None = None
) -> Finished:
    """``harness run``: scenarios against an applied run, which stays applied. What the run applied
    is judged (its snapshot), whatever happened to the topology file since (said when it changed)."""
    drift = manifest.topology_drift()
    if drift:
        print(f"note: {drift}", file=out, flush=True)
    guard_cost(manifest.target, scenarios, manifest.applied_topology(), max_cost_usd, out)
    driver = Driver(settings, manifest.target, out=out)
    driver.adopt(manifest)
    try:
        driver.run_all(scenarios)
    finally:
        [finished] = driver.close()
    return finished


def e2e(
    settings: Settings,
    topology_file: Path,
    scenario_dir: Path,
    out: TextIO | None = None,
    target: str = "localstack",
    max_cost_usd: float | None = None,
    accept_inconclusive: bool = False,
    finished: list[Finished] | None = None,
) -> int:
    """``harness e2e``: emulator, apply, every scenario naming the topology, reports, destroy, stop.
    On ``target="aws"`` the cost guard runs first and no emulator is started. ``finished`` (a list)
    receives the run's report and files."""
    out = out or sys.stdout
    started = time.monotonic()
    scenarios = validate_scenario_files(discover_scenarios(scenario_dir))  # every file's problems at once
    wanted = str(Path(topology_file).resolve())
    mine = [s for s in scenarios if s.topology_file == wanted]
    if not mine:
        raise HarnessError(f"no scenario in {scenario_dir} names {topology_file}; nothing to run")
    guard_cost(target, mine, load_topology(topology_file), max_cost_usd, out)
    driver = Driver(settings, target, out=out)
    try:
        driver.apply(Path(topology_file))
        driver.run_all(mine)
    finally:
        closed = driver.close()
    [result] = closed
    if finished is not None:  # the caller's view of what was written (harness e2e --output)
        finished.append(result)
    print("\n" + console_summary(result.report), file=out)
    print(f"reports: {result.files['json'].parent}  (report.json, junit.xml, report.html, report.md)", file=out)
    print(f"total time {time.monotonic() - started:.1f}s", file=out, flush=True)
    return exit_status(result.report, accept_inconclusive)


def exit_status(report: RunReport, accept_inconclusive: bool = False) -> int:
    """0 passed; 1 a scenario failed or could not run; 3 inconclusive (0 when accepted)."""
    if report.status == PASSED or (report.status == INCONCLUSIVE and accept_inconclusive):
        return 0
    return 3 if report.status == INCONCLUSIVE else 1


# -- topology changes (issue 13) -------------------------------------------------------------------
def _change_and_judge(
    driver: Driver, manifest: Manifest, new_file: Path, scenario_dir: Path, options: ChangeOptions, out: TextIO
) -> ChangeOutcome:
    wanted = str(Path(new_file).resolve())
    scenarios = [s for s in validate_scenario_files(discover_scenarios(scenario_dir)) if s.topology_file == wanted]
    outcome = execute.change(manifest, Path(new_file), driver.settings, options.allow, options.probe, options.plan_only, out)
    if outcome.applied:
        driver.adopt(manifest)
        driver.settle(manifest)  # on AWS, as after an apply: NEW's subscriptions deliver before its scenarios
        outcome.scenarios = driver.run_all(scenarios)
        outcome.scenarios_run = True
    return outcome


@dataclass(frozen=True)
class ChangeOptions:
    """``--allow`` tokens, probe settings, and ``--plan-only`` (summarise, apply nothing)."""

    allow: frozenset[str] = frozenset()
    probe: ProbeSettings | None = None
    plan_only: bool = False


def _finish_change(settings: Settings, outcome: ChangeOutcome, out: TextIO) -> int:
    files = change_report.write(outcome, settings.reports_dir / outcome.run_id)
    print(f"\nchange {outcome.verdict}" + "".join(f"\n  ✗ {r}" for r in outcome.reasons()), file=out)
    print(f"reports: {files['md']} and change.json", file=out, flush=True)
    return 0 if outcome.verdict == ACCEPTED else 1


def change_run(settings: Settings, manifest: Manifest, new_file: Path, scenario_dir: Path, options: ChangeOptions, out: TextIO | None = None) -> int:
    """``harness change``: change applied run ``manifest`` to NEW, run NEW's scenarios, write
    change.md / change.json. The run stays applied (as NEW). 0 when the change is accepted."""
    out = out or sys.stdout
    driver = Driver(settings, manifest.target, out=out)
    try:
        outcome = _change_and_judge(driver, manifest, new_file, scenario_dir, options, out)
    finally:
        driver.close()
    return _finish_change(settings, outcome, out)


def accept(settings: Settings, base_file: Path, new_file: Path, scenario_dir: Path, options: ChangeOptions, out: TextIO | None = None) -> int:
    """``harness accept``: emulator, apply BASE, change to NEW under probe traffic, NEW's scenarios,
    destroy, stop — the driver destroys and stops on every exit, Ctrl-C included."""
    out = out or sys.stdout
    driver = Driver(settings, "localstack", out=out)
    try:
        manifest = driver.apply(Path(base_file))
        outcome = _change_and_judge(driver, manifest, new_file, scenario_dir, options, out)
    finally:
        driver.close()
    return _finish_change(settings, outcome, out)
