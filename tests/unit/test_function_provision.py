"""Provisioning functions: the deployment package (reproducible, complete), the module calls render
writes for a function and a subscription to it, and the provider rule on AWS."""

from __future__ import annotations

import ast
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from harness import paths
from harness.errors import TargetError
from harness.kinds.function.provision import FunctionKind
from harness.provision import function_package
from harness.provision.provider import ProviderProfile
from harness.provision.render import render_root
from harness.provision.targets import Target
from harness.topology.loader import load_topology
from harness.topology.model import Topology

MIRROR = ProviderProfile("mirror", "3.39.0")
REGISTRY = ProviderProfile("registry", "5.100.0")
TOPOLOGY = load_topology(paths.REFERENCE_TOPOLOGY)

def _on_aws(tmp_path: Path) -> Topology:
    """The reference topology with a role to assume in each account (what the AWS target needs)."""
    text = paths.REFERENCE_TOPOLOGY.read_text()
    for name, account in (("A", "111111111111"), ("B", "222222222222"), ("C", "333333333333")):
        text = text.replace(f'  {name}: {{id: "{account}"}}', f'  {name}: {{id: "{account}", aws: {{role_arn: "arn:aws:iam::{account}:role/e2e-harness"}}}}')
    path = tmp_path / "aws.topology.yaml"
    path.write_text(text)
    return load_topology(path)


def test_the_package_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    one, two = function_package.build(tmp_path / "a"), function_package.build(tmp_path / "b")
    assert one.path.read_bytes() == two.path.read_bytes() and one.sha256_b64 == two.sha256_b64
    again = function_package.build(tmp_path / "a")  # an identical package is left as it is
    assert again.path.stat().st_mtime_ns == one.path.stat().st_mtime_ns
    with zipfile.ZipFile(one.path) as z:
        infos = z.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)} and {i.external_attr >> 16 for i in infos} == {0o644}
    assert not [i.filename for i in infos if "__pycache__" in i.filename]


def test_the_package_holds_everything_the_handler_imports(tmp_path: Path) -> None:
    package = function_package.build(tmp_path)
    with zipfile.ZipFile(package.path) as z:
        names = set(z.namelist())
        sources = {n: z.read(n).decode() for n in names if n.startswith("harness/")}
    assert "harness/payload/lambda_handler.py" in names and "tenacity/__init__.py" in names
    module, _, function = function_package.HANDLER.rpartition(".")
    assert f"{module.replace('.', '/')}.py" in names and f"def {function}(" in sources[f"{module.replace('.', '/')}.py"]
    missing = []
    for name, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            imported = [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            imported += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for mod in imported:
                if mod.startswith("harness") and f"{mod.replace('.', '/')}.py" not in names and f"{mod.replace('.', '/')}/__init__.py" not in names:
                    missing.append(f"{name} imports {mod}")
    assert not missing, "the package lacks what its modules import (a ModuleNotFoundError on AWS):\n" + "\n".join(missing)
    assert package.sha256_b64 == __import__("base64").b64encode(hashlib.sha256(package.path.read_bytes()).digest()).decode()


def test_render_writes_the_function_calls_and_the_package(tmp_path: Path) -> None:
    root = tmp_path / "root"
    rendered = render_root(TOPOLOGY, Target("localstack", "http://127.0.0.1:4566"), MIRROR, "r1", root)
    modules = rendered.document["module"]
    c, b = modules["function_c_fn"], modules["function_b_fn"]
    assert (root / function_package.PACKAGE_NAME).is_file() and c["package_file"] == "${path.root}/function-package.zip"
    assert c["name"] == "hx-r1-c-fn" and c["receipts_queue_name"] == "hx-r1-c-fn-receipts" and c["runtime"] == "python3.8"
    assert c["providers"] == {"aws": "aws.c_us_east_1"} and c["source_topic_arns"] == ["${module.topic_orders.arn}"]
    assert c["payload_bucket_arns"] == ["${module.bucket_payloads.arn}"] and c["delete_payload_bucket_arns"] == ["${module.bucket_payloads.arn}"]
    assert c["environment"]["HARNESS_BUCKET_REGIONS"] == '{"hx-r1-payloads-111111111111":"us-east-1"}'
    assert "event_source" not in c and c["environment"]["HARNESS_PARTIAL_BATCH"] == "0"
    assert b["event_source"] == {"queue_arn": "${module.queue_b_fn_in.arn}", "batch_size": 10, "maximum_batching_window_in_seconds": 1,
                                 "report_batch_item_failures": True}
    assert b["source_topic_arns"] == [] and b["environment"]["HARNESS_PARTIAL_BATCH"] == "1"
    sub = modules["sub_orders__c_fn"]
    assert sub["function_arn"] == "${module.function_c_fn.arn}" and "queue_arn" not in sub and sub["depends_on"] == ["module.function_c_fn"]
    assert modules["topic_orders"]["lambda_subscriber_account_ids"] == ["333333333333"]
    assert [p.name for p in rendered.planned if p.kind == "function"] == ["hx-r1-c-fn", "hx-r1-b-fn"]


def test_aws_needs_a_provider_that_creates_a_current_runtime(tmp_path: Path) -> None:
    on_aws = _on_aws(tmp_path)
    kind = FunctionKind()
    with pytest.raises(TargetError, match=r"function c-fn: hashicorp/aws 3\.39\.0 .* HARNESS_PROVIDER_SOURCE=registry"):
        kind.refuse(on_aws, Target("aws"), MIRROR)
    kind.refuse(on_aws, Target("aws"), REGISTRY)
    kind.refuse(on_aws, Target("aws", "http://127.0.0.1:4566"), MIRROR)  # the rehearsal
    rendered = render_root(on_aws, Target("aws"), REGISTRY, "r1", tmp_path / "b")
    assert rendered.document["module"]["function_c_fn"]["runtime"] == "python3.12"
    # the rehearsal (the AWS path on LocalStack) creates python3.8 and moves it after the apply
    rehearsal = render_root(on_aws, Target("aws", "http://127.0.0.1:4566"), MIRROR, "r1", tmp_path / "c")
    assert rehearsal.document["module"]["function_c_fn"]["runtime"] == "python3.8"


def test_the_zip_is_a_zip() -> None:
    data = function_package.archive(function_package.sources()[:2])
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


def test_render_configures_failed_asynchronous_invocations_and_the_role_path(tmp_path: Path) -> None:
    modules = render_root(TOPOLOGY, Target("localstack", "http://127.0.0.1:4566"), MIRROR, "r1", tmp_path / "root").document["module"]
    c, b = modules["function_c_fn"], modules["function_b_fn"]
    assert c["async_invocation"] == {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": None,
                                     "on_failure_destination_arn": "${module.queue_c_fn_failed.arn}", "on_failure_kms_key_arn": None}
    assert "async_invocation" not in b  # nothing invokes it asynchronously
    assert c["role_path"] == b["role_path"] == "/hx/" and "permissions_boundary" not in c  # the emulator: no bootstrap
    # the destination is C's own queue: no queue policy needed for C's role
    assert modules["queue_c_fn_failed"]["sender_role_arns"] == []


def test_a_destination_in_another_account_admits_the_function_role(tmp_path: Path) -> None:
    text = paths.REFERENCE_TOPOLOGY.read_text().replace("  c-fn-failed:\n    account: C\n", "  c-fn-failed:\n    account: B\n")
    path = tmp_path / "x.topology.yaml"
    path.write_text(text)
    modules = render_root(load_topology(path), Target("localstack", "http://127.0.0.1:4566"), MIRROR, "r1", tmp_path / "root").document["module"]
    assert modules["queue_c_fn_failed"]["sender_role_arns"] == ["${module.function_c_fn.role_arn}"]


def test_on_aws_every_role_carries_the_accounts_boundary(tmp_path: Path) -> None:
    text = _on_aws(tmp_path).source
    source = Path(text).read_text().replace('role/e2e-harness"}}', 'role/e2e-harness", function_boundary: "BOUNDARY"}}')
    for account in ("111111111111", "222222222222", "333333333333"):
        source = source.replace(f'role_arn: "arn:aws:iam::{account}:role/e2e-harness", function_boundary: "BOUNDARY"',
                                f'role_arn: "arn:aws:iam::{account}:role/e2e-harness", function_boundary: "arn:aws:iam::{account}:policy/hx-boundary"')
    path = tmp_path / "bounded.topology.yaml"
    path.write_text(source)
    bounded = load_topology(path)
    modules = render_root(bounded, Target("aws"), REGISTRY, "r1", tmp_path / "aws").document["module"]
    assert modules["function_c_fn"]["permissions_boundary"] == "arn:aws:iam::333333333333:policy/hx-boundary"
    assert modules["function_b_fn"]["permissions_boundary"] == "arn:aws:iam::222222222222:policy/hx-boundary"
    # the rehearsal (the AWS path against an endpoint) sets it too; the LocalStack target never
    rehearsal = render_root(bounded, Target("aws", "http://127.0.0.1:4566"), MIRROR, "r1", tmp_path / "r").document["module"]
    assert rehearsal["function_c_fn"]["permissions_boundary"] == "arn:aws:iam::333333333333:policy/hx-boundary"
    emulator = render_root(bounded, Target("localstack", "http://127.0.0.1:4566"), MIRROR, "r1", tmp_path / "e").document["module"]
    assert "permissions_boundary" not in emulator["function_c_fn"]
