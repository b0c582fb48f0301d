"""Fixtures of the access tests: the iam-simulate oracle (installed on first use) and this
directory's LocalStack, preferring port 4950 so it keeps clear of other suites' emulators."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def localstack(harness_state_dir: Path) -> Iterator[EmulatorState]:
    """As tests/conftest.py's, on port 4950 when free (else any free port)."""
    emu = HostEmulator(state_dir=harness_state_dir / "emulator-access")
    state = emu.start(port=choose_port(ACCESS_LOCALSTACK_PORT))
    try:
        yield state
    finally:
        emu.stop()
