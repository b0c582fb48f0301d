"""pytest plugin: ``pytest scenarios/`` collects every ``*.scenario.yaml`` as a test item.

Each pytest process (the controller, or each xdist worker with ``-n auto``) applies the topologies
its scenarios name once, under its own run id, and destroys them when the session ends, so workers
never see each other's resources; every message also carries a per-scenario correlation id, so a
consumer ignores what is not its own.

Where LocalStack comes from, in order: ``--harness-endpoint URL``, ``$HARNESS_ENDPOINT_URL``, the
emulator recorded by ``harness emulator start`` if healthy, else one started for this process and
stopped at the end. ``--harness-target aws`` applies to real AWS instead.
Reports go to ``reports/<run-id>/`` (or ``--harness-reports DIR``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from harness import emulator, paths
from harness.errors import HarnessError, InputFileError
from harness.provision import lifecycle
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.report import console_summary, write_reports
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.scenario.result import PASSED, RunReport, ScenarioResult
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings

SUFFIX = ".scenario.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "messaging scenarios")
    group.addoption("--harness-endpoint", default=None, help="LocalStack endpoint URL to use")
    group.addoption("--harness-target", default="localstack", choices=["localstack", "aws"], help="where to apply topologies")
    group.addoption("--harness-reports", default=None, help="directory for reports (default reports/)")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(SUFFIX):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        yield ScenarioItem.from_parent(self, name=self.path.name[: -len(SUFFIX)])


class ScenarioFailed(Exception):
    """A scenario's expectations did not hold (the result lists which)."""


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        try:
            scenario = load_scenario(self.path)
        except InputFileError as err:
            raise ScenarioFailed(str(err)) from None
        session = _session(self.config)
        result = session.run(scenario)
        if result.status != PASSED:
            raise ScenarioFailed("\n".join(result.failures) or result.status)

    def repr_failure(self, excinfo, style=None):  # noqa: ANN001 - pytest's signature
        if isinstance(excinfo.value, (ScenarioFailed, HarnessError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"scenario {self.name}"


class _HarnessSession:
    """Per-process state: the emulator, one applied run per topology file, the results."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.target = config.getoption("--harness-target")
        self.settings = Settings.from_env(os.environ)
        self.endpoint: str | None = None
        self.own_emulator: emulator.HostEmulator | None = None
        self.runs: dict[str, Manifest] = {}
        self.reports: dict[str, RunReport] = {}
        self.runners: dict[str, ScenarioRunner] = {}

    def _ensure_endpoint(self) -> str | None:
        if self.target == "aws":
            return None
        if self.endpoint:
            return self.endpoint
        chosen = self.config.getoption("--harness-endpoint") or os.environ.get("HARNESS_ENDPOINT_URL")
        if not chosen:
            state = emulator.read_state()
            if state and emulator.is_ready(state.endpoint_url):
                chosen = state.endpoint_url
        if not chosen:
            self.own_emulator = emulator.HostEmulator(state_dir=Path(tempfile.mkdtemp(prefix="harness-emulator-")))
            # An ephemeral port, not 4566: under `-n auto` every worker starts its own emulator at once.
            chosen = self.own_emulator.start(port=emulator.ephemeral_port()).endpoint_url
        self.endpoint = chosen.rstrip("/")
        return self.endpoint

    def _run_for(self, topology_file: str) -> Manifest:
        if topology_file not in self.runs:
            endpoint = self._ensure_endpoint()
            target = Target(self.target, endpoint)
            result = lifecycle.up(Path(topology_file), target, self.settings)
            self.runs[topology_file] = result.manifest
            m = result.manifest
            self.reports[topology_file] = RunReport(m.run_id, m.target, m.endpoint_url, m.topology)
        return self.runs[topology_file]

    def run(self, scenario: Scenario) -> ScenarioResult:
        manifest = self._run_for(scenario.topology_file)
        if scenario.topology_file not in self.runners:  # one per run: it remembers a dead endpoint
            self.runners[scenario.topology_file] = ScenarioRunner(manifest, Sessions.for_manifest(manifest))
        result = self.runners[scenario.topology_file].run(scenario)
        self.reports[scenario.topology_file].scenarios.append(result)
        return result

    def finish(self, terminal) -> None:  # noqa: ANN001 - pytest's terminal reporter
        import time

        try:
            for topology_file, manifest in self.runs.items():
                report = self.reports[topology_file]
                report.finished_at = time.time()
                base = Path(self.config.getoption("--harness-reports") or paths.reports_dir())
                files = write_reports(report, base / manifest.run_id)
                if terminal is not None:
                    terminal.write_line(console_summary(report))
                    terminal.write_line(f"reports: {files['json'].parent}")
                try:
                    lifecycle.down(manifest.run_id, self.settings)
                except HarnessError as err:
                    if terminal is not None:
                        terminal.write_line(f"cleanup of run {manifest.run_id} failed: {err}")
        finally:
            if self.own_emulator is not None:
                self.own_emulator.stop()
                shutil.rmtree(self.own_emulator.state_dir, ignore_errors=True)


_KEY = pytest.StashKey[_HarnessSession]()


def _session(config: pytest.Config) -> _HarnessSession:
    if _KEY not in config.stash:
        config.stash[_KEY] = _HarnessSession(config)
    return config.stash[_KEY]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_KEY, None)
    if state is not None:
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        state.finish(terminal)
