"""The AWS target rehearsed on LocalStack: the path the nightly runs on real AWS, on every `make test`.

terraform/bootstrap creates the hub role and an e2e role per account (as an administrator would on
AWS); the process then runs with the hub role's session credentials (as after
aws-actions/configure-aws-credentials), and the harness — `--target aws` with an endpoint — assumes
each account's role for Terraform's providers and its own boto3 sessions, applies the reference
topology, runs reference scenarios through the driver and destroys everything. The differences from
AWS that remain are listed in harness/provision/rehearsal.py.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from harness import paths
from harness.provision.manifest import STATUS_DESTROYED, Manifest
from harness.provision.provider import current_profile, write_cli_config
from harness.provision.render import render_root
from harness.provision.sessions import Sessions
from harness.provision.sweep import sweep_topology
from harness.provision.targets import Target
from harness.provision.terraform import Terraform
from harness.run import Driver
from harness.scenario.format.loader import load_scenario
from harness.settings import Settings
from harness.topology.loader import load_topology
from harness.topology.model import AwsAccess

pytestmark = pytest.mark.localstack

BOOTSTRAP = paths.REPO_ROOT / "terraform" / "bootstrap"
HUB_ID = "444444444444"
ACCOUNTS = {"A": "111111111111", "B": "222222222222", "C": "333333333333"}
# Names of their own, so this test never meets tests/terraform/test_bootstrap.py's roles.
HUB_ROLE, E2E_ROLE, BOUNDARY = "e2e-rehearsal-hub", "e2e-rehearsal", "e2e-rehearsal-function-boundary"
# Every reference scenario but sustained-100 (30 s of 100 msg/s: most of the run on a 2-core emulator; the
# AWS code path it would exercise is the same as burst-500's).
SCENARIOS = tuple(
    sorted(p.name.removesuffix(".scenario.yaml") for p in paths.SCENARIOS_DIR.glob("*.scenario.yaml") if p.name != "sustained-100.scenario.yaml")
)
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


def _provider_override(endpoint_url: str, settings: Settings) -> str:
    """The bootstrap's providers pointed at LocalStack with each account's test keys (with the
    provider the settings choose: 3.39 by default, a later major with HARNESS_PROVIDER_SOURCE=registry)."""
    flags = "".join(f"  {flag} = true\n" for flag in current_profile(settings).emulator_skip_flags() if flag != "skip_requesting_account_id")
    blocks = []
    for alias, account in {"hub": HUB_ID, **{f"account_{n.lower()}": i for n, i in ACCOUNTS.items()}}.items():
        blocks.append(
            f'provider "aws" {{\n  alias = "{alias}"\n  access_key = "{account}"\n  secret_key = "test"\n{flags}'
            f'  endpoints {{\n    iam = "{endpoint_url}"\n    sts = "{endpoint_url}"\n  }}\n}}\n'
        )
    return "\n".join(blocks)


def _tf(tf: Terraform, *args: str) -> str:
    result = tf.run(*args, "-no-color", check=False)
    assert result.returncode == 0, f"terraform {' '.join(args)}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout


@dataclass
class Roles:
    hub_role_arn: str
    e2e_role_arns: dict[str, str]  # account name -> role ARN
    boundaries: dict[str, str]  # account name -> the function roles' permissions boundary


@pytest.fixture(scope="module")
def roles(tmp_path_factory: pytest.TempPathFactory, settings: Settings, endpoint_url: str) -> Iterator[Roles]:
    """terraform/bootstrap applied on LocalStack (without the OIDC provider: no GitHub here)."""
    work = tmp_path_factory.mktemp("bootstrap") / "bootstrap"
    shutil.copytree(BOOTSTRAP, work, ignore=shutil.ignore_patterns(".terraform*", "terraform.tfstate*"))
    (work / "localstack_override.tf").write_text(_provider_override(endpoint_url, settings))
    tfvars = {
        "github_repository": "example-org/messaging-e2e",
        "create_oidc_provider": False,
        "hub_role_name": HUB_ROLE,
        "e2e_role_name": E2E_ROLE,
        "function_boundary_name": BOUNDARY,
        "hub_account": {"id": HUB_ID},
        **{f"account_{n.lower()}": {"id": i} for n, i in ACCOUNTS.items()},
    }
    (work / "terraform.tfvars.json").write_text(json.dumps(tfvars))
    tf = Terraform(work, write_cli_config(current_profile(settings), settings), settings)
    _tf(tf, "init", "-input=false")
    try:
        _tf(tf, "apply", "-auto-approve", "-input=false")
        outputs = {k: v["value"] for k, v in json.loads(_tf(tf, "output", "-json")).items()}
        yield Roles(outputs["hub_role_arn"], outputs["e2e_role_arns"], outputs["function_boundaries"])
    finally:
        _tf(tf, "apply", "-destroy", "-auto-approve", "-input=false")


@pytest.fixture(scope="module")
def hub_environment(roles: Roles, aws: Any) -> Iterator[dict[str, str]]:
    """The process runs with the hub role's session credentials, as the nightly job does after
    aws-actions/configure-aws-credentials; no profile or shared file of the developer is read."""
    creds = aws("sts", HUB_ID, "us-east-1").assume_role(RoleArn=roles.hub_role_arn, RoleSessionName="nightly")["Credentials"]
    env = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        yield env


@pytest.fixture(scope="module")
def rehearsal_settings(hub_environment: dict[str, str], settings: Settings, endpoint_url: str) -> Settings:
    """Settings as the edge builds them in the hub environment, with the endpoint override."""
    return Settings.from_env(os.environ, state_dir=settings.state_dir, endpoint_url=endpoint_url)


@pytest.fixture(scope="module")
def topology_dir(tmp_path_factory: pytest.TempPathFactory, roles: Roles) -> Path:
    """The reference topology with each account's role_arn and function_boundary (as the nightly's
    names them), and copies of the reference scenarios."""
    directory = tmp_path_factory.mktemp("rehearsal")
    text = paths.REFERENCE_TOPOLOGY.read_text()
    for name, account_id in ACCOUNTS.items():
        line = f'  {name}: {{id: "{account_id}"}}'
        assert line in text, f"reference topology changed: {line!r} not found"
        aws = f'role_arn: "{roles.e2e_role_arns[name]}", function_boundary: "{roles.boundaries[name]}"'
        text = text.replace(line, f'  {name}: {{id: "{account_id}", aws: {{{aws}}}}}')
    (directory / "reference.topology.yaml").write_text(text)
    for name in SCENARIOS:
        shutil.copy(paths.SCENARIOS_DIR / f"{name}.scenario.yaml", directory)
    return directory


def _kit_leftovers(aws: Any, run_id: str) -> list[str]:
    """Everything named for ``run_id`` in any account and region (seen with the accounts' test keys)."""
    found = []
    for account in ACCOUNTS.values():
        for region in REGIONS:
            found += [u for u in aws("sqs", account, region).list_queues().get("QueueUrls", []) if run_id in u]
            found += [t["TopicArn"] for t in aws("sns", account, region).list_topics()["Topics"] if run_id in t["TopicArn"]]
        found += [b["Name"] for b in aws("s3", account, "us-east-1").list_buckets()["Buckets"] if run_id in b["Name"]]
        found += [r["Arn"] for r in aws("iam", account, "us-east-1").list_roles(PathPrefix="/hx/")["Roles"] if run_id in r["RoleName"]]
        for region in REGIONS:
            found += [f["FunctionArn"] for f in aws("lambda", account, region).list_functions()["Functions"] if run_id in f["FunctionName"]]
    return found


def test_reference_scenarios_run_through_the_aws_code_path_with_assume_role_per_account(
    rehearsal_settings: Settings, topology_dir: Path, roles: Roles, hub_environment: dict[str, str], aws: Any
) -> None:
    out = io.StringIO()
    driver = Driver(rehearsal_settings, target="aws", out=out, show_progress=False)
    try:
        manifest = driver.apply(topology_dir / "reference.topology.yaml")
        run_id = manifest.run_id
        assert (manifest.target, manifest.endpoint_url) == ("aws", rehearsal_settings.endpoint_url)
        assert {n: a["role_arn"] for n, a in manifest.aws_access.items()} == roles.e2e_role_arns

        # Terraform's providers assumed each account's role, pinned to the account.
        root = json.loads((rehearsal_settings.run_dir(run_id) / "terraform" / "main.tf.json").read_text())
        for block in root["provider"]["aws"]:
            [assume] = block["assume_role"]
            account_id = re.search(r"::(\d{12}):", assume["role_arn"]).group(1)
            assert block["allowed_account_ids"] == [account_id]
            assert assume["session_name"] == f"e2e-harness-{run_id}"
            assert "access_key" not in block and "skip_requesting_account_id" not in block

        # The harness's own sessions are assumed-role sessions in the right account.
        sessions = Sessions.for_manifest(manifest)
        for name, account_id in ACCOUNTS.items():
            creds = sessions.session(name, "us-east-1").get_credentials()
            assert creds.access_key.startswith(("LSIA", "ASIA")), creds.access_key
            assert creds.access_key != hub_environment["AWS_ACCESS_KEY_ID"]
            who = sessions.client("sts", name, "us-east-1").get_caller_identity()
            assert who["Account"] == account_id
            assert who["Arn"] == f"arn:aws:sts::{account_id}:assumed-role/{E2E_ROLE}/e2e-harness-{run_id}"
        queue = manifest.queues["b-eu"]
        assert queue.account_id == ACCOUNTS["B"] and f":{ACCOUNTS['B']}:" in queue.arn

        # Each function's execution role was created by the account's assumed e2e role under /hx/,
        # carrying the bootstrap's boundary: what that role's policy allows it to create, and only that.
        assert set(manifest.functions) == {"c-fn", "b-fn"}
        for fn in manifest.functions.values():
            role = aws("iam", fn.account_id, "us-east-1").get_role(RoleName=fn.role_name)["Role"]
            assert role["Path"] == "/hx/" and role["Arn"] == fn.role_arn == f"arn:aws:iam::{fn.account_id}:role/hx/{fn.name}"
            assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == roles.boundaries[fn.account], role

        # Before any scenario, a delivery canary went down every subscription and came back
        # (harness/scenario/execute/settle.py): on the emulator at once, with one canary each.
        settled = out.getvalue()
        for sub in manifest.subscriptions:
            endpoint = f"function {sub.function}" if sub.function else sub.queue
            assert re.search(rf"settle: {re.escape(sub.topic)} → {re.escape(endpoint)} (delivers \(\d+\.\ds after apply, 1 canary|: its filter policy)", settled), settled

        for name in SCENARIOS:
            result = driver.run(load_scenario(topology_dir / f"{name}.scenario.yaml"))
            assert result.status == "passed", f"{name}: {result.failures}\n{out.getvalue()[-3000:]}"
    finally:
        finished = driver.close(reports_dir=topology_dir / "reports")
    [done] = finished
    assert done.report.target == "aws" and len(done.report.scenarios) == len(SCENARIOS)
    assert Manifest.load(run_id, rehearsal_settings).status == STATUS_DESTROYED
    assert _kit_leftovers(aws, run_id) == []
    # The nightly's last step: the sweep, through the same assumed roles, finds nothing of the run.
    sweep_out = io.StringIO()
    target = Target("aws", rehearsal_settings.endpoint_url)
    report = sweep_topology(load_topology(topology_dir / "reference.topology.yaml"), target, rehearsal_settings, out=sweep_out)
    assert report.ok, report.failed
    assert not [label for label in report.deleted if run_id in label], sweep_out.getvalue()


def test_allowed_account_ids_stops_a_role_that_lands_in_another_account(rehearsal_settings: Settings, tmp_path: Path, roles: Roles) -> None:
    """Account B names C's role (the loader refuses that in a file; here it is forced into the model):
    the provider checks the account the assumed role lands in and refuses at plan, before any change."""
    topo = tmp_path / "wrong.topology.yaml"
    topo.write_text(
        "name: wrong\n"
        f'accounts:\n  B: {{id: "{ACCOUNTS["B"]}", aws: {{role_arn: "{roles.e2e_role_arns["B"]}"}}}}\n'
        "regions: [us-east-1]\nqueues:\n  q: {account: B, region: us-east-1}\n"
    )
    topology = load_topology(topo)
    wrong_b = replace(topology.accounts["B"], aws=AwsAccess(role_arn=roles.e2e_role_arns["C"]))
    topology = replace(topology, accounts={"B": wrong_b})
    profile = current_profile(rehearsal_settings)
    root = tmp_path / "root"
    render_root(topology, Target("aws", rehearsal_settings.endpoint_url), profile, "wrongacct", root).write(root)
    tf = Terraform(root, write_cli_config(profile, rehearsal_settings), rehearsal_settings)
    tf.init()
    result = tf.run("plan", "-input=false", "-no-color", check=False)
    assert result.returncode != 0
    assert re.search(r"(?i)account id not allowed.*333333333333", result.stdout + result.stderr), result.stderr[-2000:]
