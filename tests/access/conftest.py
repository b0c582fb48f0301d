"""Fixtures of the access tests: the iam-simulate oracle (installed on first use) and this
directory's LocalStack, preferring port 4950 (+ xdist worker) to keep clear of other suites' emulators."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.emulator import EmulatorState, HostEmulator, choose_port
from tests.access import oracle

ACCESS_LOCALSTACK_PORT = 4950


@pytest.fixture(scope="session")
def oracle_ready() -> None:
    """node + tests/access/oracle/node_modules (``npm ci`` from the lockfile if missing, ~5 s).
    Skips only when node itself is absent; any other failure is an error."""
    try:
        oracle.ensure_installed()
    except oracle.OracleUnavailable as err:
        pytest.skip(str(err))


def _worker_port() -> int:
    """4950 + the xdist worker's number: parallel workers never race for one preferred port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return ACCESS_LOCALSTACK_PORT + (int(worker[2:]) if worker[2:].isdigit() else 0)


def _host_emulator(harness_state_dir: Path, request: pytest.FixtureRequest) -> HostEmulator:
    """HostEmulator(settings) where tests/conftest.py has a ``settings`` fixture (the Settings
    refactor), else HostEmulator(state_dir=...); either way its own state directory, apart from
    the suite's emulator."""
    try:
        settings = request.getfixturevalue("settings")
    except pytest.FixtureLookupError:
        return HostEmulator(state_dir=harness_state_dir / "emulator-access")  # type: ignore[call-arg]
    return HostEmulator(dataclasses.replace(settings, state_dir=settings.state_dir / "access"))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def localstack(harness_state_dir: Path, request: pytest.FixtureRequest) -> Iterator[EmulatorState]:
    """As tests/conftest.py's, on port 4950 (+ xdist worker number) when free, else any free port.
    TODO(merge): drop this override to share the suite's one LocalStack."""
    emu = _host_emulator(harness_state_dir, request)
    state = emu.start(port=choose_port(_worker_port()))
    try:
        yield state
    finally:
        emu.stop()
