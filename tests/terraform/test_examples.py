"""terraform/examples/: documented root modules, written as a user writes them for AWS, that plan on
provider 3.39 with the offline mirror and create what their READMEs say.

A plan needs no AWS account. The test copies an example (with ``terraform/modules`` beside it, so its
``../../modules`` sources resolve), then writes ``providers_override.tf.json`` — Terraform merges
``*_override.tf.json`` files into the configuration — turning each provider into what an emulator
needs (as :meth:`harness.provision.targets.Target.provider_block` renders the LocalStack target):
the account id as access key, the skip_* flags of 3.39, path-style S3, one endpoint for every
service. The override also empties ``assume_role.role_arn`` (an empty role ARN makes 3.39 assume
nothing) and nulls ``allowed_account_ids`` (with ``skip_requesting_account_id`` the provider knows
no account id, and 3.39 then refuses any allow-list: "AWS Account ID not allowed: ").

Measured with 3.39.0: planning ``fan-out-cross-account`` calls no AWS API at all, so its endpoints
point at a port that refuses every connection — the plan would fail if it called one. The ``kms``
module reads ``data.aws_caller_identity`` (its key policy names the key's own account), which
calls ``sts:GetCallerIdentity`` even during plan (``-refresh=false`` too), so ``cross-region-kms``
is planned against a real LocalStack (``@pytest.mark.localstack``);
``test_kms_example_cannot_plan_without_sts`` keeps that measurement honest.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import paths
from harness.provision.module_docs import load_hcl
from harness.provision.provider import ProviderProfile, current_profile, write_cli_config
from harness.provision.rehearsal import ENDPOINT_SERVICES
from harness.provision.terraform import Terraform
from harness.settings import Settings

EXAMPLES_DIR = paths.REPO_ROOT / "terraform" / "examples"
REQUIRED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
A, B, C = "111111111111", "222222222222", "333333333333"


def _role(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/terraform"


@dataclass(frozen=True)
class Example:
    name: str
    accounts: dict[str, str]  # provider alias -> the account it reaches
    tfvars: dict[str, Any]
    creates: dict[str, str]  # resource address -> alias of the provider that creates it
    regions: dict[str, str] = field(default_factory=dict)  # provider alias -> variable naming its region


FAN_OUT = Example(
    name="fan-out-cross-account",
    accounts={"account_a": A, "account_b": B, "account_c": C},
    tfvars={
        "account_a_id": A, "account_a_role_arn": _role(A),
        "account_b_id": B, "account_b_role_arn": _role(B),
        "account_c_id": C, "account_c_role_arn": _role(C),
    },
    creates={
        "module.topic.aws_sns_topic.this": "account_a",
        "module.topic.aws_sns_topic_policy.this[0]": "account_a",
        "module.payloads.aws_s3_bucket.this": "account_a",
        "module.payloads.aws_s3_bucket_public_access_block.this": "account_a",
        "module.payloads.aws_s3_bucket_ownership_controls.this": "account_a",
        "module.payloads.aws_s3_bucket_policy.this": "account_a",
        "module.queue_b.aws_sqs_queue.this": "account_b",
        "module.queue_b.aws_sqs_queue_policy.this[0]": "account_b",
        "module.queue_c.aws_sqs_queue.this": "account_c",
        "module.queue_c.aws_sqs_queue_policy.this[0]": "account_c",
        # the queue's own account subscribes (auto-confirmed on AWS)
        "module.subscription_b.aws_sns_topic_subscription.this[0]": "account_b",
        "module.subscription_c.aws_sns_topic_subscription.this[0]": "account_c",
    },
    regions={"account_a": "var.region", "account_b": "var.region", "account_c": "var.region"},
)

CROSS_REGION_KMS = Example(
    name="cross-region-kms",
    accounts={"account_a": A, "account_b": B, "account_b_topic_region": B},
    tfvars={"account_a_id": A, "account_a_role_arn": _role(A), "account_b_id": B, "account_b_role_arn": _role(B)},
    creates={
        "module.topic.aws_sns_topic.this": "account_a",
        "module.topic.aws_sns_topic_policy.this[0]": "account_a",
        "module.queue_key.aws_kms_key.this": "account_b",
        "module.queue_key.aws_kms_alias.this": "account_b",
        "module.queue.aws_sqs_queue.this": "account_b",
        "module.queue.aws_sqs_queue_policy.this[0]": "account_b",
        # account B, in the topic's region: a subscription lives with its topic
        "module.subscription.aws_sns_topic_subscription.this[0]": "account_b_topic_region",
    },
    regions={"account_a": "var.topic_region", "account_b": "var.queue_region", "account_b_topic_region": "var.topic_region"},
)

EXAMPLES = (FAN_OUT, CROSS_REGION_KMS)


def test_every_example_directory_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES_DIR.iterdir() if p.is_dir()) == sorted(e.name for e in EXAMPLES)


# -- the example as a user reads it --------------------------------------------------------------
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_is_documented_and_written_for_aws(example: Example) -> None:
    root = EXAMPLES_DIR / example.name
    for name in REQUIRED_FILES:
        assert (root / name).is_file(), f"{example.name} lacks {name}"
    readme = (root / "README.md").read_text()
    assert "terraform apply" in readme and "terraform init" in readme, "the README says how to apply it on AWS"
    main = load_hcl(root / "main.tf")
    providers = [p["aws"] for p in main.get("provider", [])]
    assert sorted(p["alias"] for p in providers) == sorted(example.accounts)
    for provider in providers:
        alias = provider["alias"]
        # every account is reached by assuming its role, and pinned to it
        assert provider["assume_role"] and "role_arn" in provider["assume_role"][0], alias
        assert "allowed_account_ids" in provider, alias
        emulator_only = {k for k in provider if k.startswith("skip_") or k in ("endpoints", "access_key", "secret_key")}
        assert not emulator_only, f"{alias}: {sorted(emulator_only)} belong in the test's override, not the example"
        assert provider["region"] == "${" + example.regions[alias] + "}", alias
    for tf_file in root.glob("*.tf"):
        assert not re.search(r'"arn:aws:', tf_file.read_text()), f"{tf_file.name}: build ARNs with the partition"


def test_examples_are_formatted(tmp_path: Path, settings: Settings) -> None:
    tf = Terraform(tmp_path, write_cli_config(current_profile(settings), settings), settings)
    result = tf.fmt_check(EXAMPLES_DIR)
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


# -- planning ------------------------------------------------------------------------------------
def providers_override(example: Example, profile: ProviderProfile, endpoint_url: str) -> dict[str, Any]:
    """``providers_override.tf.json``: every provider of ``example`` pointed at ``endpoint_url``."""
    blocks = []
    for alias, account_id in example.accounts.items():
        blocks.append(
            {
                "alias": alias,
                "access_key": account_id,  # LocalStack's rule: the access key id names the account
                "secret_key": "test",
                "assume_role": [{"role_arn": ""}],
                "allowed_account_ids": None,
                **profile.emulator_skip_flags(),
                profile.path_style_argument(): True,
                "max_retries": 1,
                "endpoints": [{service: endpoint_url for service in ENDPOINT_SERVICES}],
            }
        )
    return {"provider": {"aws": blocks}}


def _terraform_for(example: Example, tmp_path: Path, settings: Settings, endpoint_url: str) -> Terraform:
    root = tmp_path / "terraform"
    shutil.copytree(paths.MODULES_DIR, root / "modules")
    work = root / "examples" / example.name
    shutil.copytree(EXAMPLES_DIR / example.name, work, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "*.tfvars*"))
    profile = current_profile(settings)
    (work / "providers_override.tf.json").write_text(json.dumps(providers_override(example, profile, endpoint_url), indent=2))
    tfvars = {**example.tfvars}
    if example is FAN_OUT:
        tfvars["bucket_object_ownership"] = profile.bucket_object_ownership()  # 3.39 rejects BucketOwnerEnforced
    (work / "terraform.tfvars.json").write_text(json.dumps(tfvars, indent=2))
    tf = Terraform(work, write_cli_config(profile, settings), settings)
    tf.run("init", "-backend=false", "-input=false", "-no-color")
    return tf


def plan(example: Example, tmp_path: Path, settings: Settings, endpoint_url: str) -> dict[str, Any]:
    """The saved plan of ``example`` as ``terraform show -json`` gives it."""
    tf = _terraform_for(example, tmp_path, settings, endpoint_url)
    result = tf.plan("tfplan")
    assert result.returncode == 0, f"terraform plan of {example.name}:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
    return tf.show_plan("tfplan")


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    """A local URL whose port refuses every connection: bound, never listening, held for the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def _creator(plan_json: dict[str, Any], address: str) -> str:
    """Alias of the root provider that creates the resource at ``address`` (module.M.TYPE.NAME[i])."""
    parts = re.sub(r"\[\d+\]$", "", address).split(".")
    module: dict[str, Any] = plan_json["configuration"]["root_module"]
    while parts[0] == "module":
        module = module["module_calls"][parts[1]]["module"]
        parts = parts[2:]
    resource = next(r for r in module["resources"] if r["address"] == ".".join(parts))
    return resource["provider_config_key"].removeprefix("aws.")


def _assert_creates(example: Example, plan_json: dict[str, Any]) -> None:
    changes = {rc["address"]: rc["change"]["actions"] for rc in plan_json["resource_changes"]}
    assert changes == {address: ["create"] for address in example.creates}
    created_by = {address: _creator(plan_json, address) for address in example.creates}
    assert created_by == example.creates
    providers = plan_json["configuration"]["provider_config"]
    for alias, region_variable in example.regions.items():
        assert providers[f"aws.{alias}"]["expressions"]["region"]["references"] == [region_variable], alias
    outputs = load_hcl(EXAMPLES_DIR / example.name / "outputs.tf")["output"]
    assert set(plan_json["output_changes"]) == {name for block in outputs for name in block}


def _planned(plan_json: dict[str, Any], address: str) -> dict[str, Any]:
    return next(rc["change"]["after"] for rc in plan_json["resource_changes"] if rc["address"] == address)


def _references(plan_json: dict[str, Any], module_call: str, argument: str) -> list[str]:
    return plan_json["configuration"]["root_module"]["module_calls"][module_call]["expressions"][argument]["references"]


def test_fan_out_example_plans_without_any_endpoint(tmp_path: Path, settings: Settings, refusing_endpoint: str) -> None:
    planned = plan(FAN_OUT, tmp_path, settings, refusing_endpoint)
    _assert_creates(FAN_OUT, planned)
    assert _planned(planned, "module.payloads.aws_s3_bucket.this")["bucket"] == f"fanout-demo-payloads-{A}"
    for account in ("b", "c"):
        subscription = _planned(planned, f"module.subscription_{account}.aws_sns_topic_subscription.this[0]")
        assert subscription["protocol"] == "sqs" and subscription["raw_message_delivery"] is True
        assert "module.topic.arn" in _references(planned, f"queue_{account}", "source_topic_arns")
    assert "module.topic.arn" in _references(planned, "subscription_b", "topic_arn")


@pytest.mark.localstack
def test_cross_region_kms_example_plans_on_localstack(tmp_path: Path, settings: Settings, endpoint_url: str) -> None:
    planned = plan(CROSS_REGION_KMS, tmp_path, settings, endpoint_url)
    _assert_creates(CROSS_REGION_KMS, planned)
    assert _planned(planned, "module.queue_key.aws_kms_alias.this")["name"] == "alias/xregion-demo-queue-key"
    assert _planned(planned, "module.queue_key.aws_kms_key.this")["enable_key_rotation"] is True
    # the key admits SNS only for this topic; the queue is encrypted with that key
    assert "module.topic.arn" in _references(planned, "queue_key", "sns_source_topic_arns")
    assert "module.queue_key.arn" in _references(planned, "queue", "kms_master_key_id")
    assert "module.topic.arn" in _references(planned, "queue", "source_topic_arns")


def test_kms_example_cannot_plan_without_sts(tmp_path: Path, settings: Settings, refusing_endpoint: str) -> None:
    """Why cross-region-kms needs the emulator: the kms module asks STS who it is, even in a plan."""
    tf = _terraform_for(CROSS_REGION_KMS, tmp_path, settings, refusing_endpoint)
    result = tf.plan("tfplan")
    assert result.returncode != 0
    assert "aws_caller_identity" in result.stderr and "Caller Identity" in result.stderr, result.stderr[-2000:]
