"""Lambda function: the ``function`` module (function, execution role and its least-privilege
policy, receipts queue, log group, SNS permissions, event source mapping), running the deployment
package the harness builds next to the run's root (:mod:`harness.provision.function_package`).

After the apply the mapping's ``FunctionResponseTypes`` (partial batch responses) is set here:
provider 3.39 has no argument for it. The sweep finds functions by name and deletes each with what
the module made for it (mappings, role, receipts queue, log group).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from harness import retry
from harness.errors import TargetError
from harness.kinds.function.spec import Function
from harness.kinds.key.provision import key_arn_ref
from harness.provision import function_package
from harness.provision.kind import Placed, RenderContext, SweptKind, epoch, ref
from harness.provision.manifest import FunctionEntry, Manifest, Planned
from harness.provision.naming import (
    NAME_PREFIX,
    ROLE_PATH,
    bucket_module,
    bucket_name,
    function_module,
    physical_name,
    queue_module,
    receipts_queue_name,
    topic_module,
)
from harness.provision.provider import LAMBDA_RUNTIME, ProviderProfile
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.topology.model import Topology

if TYPE_CHECKING:
    from types_boto3_lambda.client import LambdaClient

PARTIAL_BATCH = "ReportBatchItemFailures"
log = logging.getLogger(__name__)


class FunctionKind(SweptKind):
    kind = "function"
    group = "functions"
    module_dir = "function"
    entry_type = FunctionEntry
    output_fields = ("arn", "name", "role_arn", "role_name", "receipts_queue_url", "receipts_queue_arn", "event_source_mapping_uuid")
    sweep_rank = 0  # before the queues its mapping reads
    missing_codes = frozenset({"ResourceNotFoundException", "NoSuchEntity"})

    def module_name(self, logical: str, spec: object) -> str:
        return function_module(logical)

    def physical_name(self, ctx: RenderContext, logical: str, spec: Function) -> str:
        return physical_name(ctx.run_id, logical)

    def refuse(self, topology: Topology, target: Target, profile: ProviderProfile) -> None:
        """AWS with provider 3.x: it cannot create a function with a current Python runtime."""
        if topology.functions and target.name == "aws" and not target.endpoint_url and not profile.functions_on_aws():
            raise TargetError(
                f"function {next(iter(topology.functions))}: hashicorp/aws {profile.version} creates Lambda functions only with runtimes "
                "up to python3.8, which AWS no longer creates; apply topologies with functions to AWS with provider 4 or later: "
                "HARNESS_PROVIDER_SOURCE=registry (HARNESS_AWS_PROVIDER_VERSION, default 5.100.0)"
            )

    def module_call(self, ctx: RenderContext, logical: str, spec: Function) -> dict[str, Any]:
        topo = ctx.topology
        package = function_package.build(ctx.root_dir)
        buckets = {b: topo.buckets[b] for b in spec.reads}
        keys = [bucket.kms_key for bucket in buckets.values()] + ([topo.queues[spec.queue].kms_key] if spec.queue else [])
        regions = {bucket_name(ctx.run_id, b, topo.account_id(bucket.account)): bucket.region for b, bucket in buckets.items()}
        call: dict[str, Any] = {
            "source": ctx.source(self.module_dir),
            "providers": {"aws": ctx.provider_for(spec.account, spec.region)},
            "name": self.physical_name(ctx, logical, spec),
            "receipts_queue_name": receipts_queue_name(ctx.run_id, logical),
            "package_file": f"${{path.root}}/{function_package.PACKAGE_NAME}",
            "package_sha256": package.sha256_b64,
            "handler": function_package.HANDLER,
            "runtime": ctx.profile.lambda_runtime(),
            "memory_size": spec.memory,
            "timeout": spec.timeout,
            "environment": {
                "HARNESS_FUNCTION": logical,
                "HARNESS_RUN_ID": ctx.run_id,
                "HARNESS_BUCKET_REGIONS": json.dumps(regions, sort_keys=True, separators=(",", ":")),
                "HARNESS_PARTIAL_BATCH": "1" if spec.queue and spec.partial_batch else "0",
            },
            "source_topic_arns": [ref(topic_module(t), "arn") for t in topo.topics_invoking(logical)],
            "payload_bucket_arns": [ref(bucket_module(b), "arn") for b in buckets],
            "delete_payload_bucket_arns": [ref(bucket_module(b), "arn") for b, bucket in buckets.items() if bucket.readers_may_delete],
            "kms_key_arns": [key_arn_ref(k) for k in dict.fromkeys(keys) if k],
            "role_path": ROLE_PATH,
            "tags": ctx.tags,
        }
        boundary = ctx.topology.accounts[spec.account].aws.function_boundary
        if boundary and ctx.target.name == "aws":  # the bootstrap's roles create roles only with it
            call["permissions_boundary"] = boundary
        if spec.handles_async_failures:
            destination = topo.queues[spec.on_failure] if spec.on_failure else None
            call["async_invocation"] = {
                "maximum_retry_attempts": spec.max_retry_attempts,
                "maximum_event_age_in_seconds": spec.max_event_age,
                "on_failure_destination_arn": ref(queue_module(spec.on_failure), "arn") if spec.on_failure else None,
                "on_failure_kms_key_arn": key_arn_ref(destination.kms_key) if destination and destination.kms_key else None,
            }
        if spec.queue:
            call["event_source"] = {
                "queue_arn": ref(queue_module(spec.queue), "arn"),
                "batch_size": spec.batch_size,
                "maximum_batching_window_in_seconds": spec.batching_window,
                "report_batch_item_failures": spec.partial_batch,
            }
        return call

    def place(self, ctx: RenderContext, key: str, spec: Function) -> Placed:
        return Placed(self, key, {"account": spec.account, "account_id": ctx.topology.account_id(spec.account), "region": spec.region,
                                  "queue": spec.queue or "", "on_failure": spec.on_failure or ""})

    def entry(self, placed: Placed, value: Mapping[str, str]) -> FunctionEntry:
        f = placed.facts
        return FunctionEntry(
            f["account"], f["account_id"], f["region"], value["arn"], value["name"], value["role_arn"], value["role_name"],
            value["receipts_queue_url"], value["receipts_queue_arn"], value.get("event_source_mapping_uuid") or "", f["queue"],
            f.get("on_failure", ""),
        )

    def after_apply(self, manifest: Manifest, topology: Topology, sessions: Sessions) -> list[str]:
        """What provider 3.39 cannot set: a current Python runtime (it creates python3.8) and partial
        batch responses on every mapping that wants them."""
        lines = []
        for name, entry in manifest.functions.items():
            spec = topology.functions.get(name)
            lam = sessions.client("lambda", entry.account, entry.region)
            config = retry.call("lambda.GetFunctionConfiguration", lam.get_function_configuration, policy=sessions.retry_policy,
                                FunctionName=entry.arn)
            if config.get("Runtime") != LAMBDA_RUNTIME:
                retry.call("lambda.UpdateFunctionConfiguration", lam.update_function_configuration, policy=sessions.retry_policy,
                           FunctionName=entry.arn, Runtime=LAMBDA_RUNTIME)
                wait_updated(lam, entry.arn, sessions.retry_policy)
                wait_ready(lam, entry.arn, sessions.retry_policy, emulator=bool(manifest.endpoint_url))
                lines.append(f"function {name}: runtime {config.get('Runtime')} → {LAMBDA_RUNTIME} (set after the apply)")
            if spec is not None and spec.partial_batch and entry.mapping_uuid:
                retry.call("lambda.UpdateEventSourceMapping", lam.update_event_source_mapping, policy=sessions.retry_policy,
                           UUID=entry.mapping_uuid, FunctionResponseTypes=[PARTIAL_BATCH])
                lines.append(f"function {name}: its mapping from queue {entry.queue} reports failed batch items ({PARTIAL_BATCH})")
        return lines

    # -- the sweep --------------------------------------------------------------------------------
    def discover(self, sessions: Sessions, account: str, region: str) -> Iterator[tuple[str, float | None, str]]:
        lam = sessions.client("lambda", account, region)
        for page in lam.get_paginator("list_functions").paginate():
            for fn in page.get("Functions", []):
                name = fn.get("FunctionName", "")
                if name.startswith(f"{NAME_PREFIX}-"):
                    yield name, _modified(fn.get("LastModified")), "with its role, receipts queue and log group"

    def exists(self, sessions: Sessions, item: Planned) -> None:
        lam = sessions.client("lambda", item.account, item.region)
        retry.call("lambda.GetFunction", lam.get_function, FunctionName=item.name)

    def run_tag(self, sessions: Sessions, item: Planned, tag_key: str) -> str | None:
        lam = sessions.client("lambda", item.account, item.region)
        arn = retry.call("lambda.GetFunction", lam.get_function, FunctionName=item.name)["Configuration"]["FunctionArn"]
        return retry.call("lambda.ListTags", lam.list_tags, Resource=arn).get("Tags", {}).get(tag_key)

    def delete(self, sessions: Sessions, item: Planned) -> None:
        """The function and what its module made for it: mappings, role, receipts queue, log group."""
        lam = sessions.client("lambda", item.account, item.region)
        mappings = retry.call("lambda.ListEventSourceMappings", lam.list_event_source_mappings, FunctionName=item.name)
        for mapping in mappings.get("EventSourceMappings", []):
            _gone_is_fine(lambda m=mapping: retry.call("lambda.DeleteEventSourceMapping", lam.delete_event_source_mapping, UUID=m["UUID"]))
        retry.call("lambda.DeleteFunction", lam.delete_function, FunctionName=item.name)
        iam = sessions.client("iam", item.account, item.region)
        listed = _gone_is_fine(lambda: retry.call("iam.ListRolePolicies", iam.list_role_policies, RoleName=item.name))
        for policy in (listed or {}).get("PolicyNames", []):
            _gone_is_fine(lambda p=policy: retry.call("iam.DeleteRolePolicy", iam.delete_role_policy, RoleName=item.name, PolicyName=p))
        _gone_is_fine(lambda: retry.call("iam.DeleteRole", iam.delete_role, RoleName=item.name))
        sqs = sessions.client("sqs", item.account, item.region)
        receipts = item.name + "-receipts"
        found = _gone_is_fine(lambda: retry.call("sqs.GetQueueUrl", sqs.get_queue_url, QueueName=receipts))
        if found:
            _gone_is_fine(lambda: retry.call("sqs.DeleteQueue", sqs.delete_queue, QueueUrl=found["QueueUrl"]))
        logs = sessions.client("logs", item.account, item.region)
        _gone_is_fine(lambda: retry.call("logs.DeleteLogGroup", logs.delete_log_group, logGroupName=f"/aws/lambda/{item.name}"))


UPDATE_WAIT_SECONDS = 60.0


def wait_updated(lam: LambdaClient, function: str, policy: retry.RetryPolicy, timeout: float = UPDATE_WAIT_SECONDS) -> None:
    """Until the function's last update finished (``LastUpdateStatus`` no longer ``InProgress``),
    bounded; a failed update is raised with Lambda's reason."""
    deadline = time.monotonic() + timeout
    while True:
        config = retry.call("lambda.GetFunctionConfiguration", lam.get_function_configuration, policy=policy, FunctionName=function)
        status = config.get("LastUpdateStatus", "Successful")
        if status == "Failed":
            raise TargetError(f"function {function}: its configuration update failed: {config.get('LastUpdateStatusReason', '?')}")
        if status != "InProgress":
            return
        if time.monotonic() >= deadline:
            raise TargetError(f"function {function}: its configuration update still in progress after {timeout:.0f}s; check it in the Lambda console")
        time.sleep(0.5)


READY_EVENT = b'{"Records": []}'  # an event without records: the kit's handler does nothing with it
# LocalStack 4.13.1 replaces a function's asynchronous-event poller on every configuration update
# and stops the old one in the background; a long poll (2 s) the old poller still has open takes an
# SNS event and drops it unprocessed (invisible for timeout + 60 s). Wait that out on the emulator.
EMULATOR_POLLER_DRAIN_SECONDS = 3.0


def wait_ready(lam: LambdaClient, function: str, policy: retry.RetryPolicy, emulator: bool = False) -> None:
    """One synchronous invocation with an empty event, so the function's updated configuration
    serves invocations before anything is sent to it: on LocalStack 4.13.1 an asynchronous (SNS)
    invocation that arrives while a just-updated function starts its new environment is dropped
    without a trace (on the ``emulator`` the replaced event poller's last long poll is waited out
    first: :data:`EMULATOR_POLLER_DRAIN_SECONDS`). On AWS it costs one invocation and warms an
    environment."""
    if emulator:
        log.debug("function %s: waiting %.0fs for the emulator's replaced event poller to let go", function, EMULATOR_POLLER_DRAIN_SECONDS)
        time.sleep(EMULATOR_POLLER_DRAIN_SECONDS)
    answer = retry.call("lambda.Invoke", lam.invoke, policy=policy, FunctionName=function, Payload=READY_EVENT)
    if answer.get("FunctionError"):
        detail = answer["Payload"].read().decode("utf-8", "replace")[:500] if "Payload" in answer else ""
        raise TargetError(f"function {function} fails even an empty event ({answer['FunctionError']}): {detail}; see its log group")


_GONE = frozenset({"ResourceNotFoundException", "NoSuchEntity", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})


def _gone_is_fine(call: Any) -> Any:
    """``call()``, or None when what it acts on is gone already (the sweep may meet half a function)."""
    try:
        return call()
    except ClientError as exc:
        if retry.error_code(exc) in _GONE:
            return None
        raise


def _modified(value: str | None) -> float | None:
    """Lambda's ``LastModified`` (``2026-11-24T10:00:00.000+0000``) → epoch seconds."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return epoch(None)  # an unknown form: no age, so `sweep --older-than` leaves it alone


PART = FunctionKind()
