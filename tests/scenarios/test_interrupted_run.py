"""Issue 9, defect 9: the emulator is killed while a scenario sends.

The report must count what was sent before the kill (not "sent 0 / received 0"), and the error must
be one readable line (not a URL with its multipart upload id, twice). This test runs its own
LocalStack (ports 4750-4799, its own state directory), creates one queue and one bucket directly,
builds the manifest by hand and kills LocalStack with SIGKILL in the middle of a multipart upload.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from harness.emulator import EmulatorState, HostEmulator, ephemeral_port
from harness.payload import transfer
from harness.payload.consumer import Consumer
from harness.payload.publisher import Publisher
from harness.provision.manifest import STATUS_APPLIED, Manifest, ResourceEntry
from harness.provision.sessions import Sessions
from harness.scenario.execute.runner import ScenarioRunner
from harness.scenario.expectations import Expect
from harness.scenario.format.model import Scenario, Send, Size
from harness.scenario.judge.result import ERROR
from harness.settings import Settings

ACCOUNT_ID = "111111111111"
REGION = "us-east-1"
SMALL = Size("1KiB", 1024)
MULTIPART = Size("9MiB", 9 * 1024 * 1024)  # over the 8 MiB part size: CreateMultipartUpload + UploadPart
SENT_BEFORE_KILL = 60


@pytest.fixture
def own_emulator(tmp_path: Path, settings: Settings) -> Iterator[tuple[HostEmulator, EmulatorState]]:
    emu = HostEmulator(settings.replace(state_dir=tmp_path))  # its own, since the test kills it
    state = emu.start(port=ephemeral_port())
    try:
        yield emu, state
    finally:
        emu.stop()  # reaps the killed process and deletes its storage


def _manifest(endpoint_url: str) -> Manifest:
    session = boto3.session.Session(aws_access_key_id=ACCOUNT_ID, aws_secret_access_key="test", region_name=REGION)
    url = session.client("sqs", endpoint_url=endpoint_url).create_queue(QueueName="killed-q")["QueueUrl"]
    session.client("s3", endpoint_url=endpoint_url).create_bucket(Bucket="killed-payloads")
    where = {"account": "A", "account_id": ACCOUNT_ID, "region": REGION}
    return Manifest(
        run_id="killed-run",
        target="localstack",
        endpoint_url=endpoint_url,
        topology="hand-made",
        topology_file="hand-made.topology.yaml",
        status=STATUS_APPLIED,
        provider_version="none",
        accounts={"A": ACCOUNT_ID},
        resources={
            "queues": {"q": ResourceEntry(**where, arn=f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:killed-q", name="killed-q", url=url)},
            "buckets": {"payloads": ResourceEntry(**where, arn="arn:aws:s3:::killed-payloads", name="killed-payloads")},
        },
    )


def test_emulator_killed_mid_send_counts_what_was_sent_and_reports_one_line(own_emulator, monkeypatch) -> None:
    _emu, state = own_emulator
    manifest = _manifest(state.endpoint_url)
    # 60 small messages, then (last, from one sender, so nothing is still in flight when it starts) one offloaded through a
    # multipart upload, during which LocalStack dies.
    scenario = Scenario(
        name="killed",
        source="killed.scenario.yaml",
        topology_file="hand-made.topology.yaml",
        description="LocalStack killed during the send",
        send=Send(account="A", region=REGION, queue="q", count=SENT_BEFORE_KILL + 1, senders=1, sizes=(SMALL,) * SENT_BEFORE_KILL + (MULTIPART,), bucket="payloads"),
        expectations=(Expect(queue="q", within=5.0),),
    )
    accepted: list[str] = []
    original_to_queue = Publisher.to_queue

    def counting_to_queue(self, queue_url, payload, **kwargs):
        published = original_to_queue(self, queue_url, payload, **kwargs)
        accepted.append(published.correlation_id)
        return published

    # Inline messages go out in SendMessageBatch calls (harness.payload.batch): count what each accepted.
    import harness.scenario.execute.send as send_module

    original_batch = send_module.send_batch

    def counting_batch(publisher, via, destination, messages):
        outcome = original_batch(publisher, via, destination, messages)
        accepted.extend(m.correlation_id for m, _ in outcome.published)
        return outcome

    monkeypatch.setattr(send_module, "send_batch", counting_batch)
    original_parts = transfer._upload_parts

    def kill_then_upload_parts(*args, **kwargs):
        os.killpg(state.pid, signal.SIGKILL)  # the upload id exists; its parts never arrive
        return original_parts(*args, **kwargs)

    verified: list[str] = []
    original_verify = Consumer.verify

    def counting_verify(self, message, expected=None, sink=None):
        verdict = original_verify(self, message, expected, sink)
        verified.append(message.correlation_id)
        return verdict

    monkeypatch.setattr(Publisher, "to_queue", counting_to_queue)
    monkeypatch.setattr(Consumer, "verify", counting_verify)
    monkeypatch.setattr(transfer, "_upload_parts", kill_then_upload_parts)

    runner = ScenarioRunner(manifest, Sessions.for_manifest(manifest))
    result = runner.run(scenario)

    assert len(accepted) == SENT_BEFORE_KILL
    assert result.status == ERROR
    assert runner.unreachable_during == "killed"
    [failure] = result.failures
    assert "\n" not in failure and len(failure) <= 500, failure
    assert "uploadId" not in failure and "?" not in failure, failure
    assert failure.startswith(f"endpoint unreachable: cannot reach {state.endpoint_url} (s3.UploadPart, connection refused"), failure
    assert failure.count(state.endpoint_url) == 1, failure
    [path] = result.as_dict()["paths"]
    assert path["to"]["queue"] == "q"
    counts = path["counts"]
    assert counts["sent"] == SENT_BEFORE_KILL, counts
    assert counts["received"] == len(set(verified)) <= SENT_BEFORE_KILL, counts
    assert counts["received"] == counts["intact"] and counts["lost"] == SENT_BEFORE_KILL - counts["received"], counts
