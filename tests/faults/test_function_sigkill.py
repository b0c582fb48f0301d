"""SIGKILL of `harness e2e` while a Lambda function is executing: the LocalStack that e2e launched
stops itself once its launcher is dead, and no handler process of the kit's executor outlives it."""

from __future__ import annotations

import json
import signal
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.kit import Harness
from tests.lambda_executor.conftest import handler_processes, process_alive

pytestmark = pytest.mark.localstack

TOPOLOGY = textwrap.dedent("""\
    name: fn-kill
    accounts:
      A: {id: "111111111111"}
      C: {id: "333333333333"}
    regions: [us-east-1]
    topics:
      t1: {account: A, region: us-east-1}
    functions:
      c-fn: {account: C, region: us-east-1, timeout: 120}
    subscriptions:
      - {topic: t1, function: c-fn}
    """)

# The function takes 90 s over its one message: the kill lands while it executes.
SCENARIO = textwrap.dedent("""\
    name: slow-function
    description: One message to a function that takes 90 s over it.
    topology: fn-kill.topology.yaml
    send: {from: A/us-east-1, topic: t1, count: 1, size: 1KiB}
    expect:
      - {function: c-fn, within: 110s, slow: 90s}
    """)


def _wait(what: str, probe: Callable[[], object], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"{what}: not within {timeout:.0f}s")


def test_sigkilled_e2e_leaves_no_handler_process_once_its_emulator_stopped(own_harness: tuple[Harness, object], tmp_path: Path) -> None:
    harness, _ = own_harness
    scenarios = tmp_path / "fn-kill"
    scenarios.mkdir()
    (scenarios / "fn-kill.topology.yaml").write_text(TOPOLOGY)
    (scenarios / "slow.scenario.yaml").write_text(SCENARIO)
    e2e = harness.start("e2e", "--topology", str(scenarios / "fn-kill.topology.yaml"), "--scenarios", str(scenarios))
    try:
        e2e.wait_for(lambda out: "[1/1] slow-function" in out, timeout=240)
        state = json.loads((harness.state_dir / "emulator" / "state.json").read_text())
        localstack = int(state["pid"])
        # executing: the handler process of the invocation the scenario's message started
        _wait(f"a handler process of the function (LocalStack {localstack}); so far:\n{e2e.output}", lambda: handler_processes(localstack), timeout=60)
        time.sleep(6)  # the scenario's message sent and its invocation started: 90 s of work ahead
        handlers = handler_processes(localstack)
        assert handlers, "no handler process is executing the function"
    except BaseException:
        e2e.interrupt(signal.SIGKILL)
        raise
    e2e.interrupt(signal.SIGKILL)
    e2e.finish()

    _wait(f"LocalStack pid {localstack} stopping itself after its launcher was killed", lambda: not process_alive(localstack), timeout=60)
    _wait("every handler process gone", lambda: not [p for p in handlers if process_alive(p)], timeout=10)
    assert not handler_processes(localstack)
