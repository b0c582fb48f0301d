"""The nightly's AWS topology runs the reference scenarios unchanged and says how to reach every account."""

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
    # All but the reference's Lambda functions: on AWS they need IAM grants the bootstrap does not give
    # yet (docs/aws-nightly.md); the queue one of them polls and its subscription are there.
    assert not nightly.functions and set(reference.functions) == {"c-fn", "b-fn"}
    assert {s.key for s in nightly.subscriptions} == {s.key for s in reference.queue_subscriptions}


def test_every_account_names_its_bootstrap_role() -> None:
    nightly = load_topology(NIGHTLY)
    for account in nightly.accounts.values():
        arn = account.aws.role_arn or ""
        m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/e2e-harness", arn)
        assert m and m.group(1) == account.id, f"{account.name}: role_arn {arn!r} must be the bootstrap's role in {account.id}"


def test_example_account_ids_are_marked_as_such() -> None:
    text = NIGHTLY.read_text()
    ids = {a.id for a in load_topology(NIGHTLY).accounts.values()}
    if ids & EXAMPLE_IDS:
        assert "EXAMPLE ACCOUNT IDS" in text and "replaces them" in text
