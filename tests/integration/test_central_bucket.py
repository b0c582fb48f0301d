"""Issue 10 item 3 on a real LocalStack: a sender offloads into a central payload bucket that a
fourth account owns (``writers:``), and a consumer in another account reads the payload from it."""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.access.static import check_topology
from harness.errors import InputFileError
from harness.provision import lifecycle
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.scenario.loader import load_scenario
from harness.scenario.result import PASSED
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings
from harness.topology.loader import load_topology

TOPOLOGY = Path(__file__).parent / "topologies" / "central-bucket.topology.yaml"
A, D = "111111111111", "444444444444"


@pytest.fixture(scope="module")
def applied(endpoint_url: str) -> Iterator[Manifest]:
    settings = Settings.from_env(os.environ)
    manifest = lifecycle.up(TOPOLOGY, Target("localstack", endpoint_url), settings, out=io.StringIO()).manifest
    yield manifest
    lifecycle.down(manifest.run_id, settings, out=io.StringIO())


def _scenario(tmp_path: Path, name: str, body: str):
    path = tmp_path / f"{name}.scenario.yaml"
    path.write_text(f"name: {name}\ntopology: {TOPOLOGY}\n" + textwrap.dedent(body))
    return load_scenario(path)


def test_the_modules_authorise_the_central_bucket_as_declared() -> None:
    assert check_topology(load_topology(TOPOLOGY)) == []


def test_writer_offloads_into_a_central_bucket_and_the_consumer_reads_it(applied: Manifest, tmp_path: Path, aws) -> None:
    central = applied.buckets["central"]
    assert central.account == "D" and central.account_id == D
    policy = aws("s3", D, "us-east-1").get_bucket_policy(Bucket=central.name)["Policy"]
    assert "AllowWriterAccountsToPutPayloads" in policy and f"arn:aws:iam::{A}:root" in policy

    sc = _scenario(tmp_path, "central-offload", """\
        send: {from: A/us-east-1, topic: orders, count: 2, size: 300KiB, offload: always, bucket: central}
        expect:
          - {queue: b-eu, within: 15s, intact: true, delete_payloads: true}
        """)
    result = ScenarioRunner(applied, Sessions.for_manifest(applied)).run(sc)
    assert result.status == PASSED, result.failures
    [path] = result.paths
    assert path.counts["intact"] == 2 and path.counts["received"] == 2
    # Every hop of the path was judged, the writer's put among them, and allowed by the writer grant.
    puts = [h for h in result.access if h["hop"] == "put_payload"]
    assert puts and all(h["verdict"] == "allowed" for h in puts), result.access
    assert puts[0]["principal"] == A and "AllowWriterAccountsToPutPayloads" in puts[0]["line"]
    # The consumer deleted the payloads: the central bucket is empty again.
    assert aws("s3", D, "us-east-1").list_objects_v2(Bucket=central.name).get("KeyCount", 0) == 0


def test_a_sender_that_is_not_a_writer_is_refused_with_what_to_write(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        _scenario(tmp_path, "not-a-writer", """\
            send: {from: C/us-east-1, queue: c-us, count: 1, size: 2MiB, bucket: central}
            expect:
              - {queue: c-us, within: 5s}
            """)
    [problem] = err.value.problems
    assert "which account D owns and only D, A may write, but the sender is C" in problem.message
    assert "add C to buckets.central.writers" in problem.message
    assert "give the bucket a writer" not in str(err.value)
