"""The nightly's AWS topology mirrors the reference's names, functions included, says how to reach
every account and which boundary its function roles carry; its scenarios are the ones `harness e2e
--scenarios scenarios/aws` picks; its root renders for provider 4+ as the workflow installs it."""

from __future__ import annotations

import re

from harness import paths
from harness.topology.loader import load_topology

NIGHTLY = paths.SCENARIOS_DIR / "aws" / "nightly.topology.yaml"
EXAMPLE_IDS = {"111122223333", "444455556666", "777788889999"}  # AWS documentation placeholders


def test_nightly_topology_mirrors_the_reference_names() -> None:
    nightly, reference = load_topology(NIGHTLY), load_topology(paths.REFERENCE_TOPOLOGY)
    assert set(nightly.accounts) == set(reference.accounts)
    assert nightly.regions == reference.regions
    assert set(nightly.topics) == set(reference.topics)
    assert set(nightly.queues) == set(reference.queues)
    assert set(nightly.buckets) == set(reference.buckets)
    assert nightly.functions == reference.functions and set(nightly.functions) == {"c-fn", "b-fn"}
    assert {s.key for s in nightly.subscriptions} == {s.key for s in reference.subscriptions}


def test_every_account_names_its_bootstrap_role() -> None:
    nightly = load_topology(NIGHTLY)
    for account in nightly.accounts.values():
        arn = account.aws.role_arn or ""
        m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/e2e-harness", arn)
        assert m and m.group(1) == account.id, f"{account.name}: role_arn {arn!r} must be the bootstrap's role in {account.id}"
        boundary = f"arn:aws:iam::{account.id}:policy/e2e-harness-function-boundary"
        assert account.aws.function_boundary == boundary, f"{account.name}: function_boundary must be the bootstrap's {boundary}"


def test_example_account_ids_are_marked_as_such() -> None:
    text = NIGHTLY.read_text()
    ids = {a.id for a in load_topology(NIGHTLY).accounts.values()}
    if ids & EXAMPLE_IDS:
        assert "EXAMPLE ACCOUNT IDS" in text and "replaces them" in text


def test_the_nightly_runs_its_own_scenarios_on_it() -> None:
    """`harness e2e --topology <nightly> --scenarios scenarios/aws` runs every scenario naming the
    nightly topology there (those naming reference.topology.yaml belong to make e2e)."""
    from harness.scenario.format.loader import discover_scenarios, load_scenario

    mine = [sc for sc in map(load_scenario, discover_scenarios(NIGHTLY.parent)) if sc.topology_file == str(NIGHTLY.resolve())]
    names = {sc.name for sc in mine}
    assert {"nightly-functions-large", "nightly-functions-on-failure", "nightly-functions-partial-batch", "nightly-functions-denied"} <= names
    workflow = (paths.REPO_ROOT / ".github" / "workflows" / "nightly-aws.yml").read_text()
    assert "SCENARIOS: scenarios/aws" in workflow and "--scenarios \"$SCENARIOS\"" in workflow and "vars.HARNESS_PROVIDER_SOURCE || 'registry'" in workflow


def test_the_nightly_root_renders_for_the_registry_provider(tmp_path) -> None:
    from harness.provision.provider import ProviderProfile
    from harness.provision.render import render_root
    from harness.provision.targets import Target

    modules = render_root(load_topology(NIGHTLY), Target("aws"), ProviderProfile("registry", "5.100.0"), "n1", tmp_path).document["module"]
    c, b = modules["function_c_fn"], modules["function_b_fn"]
    assert c["runtime"] == b["runtime"] == "python3.12"  # created as such: no change after the apply
    assert c["permissions_boundary"] == "arn:aws:iam::777788889999:policy/e2e-harness-function-boundary" and c["role_path"] == "/hx/"
    assert c["async_invocation"]["maximum_retry_attempts"] == 0 and c["async_invocation"]["on_failure_destination_arn"] == "${module.queue_c_fn_failed.arn}"
