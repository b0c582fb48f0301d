"""(a) Direct Invoke of a Python function in account C: results, errors and limits as on AWS."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from harness.emulator import EmulatorState
from tests.conftest import AwsClients
from tests.lambda_executor.conftest import PLUGIN_NAME, REGION, C, FunctionFactory, deployment_package, unique, wait_for

pytestmark = pytest.mark.localstack


def invoke(aws: AwsClients, name: str, event: dict[str, Any]) -> tuple[dict[str, Any], Any, str]:
    resp = aws("lambda", C, REGION).invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    return resp, json.loads(resp["Payload"].read() or b"null"), base64.b64decode(resp.get("LogResult", "")).decode()


def test_invoke_returns_the_handlers_result_run_on_the_host(
    aws: AwsClients, make_function: FunctionFactory, localstack: EmulatorState
) -> None:
    fn = make_function("echo", env={"GREETING": "hello from C"}, MemorySize=256, Timeout=7)
    resp, result, logs = invoke(aws, fn["FunctionName"], {"id": "a-1"})

    assert "FunctionError" not in resp, result
    assert result["event"] == {"id": "a-1"}
    assert result["greeting"] == "hello from C"  # the function's environment variables
    assert result["function_name"] == fn["FunctionName"] and result["memory_limit_in_mb"] == "256"
    assert 5000 < result["remaining_ms"] <= 7000  # the deadline is the function's timeout
    # boto3 in the handler reaches LocalStack with the execution role's credentials
    assert result["identity"].startswith(f"arn:aws:sts::{C}:assumed-role/")
    assert result["endpoint_url"] == localstack.endpoint_url
    # the handler imports its package, boto3 and the stdlib, not LocalStack's virtualenv
    assert result["localstack_importable"] is False
    # a child of LocalStack itself: no container, no Docker
    assert result["ppid"] == localstack.pid
    assert "echo {'id': 'a-1'}" in logs and "REPORT RequestId: " in logs and "Init Duration:" in logs

    _, again, logs = invoke(aws, fn["FunctionName"], {"id": "a-2"})
    assert again["pid"] == result["pid"], "a warm environment is reused, as on AWS"
    assert "Init Duration:" not in logs

    # the output is in CloudWatch Logs too, where LocalStack's logs service keeps it
    group = f"/aws/lambda/{fn['FunctionName']}"
    wait_for(f"the handler's output in {group}", lambda: any(
        "echo {'id': 'a-2'}" in e["message"]
        for e in aws("logs", C, REGION).filter_log_events(logGroupName=group).get("events", [])
    ) if aws("logs", C, REGION).describe_log_groups(logGroupNamePrefix=group)["logGroups"] else False, timeout=15)


def test_a_raising_handler_gives_a_function_error_with_its_type(aws: AwsClients, make_function: FunctionFactory) -> None:
    fn = make_function("reject")
    resp, error, logs = invoke(aws, fn["FunctionName"], {"id": "a-3"})

    assert resp["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ReceiptRejected"
    assert error["errorMessage"] == "rejected a-3"
    assert any("raise ReceiptRejected" in line for line in error["stackTrace"])
    assert "rejecting {'id': 'a-3'}" in logs


def test_a_handler_that_cannot_be_imported_gives_the_runtimes_init_error(aws: AwsClients, make_function: FunctionFactory) -> None:
    fn = make_function("echo")
    lam = aws("lambda", C, REGION)
    lam.update_function_configuration(FunctionName=fn["FunctionName"], Handler="missing_module.handler")
    wait_for("the handler update", lambda: lam.get_function(FunctionName=fn["FunctionName"])["Configuration"]
             .get("LastUpdateStatus") == "Successful", timeout=30)
    resp, error, _ = invoke(aws, fn["FunctionName"], {})

    assert resp["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "missing_module" in error["errorMessage"]


def test_the_timeout_ends_the_invocation_and_the_next_one_starts_afresh(aws: AwsClients, make_function: FunctionFactory) -> None:
    fn = make_function("sleep", Timeout=1)
    resp, error, logs = invoke(aws, fn["FunctionName"], {"seconds": 30})

    assert resp["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    assert "Status: timeout" in logs

    resp, result, logs = invoke(aws, fn["FunctionName"], {"seconds": 0})
    assert "FunctionError" not in resp and result == "slept"
    assert "Init Duration:" in logs, "the killed process is replaced by a new init"


def test_memory_above_the_functions_size_ends_in_out_of_memory(aws: AwsClients, make_function: FunctionFactory) -> None:
    fn = make_function("hog", MemorySize=128, Timeout=10)
    resp, result, _ = invoke(aws, fn["FunctionName"], {"mb": 16})
    assert "FunctionError" not in resp, result

    resp, error, logs = invoke(aws, fn["FunctionName"], {"mb": 256, "hold": 2})
    assert resp["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.OutOfMemory"
    assert "Memory Size: 128 MB" in logs


def test_localstacks_log_names_the_executor(localstack: EmulatorState) -> None:
    assert localstack.log_file
    text = Path(localstack.log_file).read_text(errors="replace")
    assert f"Lambda runtime executor {PLUGIN_NAME}: functions run as local processes" in text
    assert "Falling back to \"docker\"" not in text and "Docker not available" not in text


def test_a_function_this_executor_cannot_run_fails_with_the_reason(aws: AwsClients, lambda_role: str) -> None:
    lam = aws("lambda", C, REGION)
    name = unique("node")
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=lambda_role, Handler="index.handler",
                        Code={"ZipFile": deployment_package()})
    try:
        config = wait_for(f"function {name} leaving Pending",
                          lambda: (c := lam.get_function(FunctionName=name)["Configuration"])["State"] != "Pending" and c, timeout=30)
    finally:
        try:  # LocalStack 4.13 answers 500 to deleting a Failed function, yet deletes it: botocore's retry gets 404
            lam.delete_function(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            pass

    assert config["State"] == "Failed"
    assert "nodejs20.x is not Python" in config["StateReason"] and PLUGIN_NAME in config["StateReason"]
