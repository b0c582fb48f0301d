"""Target is the one owner of "how do I reach account X in region R": Terraform provider blocks and
boto3 sessions come from the same rule, and nothing outside targets.py branches on the target."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness.errors import TargetError
from harness.provision import rehearsal
from harness.provision.manifest import Manifest
from harness.provision.provider import ProviderProfile
from harness.provision.sessions import Sessions
from harness.provision.targets import LOCALSTACK_SECRET_KEY, Target
from harness.topology.model import Account, AwsAccess

PROFILE = ProviderProfile("mirror", "3.39.0")
PACKAGE = Path(__file__).resolve().parents[2] / "harness"
ROLE = "arn:aws:iam::222222222222:role/e2e"
B = Account("B", "222222222222", AwsAccess(role_arn=ROLE, external_id="ext"))


def test_localstack_reach_is_the_account_id_as_access_key_for_terraform_and_boto3() -> None:
    target = Target("localstack", "http://127.0.0.1:4566/")
    assert target.endpoint_url == "http://127.0.0.1:4566"
    reach = target.reach(B, "r1")
    block = target.provider_block("b_us_east_1", B, "us-east-1", PROFILE, "r1")
    assert (block["access_key"], block["secret_key"]) == ("222222222222", LOCALSTACK_SECRET_KEY)
    assert "assume_role" not in block and "allowed_account_ids" not in block
    creds = target.session(reach, "eu-west-1").get_credentials()
    assert (creds.access_key, creds.secret_key) == ("222222222222", LOCALSTACK_SECRET_KEY)
    client = target.client(target.session(reach, "eu-west-1"), "s3", "eu-west-1")
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.config.s3["addressing_style"] == "path"
    assert client.meta.config.retries["total_max_attempts"] == 1  # harness.retry is the only retry layer


def test_aws_reach_assumes_the_role_with_the_run_in_the_session_name() -> None:
    target = Target("aws")
    reach = target.reach(B, "r1")
    assert (reach.role_arn, reach.external_id, reach.session_name) == (ROLE, "ext", "e2e-harness-r1")
    block = target.provider_block("b_us_east_1", B, "us-east-1", PROFILE, "r1")
    assert block["assume_role"] == [{"role_arn": ROLE, "session_name": "e2e-harness-r1", "external_id": "ext"}]
    assert block["allowed_account_ids"] == ["222222222222"]
    assert not {"endpoints", "access_key", "max_retries", "s3_force_path_style"} & set(block)
    client = target.client(__import__("boto3").session.Session(region_name="us-east-1"), "s3", "us-east-1")
    assert client.meta.config.s3 is None or client.meta.config.s3.get("addressing_style") != "path"


def test_the_rehearsal_is_the_aws_path_at_an_endpoint_with_only_the_listed_differences() -> None:
    target = Target("aws", "http://127.0.0.1:4566")
    assert target.is_rehearsal and not target.is_emulator
    block = target.provider_block("b_us_east_1", B, "us-east-1", PROFILE, "r1")
    assert block["assume_role"][0]["role_arn"] == ROLE and block["allowed_account_ids"] == ["222222222222"]
    assert block["endpoints"] == [{svc: "http://127.0.0.1:4566" for svc in rehearsal.ENDPOINT_SERVICES}]
    # The account lookup stays on: allowed_account_ids is checked against the assumed role's account.
    for aws_behaviour in ("access_key", "secret_key", "skip_credentials_validation", "skip_requesting_account_id"):
        assert aws_behaviour not in block
    assert set(block) - {"alias", "region", "assume_role", "allowed_account_ids"} == set(
        rehearsal.provider_overrides(PROFILE, "http://127.0.0.1:4566")
    )
    assert target.subscription_creator("A", "B") == ("B" if rehearsal.QUEUE_OWNER_SUBSCRIBES else "A")
    assert Target("aws").subscription_creator("A", "B") == "B"
    assert Target("localstack", "http://x").subscription_creator("A", "B") == "A"


def test_an_account_without_a_way_in_is_refused_for_boto3_too() -> None:
    with pytest.raises(TargetError, match=r"account C \(333333333333\) has no way in on AWS"):
        Target("aws").reach(Account("C", "333333333333"))
    sessions = Sessions(Target("aws", "http://127.0.0.1:1"), {"C": Account("C", "333333333333")})
    with pytest.raises(TargetError, match="no way in on AWS"):
        sessions.client("sqs", "C", "us-east-1")


def test_sessions_are_built_from_what_the_manifest_records() -> None:
    manifest = Manifest(
        run_id="r1",
        target="aws",
        endpoint_url="http://127.0.0.1:4566",
        topology="t",
        topology_file="t.yaml",
        status="applied",
        provider_version="3.39.0",
        accounts={"B": "222222222222"},
        aws_access={"B": {"role_arn": ROLE, "profile": None, "external_id": None}},
    )
    sessions = Sessions.for_manifest(manifest)
    assert sessions.target == Target("aws", "http://127.0.0.1:4566")
    assert sessions.account("B").aws.role_arn == ROLE and sessions.account_id("B") == "222222222222"
    assert sessions.account_id("444444444444") == "444444444444"  # a bare id stands for itself


def _branches_on_target_names(path: Path) -> list[int]:
    """Lines comparing something with a target name (``x == "localstack"``, ``in ("aws", …)``)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Constant) and sub.value in ("localstack", "aws"):
                    lines.append(node.lineno)
    return lines


def test_no_provision_module_but_targets_names_a_target() -> None:
    """Target differences do not leak: only targets.py compares against the target names."""
    leaks = []
    for path in sorted((PACKAGE / "provision").rglob("*.py")):
        if path.name in ("targets.py", "rehearsal.py"):
            continue
        leaks += [f"{path.relative_to(PACKAGE)}:{line}" for line in _branches_on_target_names(path)]
    assert not leaks, "branch on Target's properties, not on its name:\n" + "\n".join(leaks)


def test_cli_up_with_target_aws_and_an_endpoint_rehearses_on_it() -> None:
    from harness import cli
    from harness.settings import Settings

    settings = Settings.from_env({})
    args = cli.build_parser().parse_args(["up", "--topology", "t.yaml", "--target", "aws", "--endpoint-url", "http://127.0.0.1:4566/"])
    assert cli._target(args, settings) == Target("aws", "http://127.0.0.1:4566")
    args = cli.build_parser().parse_args(["up", "--topology", "t.yaml", "--target", "aws"])
    assert cli._target(args, settings) == Target("aws")
    assert cli._target(args, settings.replace(endpoint_url="http://127.0.0.1:5000")).is_rehearsal
