"""Fixtures of the fault-injection suite: a harness CLI per test (own state directory, the session's
LocalStack), and LocalStack instances a test may kill."""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.kit import TERMINAL_STATUSES, Harness, free_port, kill_run_processes


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The suite finds a run's processes through /proc (and the harness ties Terraform's lifetime to
    its own with a Linux prctl): elsewhere it is skipped, not failed."""
    if Path("/proc/self").is_dir():
        return
    skip = pytest.mark.skip(reason="the fault-injection suite needs Linux (/proc)")
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(skip)


def new_run_id(tag: str) -> str:
    return f"{tag[:8]}{secrets.token_hex(3)}"


def _teardown(harness: Harness) -> None:
    """Leave nothing behind for the next test: destroy what a failed test left, kill strays."""
    runs_dir = harness.state_dir / "runs"
    if not runs_dir.is_dir():
        return
    for run_dir in runs_dir.iterdir():
        kill_run_processes(run_dir)
    try:
        statuses = harness.runs()
    except AssertionError:
        return
    for run_id, status in statuses.items():
        if status not in TERMINAL_STATUSES:
            harness("down", "--run-id", run_id, timeout=180)
    for run_dir in runs_dir.iterdir():
        kill_run_processes(run_dir)


@pytest.fixture
def harness(endpoint_url: str, tmp_path: Path) -> Iterator[Harness]:
    """The CLI against the test session's LocalStack (``HARNESS_ENDPOINT_URL``)."""
    h = Harness(tmp_path / "state", endpoint_url, tmp_path)
    yield h
    _teardown(h)


@dataclass
class OwnEmulator:
    """A LocalStack started with ``harness emulator start`` in a test's own state directory."""

    endpoint_url: str
    pid: int

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{self.pid}").exists():
            status = Path(f"/proc/{self.pid}/status")
            try:
                if "zombie" in status.read_text():
                    break
            except FileNotFoundError:
                break
            time.sleep(0.1)


@pytest.fixture
def own_harness(tmp_path: Path) -> Iterator[tuple[Harness, Callable[[], OwnEmulator]]]:
    """A CLI whose emulator is its own (recorded in its state directory; no HARNESS_ENDPOINT_URL),
    and a function that starts one (again) with ``harness emulator start``. Every instance started
    is stopped at the end by its PID."""
    h = Harness(tmp_path / "state", None, tmp_path)
    started: list[OwnEmulator] = []

    def start() -> OwnEmulator:
        res = h("emulator", "start", "--port", str(free_port()), timeout=120)
        assert res.returncode == 0, res.output
        state = json.loads((h.state_dir / "emulator" / "state.json").read_text())
        emu = OwnEmulator(state["endpoint_url"], int(state["pid"]))
        started.append(emu)
        return emu

    yield h, start
    try:
        _teardown(h)
    finally:
        for emu in started:
            emu.kill()
