"""Injected faults never outlive their scenario: `harness run` interrupted (SIGINT, SIGTERM) while a
queue policy denies SNS, the queue's key is disabled and the subscription's filter policy is
changed — afterwards the policy, the key and the filter policy read back as they were."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.provision.manifest import Manifest
from tests.scenarios.kit import applied_run

TOPOLOGY = Path(__file__).with_name("faults.topology.yaml")
pytestmark = pytest.mark.localstack

SCENARIO = """\
name: held-faults
topology: {topology}
send: {{from: A/us-east-1, topic: events, count: 600, rate: 10, attributes: {{kind: a}}}}
expect:
  - {{queue: inbox, within: 10s}}
faults:
  - {{kind: queue_policy, queue: inbox}}
  - {{kind: key_disabled, key: queue-key}}
  - {{kind: filter_policy, topic: events, queue: inbox, filter_policy: {{kind: [b]}}}}
"""


@pytest.fixture(scope="module")
def applied(endpoint_url: str) -> Iterator[Manifest]:
    with applied_run(TOPOLOGY, endpoint_url) as manifest:
        yield manifest


def _state(applied: Manifest, aws) -> tuple[str, str, str]:
    queue, key, topic = applied.queues["inbox"], applied.keys["queue-key"], applied.topics["events"]
    [sub] = applied.subscriptions
    policy = aws("sqs", queue.account_id, queue.region).get_queue_attributes(QueueUrl=queue.url, AttributeNames=["Policy"])
    state = aws("kms", key.account_id, key.region).describe_key(KeyId=key.arn)["KeyMetadata"]["KeyState"]
    attrs = aws("sns", topic.account_id, topic.region).get_subscription_attributes(SubscriptionArn=sub.arn)["Attributes"]
    return policy["Attributes"]["Policy"], state, json.dumps(json.loads(attrs["FilterPolicy"]), sort_keys=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_during_the_faults_puts_everything_back(applied: Manifest, aws, tmp_path: Path, sig: signal.Signals) -> None:
    before = _state(applied, aws)
    assert before[1] == "Enabled" and json.loads(before[2]) == {"kind": ["a"]}
    scenario = tmp_path / "held-faults.scenario.yaml"
    scenario.write_text(SCENARIO.format(topology=TOPOLOGY))
    env = {**os.environ, "HARNESS_REPORTS_DIR": str(tmp_path / "reports")}
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--run-id", applied.run_id, str(scenario)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        during = before
        while time.monotonic() < deadline and proc.poll() is None:
            during = _state(applied, aws)
            if during[1] == "Disabled" and during[0] != before[0] and during[2] != before[2]:
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert "HarnessFaultDenySns" in during[0] and during[1] == "Disabled" and json.loads(during[2]) == {"kind": ["b"]}
        time.sleep(1.0)  # mid-send
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out
    assert "interrupted" in out
    assert _state(applied, aws) == before


QUIET = """\
name: after-the-kill
topology: {topology}
send: {{from: A/us-east-1, topic: events, count: 2, attributes: {{kind: a}}}}
expect:
  - {{queue: inbox, within: 10s}}
"""


def test_a_sigkill_during_the_faults_is_put_back_by_the_next_process(applied: Manifest, aws, tmp_path: Path) -> None:
    """SIGKILL runs no ``finally``: the faults stay applied, recorded in the run's journal. The next
    `harness run` on the run finds the record of a dead process, applies the run's topology again
    (policy, key and filter policy read back as before) and only then runs its scenario."""
    before = _state(applied, aws)
    scenario = tmp_path / "held-faults.scenario.yaml"
    scenario.write_text(SCENARIO.format(topology=TOPOLOGY))
    env = {**os.environ, "HARNESS_REPORTS_DIR": str(tmp_path / "reports")}
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--run-id", applied.run_id, str(scenario)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 120
        during = before
        while time.monotonic() < deadline and proc.poll() is None:
            during = _state(applied, aws)
            if during[1] == "Disabled" and during[0] != before[0] and during[2] != before[2]:
                break
            time.sleep(0.2)
        assert proc.poll() is None and during[1] == "Disabled" and "HarnessFaultDenySns" in during[0]
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert _state(applied, aws) != before, "SIGKILL undoes nothing: the faults are still applied"
    quiet = tmp_path / "after-the-kill.scenario.yaml"
    quiet.write_text(QUIET.format(topology=TOPOLOGY))
    after = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--run-id", applied.run_id, str(quiet)],
                           capture_output=True, text=True, env=env, timeout=600)
    assert after.returncode == 0, after.stdout + after.stderr
    assert f"run {applied.run_id}: a killed process left queue_policy on queue inbox" in after.stdout, after.stdout
    assert "key_disabled on key queue-key" in after.stdout and f"run {applied.run_id}: back as its topology says" in after.stdout
    assert after.stdout.index("back as its topology says") < after.stdout.index("after-the-kill")
    assert _state(applied, aws) == before
    again = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--run-id", applied.run_id, str(quiet)],
                           capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0 and "killed process" not in again.stdout, "the record is gone once the run is put back"
