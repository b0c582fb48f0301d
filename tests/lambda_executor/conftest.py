"""Lambda functions on the embedded LocalStack, run by the harness-host-python executor.

Functions live in account C; their code is tests/lambda_executor/handler_code.py, zipped as
``consumer.py``. Receipts (what a handler saw) come back through an SQS queue in C."""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AwsClients

log = logging.getLogger(__name__)

A = "111111111111"  # publisher account (topics)
C = "333333333333"  # consumer account (functions, their queues)
REGION = "eu-west-1"
PLUGIN_NAME = "harness-host-python"
PROCESS_MARKER = "harness-lambda-runtime"
HANDLER_CODE = Path(__file__).with_name("handler_code.py")


def wait_for(what: str, probe: Callable[[], Any], timeout: float, interval: float = 0.25) -> Any:
    """Poll ``probe`` until it returns something truthy (returned); fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        value = probe()
        polls += 1
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"{what}: not within {timeout:.0f}s ({polls} polls); see LocalStack's log for the executor's lines")
        if polls % 20 == 0:
            log.info("still waiting for %s (%d polls)", what, polls)
        time.sleep(interval)


def deployment_package() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("consumer.py", HANDLER_CODE.read_text())
    return buf.getvalue()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Receipts:
    """The receipt queue of the functions of one test."""

    aws: AwsClients
    url: str

    def collect(self, what: str, until: Callable[[list[dict[str, Any]]], bool], timeout: float) -> list[dict[str, Any]]:
        """Receive receipts until ``until(all so far)`` holds (bounded by ``timeout``)."""
        sqs = self.aws("sqs", C, REGION)
        seen: list[dict[str, Any]] = []

        def probe() -> bool:
            resp = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for msg in resp.get("Messages", []):
                seen.append(json.loads(msg["Body"]))
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=msg["ReceiptHandle"])
            return until(seen)

        wait_for(f"{what} (receipts so far: {seen})", probe, timeout, interval=0.0)
        return seen


@pytest.fixture
def receipts(aws: AwsClients) -> Iterator[Receipts]:
    sqs = aws("sqs", C, REGION)
    url = sqs.create_queue(QueueName=unique("receipts"))["QueueUrl"]
    yield Receipts(aws, url)
    sqs.delete_queue(QueueUrl=url)


@pytest.fixture(scope="session")
def lambda_role(aws: AwsClients, localstack: object) -> str:
    """An execution role in account C that Lambda may assume."""
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    return aws("iam", C, REGION).create_role(RoleName=unique("consumer-role"),
                                             AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


FunctionFactory = Callable[..., dict[str, Any]]


def create_function(aws: AwsClients, role: str, handler: str, env: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """Create a function in C running ``consumer.<handler>`` and wait until it is Active."""
    lam = aws("lambda", C, REGION)
    name = unique(handler.replace("_", "-"))
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler=f"consumer.{handler}",
        Code={"ZipFile": deployment_package()}, Environment={"Variables": env or {}}, **kwargs,
    )

    def active() -> dict[str, Any] | None:
        config = lam.get_function(FunctionName=name)["Configuration"]
        if config["State"] == "Failed":
            pytest.fail(f"function {name} failed to create: {config.get('StateReason')}")
        return config if config["State"] == "Active" else None

    return wait_for(f"function {name} Active", active, timeout=30)


@pytest.fixture
def make_function(aws: AwsClients, lambda_role: str) -> Iterator[FunctionFactory]:
    """``make_function("echo", env={...}, Timeout=3)`` → the function's configuration; deleted after the test."""
    names: list[str] = []

    def make(handler: str, env: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
        config = create_function(aws, lambda_role, handler, env, **kwargs)
        names.append(config["FunctionName"])
        return config

    yield make
    lam = aws("lambda", C, REGION)
    for name in names:
        try:
            lam.delete_function(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            pass  # the test deleted it itself


def handler_processes(localstack_pid: int) -> dict[int, str]:
    """Live (not zombie) processes that the executor of LocalStack ``localstack_pid`` started: their
    command line carries the marker and that pid (see harness_lambda_executor.bootstrap)."""
    found: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if PROCESS_MARKER.encode() in argv:
            i = argv.index(PROCESS_MARKER.encode())
            if len(argv) > i + 1 and argv[i + 1] == str(localstack_pid).encode() and process_alive(int(proc.name)):
                found[int(proc.name)] = " ".join(a.decode() for a in argv if a)
    return found


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie — dead, not yet reaped by whoever inherited it — does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
