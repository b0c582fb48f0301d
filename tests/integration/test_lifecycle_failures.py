"""What happens when things go wrong: a failed apply and a Ctrl-C both destroy what was created;
a LocalStack that dies at start shows its last log lines."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.emulator import HostEmulator
from harness.errors import EmulatorError, HarnessError, TerraformError
from harness.provision import lifecycle
from harness.provision.manifest import STATUS_DESTROYED, Manifest
from harness.provision.targets import Target
from harness.settings import Settings

SMALL = textwrap.dedent("""\
    name: small
    accounts:
      A: {id: "111111111111"}
      B: {id: "222222222222"}
    regions: [us-east-1, eu-west-1]
    topics:
      t1: {account: A, region: us-east-1}
    queues:
      q1: {account: B, region: eu-west-1, visibility_timeout: 30}
    buckets:
      b1: {account: A, region: us-east-1, readers: [B]}
    subscriptions:
      - {topic: t1, queue: q1, raw_delivery: true}
    """)


def _leftovers(aws, run_id: str) -> list[str]:
    found = []
    for account in ("111111111111", "222222222222"):
        for region in ("us-east-1", "eu-west-1"):
            found += aws("sqs", account, region).list_queues(QueueNamePrefix=f"hx-{run_id}").get("QueueUrls", [])
            found += [t["TopicArn"] for t in aws("sns", account, region).list_topics()["Topics"] if run_id in t["TopicArn"]]
        found += [b["Name"] for b in aws("s3", account, "us-east-1").list_buckets()["Buckets"] if run_id in b["Name"]]
    return found


def test_up_refuses_names_that_exist_already(endpoint_url: str, aws, tmp_path: Path, settings: Settings) -> None:
    """An identical topic would be silently adopted by Terraform (CreateTopic is idempotent) and then
    destroyed by `down`: the harness must refuse before applying anything."""
    topo = tmp_path / "small.topology.yaml"
    topo.write_text(SMALL)
    run_id = "taken001"
    sns = aws("sns", "111111111111", "us-east-1")
    existing = sns.create_topic(Name=f"hx-{run_id}-t1")["TopicArn"]
    with pytest.raises(HarnessError) as err:
        lifecycle.up(topo, Target("localstack", endpoint_url), settings, run_id=run_id, out=io.StringIO())
    assert f"these names exist already, so this run would take them over: topic hx-{run_id}-t1 (A/us-east-1)" in str(err.value)
    assert Manifest.load(run_id, settings).status == STATUS_DESTROYED
    assert _leftovers(aws, run_id) == [existing], "nothing may be created, and the existing topic stays"
    sns.delete_topic(TopicArn=existing)


def test_bad_run_id_is_refused(endpoint_url: str, tmp_path: Path, settings: Settings) -> None:
    topo = tmp_path / "small.topology.yaml"
    topo.write_text(SMALL)
    with pytest.raises(HarnessError, match="run id 'x-b' is not valid: use 1 to 16 lowercase letters and digits"):
        lifecycle.up(topo, Target("localstack", endpoint_url), settings, run_id="x-b", out=io.StringIO())


def test_failed_apply_destroys_what_was_created(endpoint_url: str, aws, tmp_path: Path, monkeypatch, settings: Settings) -> None:
    topo = tmp_path / "small.topology.yaml"
    topo.write_text(SMALL)
    run_id = "fail0001"
    # A foreign queue with the same name but other attributes makes CreateQueue fail mid-apply. It
    # appears after the pre-apply name check (a race), so only its missing run tag protects it.
    monkeypatch.setattr(lifecycle.leftovers, "probe", lambda sessions, planned: [])
    sqs = aws("sqs", "222222222222", "eu-west-1")
    squatter = sqs.create_queue(QueueName=f"hx-{run_id}-q1", Attributes={"VisibilityTimeout": "99"})["QueueUrl"]
    out = io.StringIO()
    with pytest.raises(TerraformError) as err:
        lifecycle.up(topo, Target("localstack", endpoint_url), settings, run_id=run_id, out=out)
    assert "apply of run fail0001 failed" in str(err.value)
    assert "destroying what was created" in out.getvalue()
    assert f"left alone queue hx-{run_id}-q1 (B/eu-west-1): not tagged harness:run-id={run_id}" in out.getvalue()
    assert Manifest.load(run_id, settings).status == STATUS_DESTROYED
    assert _leftovers(aws, run_id) == [squatter], "only the foreign queue may remain"
    sqs.delete_queue(QueueUrl=squatter)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupt_during_apply_destroys_what_was_created(
    how: str, endpoint_url: str, aws, tmp_path: Path, harness_state_dir: Path, settings: Settings
) -> None:
    """Ctrl-C in a terminal (SIGINT to the whole process group) and a cancelled CI job (SIGTERM to
    the harness alone) both stop Terraform gracefully and destroy what was created."""
    topo = tmp_path / "small.topology.yaml"
    topo.write_text(SMALL)
    env = dict(os.environ, HARNESS_STATE_DIR=str(harness_state_dir), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "up", "--topology", str(topo), "--endpoint-url", endpoint_url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    run_id = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("run ") and run_id is None:
            run_id = line.split()[1].rstrip(":")
        if "] created " in line:  # something exists: now interrupt
            if how == "ctrl-c":
                os.killpg(proc.pid, signal.SIGINT)  # like a terminal: the whole foreground group
            else:
                os.kill(proc.pid, signal.SIGTERM)
            break
    rest, _ = proc.communicate(timeout=300)
    text = "".join(lines) + rest
    assert run_id, text
    assert proc.returncode == 130, text
    assert "interrupted; destroying what was created" in text, text
    assert "Traceback" not in text
    assert Manifest.load(run_id, settings).status == STATUS_DESTROYED, text
    assert _leftovers(aws, run_id) == []


def test_down_sweeps_what_terraform_state_lost(endpoint_url: str, aws, tmp_path: Path, settings: Settings) -> None:
    """A create in flight when Terraform is interrupted can leave an object its state never recorded;
    `down` must still remove it. Simulated by dropping the bucket from state after a clean apply."""
    topo = tmp_path / "small.topology.yaml"
    topo.write_text(SMALL)
    run_id = "sweep001"
    lifecycle.up(topo, Target("localstack", endpoint_url), settings, run_id=run_id, out=io.StringIO())
    bucket = f"hx-{run_id}-b1-111111111111"
    aws("s3", "111111111111", "us-east-1").put_object(Bucket=bucket, Key="payload", Body=b"x" * 1024)
    tf = lifecycle._terraform_for(run_id, settings)
    for suffix in ("aws_s3_bucket.this", "aws_sqs_queue.this", "aws_sns_topic.this"):
        tf.run("state", "rm", next(a for a in tf.state_resources() if a.endswith(suffix)))
    out = io.StringIO()
    lifecycle.down(run_id, settings, out=out)
    assert f"swept bucket {bucket} (A/us-east-1)" in out.getvalue()
    assert f"swept queue hx-{run_id}-q1 (B/eu-west-1)" in out.getvalue()  # carries the run's tag
    assert f"swept topic hx-{run_id}-t1 (A/us-east-1)" in out.getvalue()
    assert Manifest.load(run_id, settings).status == STATUS_DESTROYED
    assert _leftovers(aws, run_id) == []


def test_emulator_crash_at_start_shows_the_last_log_lines(tmp_path: Path) -> None:
    venv = tmp_path / "broken-venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "python"
    fake.write_text("#!/bin/sh\necho 'starting'\necho 'ImportError: no module named localstack.runtime' >&2\nexit 3\n")
    fake.chmod(0o755)
    emu = HostEmulator(Settings.from_env(os.environ, state_dir=tmp_path / "emu", localstack_venv=venv))
    with pytest.raises(EmulatorError) as err:
        emu.start(timeout=20)
    message = str(err.value)
    assert "exited during start-up (code 3)" in message
    assert "ImportError: no module named localstack.runtime" in message
    assert emu.status() is None


def test_emulator_keeps_s3_data_in_its_own_dir_and_stop_removes_it(tmp_path: Path) -> None:
    import boto3

    from harness.emulator import choose_port, pid_alive

    emu = HostEmulator(Settings.from_env(os.environ, state_dir=tmp_path / "emu"))
    state = emu.start(port=choose_port(4750))
    try:
        assert emu.status() is not None and state.pid
        s3 = boto3.client("s3", endpoint_url=state.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="111111111111", aws_secret_access_key="test")
        s3.create_bucket(Bucket="storage-probe")
        # LocalStack keeps objects under 512 KiB in memory; a larger one spills to its storage dir.
        s3.put_object(Bucket="storage-probe", Key="k", Body=b"x" * (1024 * 1024))
        bucket_dir = Path(state.s3_dir) / "s3-storage" / "storage-probe"
        assert bucket_dir.is_dir(), "S3 data should land in the instance's own directory, not /tmp"
        assert not (Path("/tmp/localstack-s3-storage") / "storage-probe").exists()
    finally:
        assert emu.stop() is True
    assert not Path(state.s3_dir).exists()
    assert not pid_alive(state.pid)
    assert emu.status() is None
