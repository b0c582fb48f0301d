"""(d) Handler processes never outlive their environment, nor LocalStack — SIGKILL included.

The processes are found by what the executor puts in their command line (the marker and LocalStack's
pid) and by the pids the handlers report themselves; zombies count as gone."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.emulator import EmulatorState, HostEmulator, ephemeral_port
from harness.settings import Settings
from tests.conftest import AwsClients
from tests.lambda_executor.conftest import (
    REGION,
    C,
    FunctionFactory,
    Receipts,
    create_function,
    handler_processes,
    process_alive,
    unique,
    wait_for,
)

pytestmark = pytest.mark.localstack


def test_deleting_the_function_stops_its_handler_process(
    aws: AwsClients, make_function: FunctionFactory, localstack: EmulatorState
) -> None:
    assert localstack.pid
    fn = make_function("echo")
    lam = aws("lambda", C, REGION)
    pid = json.loads(lam.invoke(FunctionName=fn["FunctionName"], Payload=b"{}")["Payload"].read())["pid"]
    assert pid in handler_processes(localstack.pid), "the handler's process carries the executor's marker"

    lam.delete_function(FunctionName=fn["FunctionName"])
    wait_for(f"handler process {pid} gone after its function was deleted", lambda: not process_alive(pid), timeout=15)


@dataclass
class OwnEmulator:
    """A LocalStack of this test alone (it gets stopped or killed), with a function mid-invocation."""

    emulator: HostEmulator
    state: EmulatorState
    aws: AwsClients
    handler_pids: set[int]


@pytest.fixture
def busy_emulator(tmp_path: Path) -> Iterator[OwnEmulator]:
    """Own LocalStack; one idle warm environment and one executing a 60 s invocation."""
    environ = dict(os.environ, HARNESS_STATE_DIR=str(tmp_path / "state"))
    emulator = HostEmulator(Settings.from_env(environ))
    state = emulator.start(port=ephemeral_port(), tied_to=os.getpid())
    try:
        aws = AwsClients(state.endpoint_url)
        role = aws("iam", C, REGION).create_role(RoleName="busy", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        sqs = aws("sqs", C, REGION)
        receipts = Receipts(aws, sqs.create_queue(QueueName=unique("started"))["QueueUrl"])
        idle = create_function(aws, role, "echo")
        busy = create_function(aws, role, "sleep", env={"RECEIPT_QUEUE_URL": receipts.url}, Timeout=120)
        lam = aws("lambda", C, REGION)
        idle_pid = json.loads(lam.invoke(FunctionName=idle["FunctionName"], Payload=b"{}")["Payload"].read())["pid"]
        lam.invoke(FunctionName=busy["FunctionName"], InvocationType="Event", Payload=json.dumps({"seconds": 60, "id": "busy"}))
        started = receipts.collect("the 60 s handler started", lambda seen: len(seen) >= 1, timeout=30)
        pids = {idle_pid, started[0]["pid"]}
        assert state.pid and set(handler_processes(state.pid)) == pids
        yield OwnEmulator(emulator, state, aws, pids)
    finally:
        emulator.stop()  # after a SIGKILL it only reaps the process and deletes its files


def test_stopping_the_emulator_ends_every_handler_process(busy_emulator: OwnEmulator) -> None:
    assert busy_emulator.state.pid
    busy_emulator.emulator.stop()

    assert not handler_processes(busy_emulator.state.pid)
    assert not [pid for pid in busy_emulator.handler_pids if process_alive(pid)]


def test_sigkill_of_localstack_ends_every_handler_process(busy_emulator: OwnEmulator) -> None:
    localstack_pid = busy_emulator.state.pid
    assert localstack_pid
    os.kill(localstack_pid, signal.SIGKILL)  # no shutdown hook runs: only the kernel and the lifeline act

    wait_for("every handler process gone after SIGKILL of LocalStack",
             lambda: not [pid for pid in busy_emulator.handler_pids if process_alive(pid)], timeout=5, interval=0.1)
    assert not handler_processes(localstack_pid)
