"""The rendered root differs by target only where targets.py says it does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.errors import TargetError
from harness.provision.provider import ProviderProfile
from harness.provision.render import render_root
from harness.provision.targets import Target
from harness.topology.loader import load_topology

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "reference.topology.yaml"
PROFILE = ProviderProfile("mirror", "3.39.0")


def _with_roles(tmp_path: Path) -> Path:
    text = REFERENCE.read_text()
    for name, account_id in (("A", "111111111111"), ("B", "222222222222"), ("C", "333333333333")):
        text = text.replace(
            f'  {name}: {{id: "{account_id}"}}',
            f'  {name}: {{id: "{account_id}", aws: {{role_arn: "arn:aws:iam::{account_id}:role/e2e"}}}}',
        )
    path = tmp_path / "aws.topology.yaml"
    path.write_text(text)
    return path


def _providers(doc: dict) -> dict[str, dict]:
    return {p["alias"]: p for p in doc["provider"]["aws"]}


def _subscription_providers(doc: dict) -> dict[str, str]:
    return {name: call["providers"]["aws"] for name, call in doc["module"].items() if name.startswith("sub_")}


def test_aws_target_assumes_a_role_per_account_and_never_points_at_an_emulator(tmp_path: Path) -> None:
    topology = load_topology(_with_roles(tmp_path))
    doc = render_root(topology, Target("aws"), PROFILE, "abc123", tmp_path / "root").document
    providers = _providers(doc)
    assert providers, doc
    for alias, block in providers.items():
        account_id = re.search(r"(\d{12})", block["assume_role"][0]["role_arn"]).group(1)
        assert block["allowed_account_ids"] == [account_id], alias
        assert block["assume_role"][0]["session_name"] == "e2e-harness-abc123"
        for emulator_only in ("endpoints", "access_key", "secret_key", "s3_force_path_style", "skip_credentials_validation"):
            assert emulator_only not in block, (alias, emulator_only)


def test_cross_account_subscriptions_are_created_by_the_queue_owner_on_aws_and_the_topic_owner_on_localstack(tmp_path: Path) -> None:
    topology = load_topology(_with_roles(tmp_path))
    on_aws = _subscription_providers(render_root(topology, Target("aws"), PROFILE, "abc123", tmp_path / "a").document)
    on_ls = _subscription_providers(
        render_root(topology, Target("localstack", "http://127.0.0.1:4566"), PROFILE, "abc123", tmp_path / "b").document
    )
    # orders lives in A/us-east-1; its subscriber queues belong to B and C: always in the topic's region.
    assert on_aws["sub_orders__b_eu"] == "aws.b_us_east_1"
    assert on_aws["sub_orders__c_us"] == "aws.c_us_east_1"
    assert on_ls["sub_orders__b_eu"] == "aws.a_us_east_1"
    assert on_ls["sub_orders__c_us"] == "aws.a_us_east_1"


def test_aws_target_without_a_way_into_an_account_is_refused(tmp_path: Path) -> None:
    topology = load_topology(REFERENCE)
    with pytest.raises(TargetError, match=r"account A \(111111111111\) has no way in on AWS"):
        render_root(topology, Target("aws"), PROFILE, "abc123", tmp_path / "root")


def test_render_plans_every_physical_resource_and_reads_its_outputs_into_manifest_entries(tmp_path: Path) -> None:
    topology = load_topology(REFERENCE)
    rendered = render_root(topology, Target("localstack", "http://127.0.0.1:4566"), PROFILE, "abc123", tmp_path / "root")
    planned = {(p.kind, p.name): p for p in rendered.planned}
    assert len(planned) == len(topology.topics) + len(topology.queues) + len(topology.buckets) + len(topology.keys) + len(topology.functions)
    orders = planned[("topic", "hx-abc123-orders")]
    assert (orders.account, orders.account_id, orders.region, orders.partition) == ("A", "111111111111", "us-east-1", "aws")
    assert ("topic", "hx-abc123-orders-fifo.fifo") in planned
    assert ("bucket", "hx-abc123-payloads-111111111111") in planned

    # What `terraform output -json` reports, shaped as the root's `resources` output declares.
    declared = rendered.document["output"]["resources"]["value"]
    fake = {
        group: {name: {field: f"{group}/{name}/{field}" for field in fields} for name, fields in declared[group].items()}
        for group in ("topics", "queues", "buckets", "functions")
    }
    fake["subscriptions"] = {key: {"arn": f"sub/{key}"} for key in declared["subscriptions"]}
    applied = rendered.outputs.read({"resources": fake})
    topics, queues, buckets = (applied[g] for g in ("topics", "queues", "buckets"))
    assert set(topics) == set(topology.topics) and set(buckets) == set(topology.buckets)
    b_eu = queues["b-eu"]
    assert (b_eu.account, b_eu.account_id, b_eu.region) == ("B", "222222222222", "eu-west-1")
    assert (b_eu.arn, b_eu.url, b_eu.name, b_eu.fifo) == ("queues/b-eu/arn", "queues/b-eu/url", "queues/b-eu/name", False)
    assert topics["orders-fifo"].fifo and topics["orders"].url == ""
    subscriptions = list(applied["subscriptions"].values())
    assert len(subscriptions) == len(topology.subscriptions)
    first = subscriptions[0]
    sub = topology.subscriptions[0]
    assert (first.topic, first.queue, first.arn) == (sub.topic, sub.queue, f"sub/{sub.key}")
    assert first.created_by == topology.topics[sub.topic].account  # LocalStack: the topic owner subscribes
