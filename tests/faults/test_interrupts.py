"""Interrupt `up`, `run`, `e2e` and `down` with SIGINT, SIGTERM and SIGKILL at several moments, and
kill the emulator under them; after each, `harness down` must leave nothing of the run: no resource
in any account or region, no process, no run in a state no command can end.

SIGINT goes to the harness's whole process group, as a terminal's Ctrl-C does; SIGTERM (a cancelled
CI job) and SIGKILL (an OOM kill, a runner that gives up) to the harness process alone.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.conftest import new_run_id
from tests.faults.kit import Harness, Running, assert_cleaned_up, leftovers

pytestmark = pytest.mark.localstack

INT, TERM, KILL = signal.SIGINT, signal.SIGTERM, signal.SIGKILL


@dataclass(frozen=True)
class Moment:
    """When to strike: after ``count`` output lines containing ``needle``, then ``delay`` seconds."""

    needle: str
    count: int = 1
    delay: float = 0.0

    def wait(self, running: Running) -> None:
        running.wait_lines(self.needle, self.count)
        if self.delay:
            time.sleep(self.delay)


BEFORE_APPLY = Moment("applying topology", 1, 0.3)  # rendering, name probe, terraform init


def created(n: int) -> Moment:
    return Moment("] created ", n)


def destroyed(n: int) -> Moment:
    return Moment("] destroyed ", n)


MID_SEND = Moment("[1/1] ", 1, 1.5)  # the paced scenario sends for ~4 s


def _check_interrupted(res_code: int, output: str, sig: signal.Signals) -> None:
    assert "Traceback" not in output, output
    if sig != KILL:
        assert res_code == 130, output
        assert "()" not in output, output


def _down_ends_it(harness: Harness, run_id: str) -> None:
    down = harness("down", "--run-id", run_id)
    assert down.returncode == 0, down.output
    assert "Traceback" not in down.output


def _applied(harness: Harness, tag: str) -> str:
    run_id = new_run_id(tag)
    up = harness.up(run_id).finish()
    assert up.returncode == 0, up.output
    return run_id


# -- up ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sig", "moment"),
    [
        pytest.param(INT, created(1), id="sigint-first-create"),
        pytest.param(TERM, created(2), id="sigterm-mid-apply"),
        pytest.param(KILL, BEFORE_APPLY, id="sigkill-before-apply"),
    ],
)
def test_interrupted_up(harness: Harness, endpoint_url: str, sig: signal.Signals, moment: Moment) -> None:
    run_id = new_run_id("up")
    up = harness.up(run_id)
    moment.wait(up)
    up.interrupt(sig)
    res = up.finish()
    _check_interrupted(res.returncode, res.output, sig)
    if sig != KILL:
        assert "destroying what was created" in res.output, res.output
    _down_ends_it(harness, run_id)
    assert_cleaned_up(harness, run_id, endpoint_url)


# -- run --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sig", "scenario", "moment"),
    [
        pytest.param(INT, "slow", MID_SEND, id="sigint-mid-send"),
        pytest.param(KILL, "offload", Moment("[1/1] ", 1, 2.0), id="sigkill-mid-upload"),
    ],
)
def test_interrupted_run(harness: Harness, endpoint_url: str, sig: signal.Signals, scenario: str, moment: Moment) -> None:
    run_id = _applied(harness, "run")
    file = harness.slow_scenario if scenario == "slow" else harness.offload_scenario
    run = harness.start("run", str(file), "--run-id", run_id)
    moment.wait(run)
    run.interrupt(sig)
    res = run.finish()
    _check_interrupted(res.returncode, res.output, sig)
    assert harness.runs()[run_id] == "applied", "an interrupted scenario run leaves the topology applied"
    down = harness("down")  # plain: the latest applied run
    assert down.returncode == 0, down.output
    assert run_id in down.output
    assert_cleaned_up(harness, run_id, endpoint_url)


# -- e2e --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sig", "moment"),
    [
        pytest.param(TERM, created(3), id="sigterm-during-apply"),
        pytest.param(KILL, MID_SEND, id="sigkill-mid-send"),
    ],
)
def test_interrupted_e2e(harness: Harness, endpoint_url: str, sig: signal.Signals, moment: Moment) -> None:
    e2e = harness.start("e2e", "--topology", str(harness.scenarios / "faults.topology.yaml"), "--scenarios", str(harness.scenarios))
    moment.wait(e2e)
    run_id = e2e.run_id
    assert run_id, e2e.output
    e2e.interrupt(sig)
    res = e2e.finish()
    _check_interrupted(res.returncode, res.output, sig)
    if sig != KILL:
        assert leftovers(endpoint_url, run_id) == [], "e2e destroys on an interrupt"
    _down_ends_it(harness, run_id)
    assert_cleaned_up(harness, run_id, endpoint_url)


# -- down -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sig", "moment"),
    [
        pytest.param(INT, destroyed(2), id="sigint-mid-destroy"),
        pytest.param(KILL, destroyed(4), id="sigkill-mid-destroy"),
    ],
)
def test_interrupted_down(harness: Harness, endpoint_url: str, sig: signal.Signals, moment: Moment) -> None:
    run_id = _applied(harness, "down")
    down = harness.start("down", "--run-id", run_id)
    moment.wait(down)
    down.interrupt(sig)
    res = down.finish()
    _check_interrupted(res.returncode, res.output, sig)
    if sig != KILL:
        assert f"harness down --run-id {run_id}" in res.output, "say how to finish the destroy"
    _down_ends_it(harness, run_id)
    assert_cleaned_up(harness, run_id, endpoint_url)


# -- the emulator dies ------------------------------------------------------------------------------
@pytest.mark.parametrize("during", ["up", "run", "down"])
def test_emulator_killed(own_harness, endpoint_url: str, during: str) -> None:
    """The run's emulator dies under a command. A fresh emulator (HARNESS_ENDPOINT_URL) holds none
    of the run's resources: `down` marks the run gone in one line, and nothing of it is running."""
    harness, start_emulator = own_harness
    emu = start_emulator()
    run_id = new_run_id(f"emu{during}")
    if during == "up":
        cmd, moment = harness.up(run_id), created(1)  # the creates that follow come in a burst of ~1 s
    elif during == "run":
        applied = harness.up(run_id).finish()
        assert applied.returncode == 0, applied.output
        cmd, moment = harness.start("run", str(harness.slow_scenario), "--run-id", run_id), MID_SEND
    else:
        applied = harness.up(run_id).finish()
        assert applied.returncode == 0, applied.output
        cmd, moment = harness.start("down", "--run-id", run_id), destroyed(2)
    moment.wait(cmd)
    emu.kill()
    res = cmd.finish()
    # On a loaded machine the last creates can beat the kill; then the run is simply applied.
    assert res.returncode != 0 or (during == "up" and "applied;" in res.output), res.output
    assert "Traceback" not in res.output
    assert "()" not in res.output, res.output

    down = harness("down", "--run-id", run_id, env=harness.env(HARNESS_ENDPOINT_URL=endpoint_url))
    assert down.returncode == 0, down.output
    assert "connection refused" not in down.output.lower(), down.output
    assert [ln for ln in down.output.splitlines() if "gone" in ln], down.output
    harness.endpoint_url = endpoint_url
    assert_cleaned_up(harness, run_id, endpoint_url)


def test_sigkilled_e2e_takes_the_emulator_it_launched_with_it(own_harness, endpoint_url: str) -> None:
    """`harness e2e` that launched its own LocalStack is SIGKILLed: nobody is left to stop that
    emulator, so it stops itself (tied to the e2e process) and deletes its storage; `down` then
    marks the run gone."""
    harness, _ = own_harness
    e2e = harness.start("e2e", "--topology", str(harness.scenarios / "faults.topology.yaml"), "--scenarios", str(harness.scenarios))
    MID_SEND.wait(e2e)
    run_id = e2e.run_id
    assert run_id, e2e.output
    state = json.loads((harness.state_dir / "emulator" / "state.json").read_text())
    pid, instance = int(state["pid"]), Path(state["s3_dir"])  # the instance directory
    e2e.interrupt(KILL)
    e2e.finish()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.5)
    assert not _alive(pid), f"LocalStack pid {pid} outlived the e2e that launched it"
    assert not instance.exists(), f"{instance} (the emulator's storage) was left behind"

    down = harness("down", "--run-id", run_id, env=harness.env(HARNESS_ENDPOINT_URL=endpoint_url))
    assert down.returncode == 0, down.output
    assert [ln for ln in down.output.splitlines() if "gone" in ln], down.output


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
