"""pytest plugin (an edge, like the CLI): ``pytest scenarios/`` collects every ``*.scenario.yaml``.

Each pytest process (the controller, or each xdist worker with ``-n auto``) drives its runs through
one :class:`harness.run.Driver`: it applies the topologies its scenarios name once, under its own
run id, and destroys them when the session ends, so workers never see each other's resources;
every message also carries a per-scenario correlation id, so a consumer ignores what is not its own.

Where LocalStack comes from, in order: ``--harness-endpoint URL``, ``$HARNESS_ENDPOINT_URL``, the
emulator recorded by ``harness emulator start`` if healthy, else one started for this process and
stopped at the end. ``--harness-target aws`` applies to real AWS instead.
Reports go to ``reports/<run-id>/`` (or ``--harness-reports DIR``). The session ends with a
"harness: scenario runs" section: each run's summary table and its report directory — under
``pytest -n`` every worker's, handed to the controller when the worker finishes.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import cast

import pytest

from harness.errors import HarnessError, InputFileError
from harness.report import console_summary
from harness.run import Driver
from harness.scenario.format.loader import load_scenario
from harness.scenario.judge.result import PASSED
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
        result = _driver(self.config).run(scenario)
        if result.status != PASSED:
            raise ScenarioFailed("\n".join(result.failures) or result.status)

    def repr_failure(self, excinfo, style=None):  # noqa: ANN001 - pytest's signature
        if isinstance(excinfo.value, (ScenarioFailed, HarnessError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"scenario {self.name}"


_KEY = pytest.StashKey[Driver]()


def _driver(config: pytest.Config) -> Driver:
    if _KEY not in config.stash:
        settings = Settings.from_env(
            os.environ,
            endpoint_url=config.getoption("--harness-endpoint"),
            reports_dir=config.getoption("--harness-reports"),
        )
        # Apply/destroy progress would interleave with pytest's own output: keep it in a buffer.
        config.stash[_KEY] = Driver(
            settings, config.getoption("--harness-target"), out=io.StringIO(), show_progress=False, emulator_home="private"
        )
    return config.stash[_KEY]


_LINES = pytest.StashKey[list[str]]()  # the harness's closing lines, printed in the terminal summary


def _closing_lines(driver: Driver) -> list[str]:
    """Each run's summary table and report directory, and what the cleanup said went wrong."""
    lines: list[str] = []
    for item in driver.finished:
        lines += console_summary(item.report).splitlines()
        lines.append(f"reports: {item.files['json'].parent}")
    out = cast(io.StringIO, driver.out)  # the plugin builds its Driver with out=io.StringIO() (above)
    lines += [
        line
        for line in out.getvalue().splitlines()
        if line.startswith("cleanup of run") or line.endswith("nothing left to destroy")
    ]
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close this process's driver (reports, destroy). An xdist worker hands its closing lines to
    the controller (``workeroutput``), which prints them; otherwise they are printed here at the end."""
    config = session.config
    driver = config.stash.get(_KEY, None)
    if driver is None:
        return
    try:
        driver.close()
    except HarnessError:
        pass  # the driver wrote "cleanup of run … failed: …"; shown with the rest
    lines = _closing_lines(driver)
    if hasattr(config, "workeroutput"):  # an xdist worker: its terminal is not shown
        config.workeroutput["harness_lines"] = lines
    else:
        config.stash.setdefault(_LINES, []).extend(lines)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # noqa: ANN001 - xdist's WorkerController, its error
    """The controller under ``pytest -n``: collect a finished worker's summary and report path."""
    output = getattr(node, "workeroutput", None) or {}
    lines = output.get("harness_lines")
    if lines:
        node.config.stash.setdefault(_LINES, []).extend(lines)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config):  # noqa: ANN001, ANN201
    """The harness's section, after pytest's failures and short summary (only the final counts line
    follows): every run's summary table and report directory (one per worker under ``-n``)."""
    result = yield
    lines = config.stash.get(_LINES, [])
    if lines:
        terminalreporter.section("harness: scenario runs")
        for line in lines:
            terminalreporter.write_line(line)
    return result
