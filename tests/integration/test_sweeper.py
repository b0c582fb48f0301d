"""`harness sweep` on LocalStack: the leftovers of dead runs go (topics with their subscriptions,
queues, buckets with their objects and unfinished multipart uploads); a live run's resources, an
hx- queue the kit did not tag and anything not named by the kit stay."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness import cli, paths
from harness.provision.manifest import STATUS_APPLIED, STATUS_APPLYING, Manifest, list_runs
from harness.provision.naming import TAG_RUN_ID
from harness.provision.sweep import parse_duration, sweep_topology
from harness.provision.targets import Target
from harness.settings import Settings
from harness.topology.loader import load_topology

pytestmark = pytest.mark.localstack

A, B = "111111111111", "222222222222"
DEAD, UNTAGGED_BUCKET_RUN, LIVE = "deadrun1", "deadrun2", "liverun1"


class Leftovers:
    """Resources made by hand, as a SIGKILLed `up` or `run` leaves them."""

    def __init__(self, aws: Any):
        self.aws = aws
        sns, self.sqs_b = aws("sns", A, "us-east-1"), aws("sqs", B, "eu-west-1")
        self.s3_a, self.s3_b = aws("s3", A, "us-east-1"), aws("s3", B, "eu-west-1")
        self.topic = sns.create_topic(Name=f"hx-{DEAD}-orders", Tags=[{"Key": TAG_RUN_ID, "Value": DEAD}])["TopicArn"]
        self.dead_queue = self._queue(f"hx-{DEAD}-b-eu", {TAG_RUN_ID: DEAD})
        arn = self.sqs_b.get_queue_attributes(QueueUrl=self.dead_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.subscription = sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.dead_bucket = f"hx-{DEAD}-payloads-{A}"
        self.s3_a.create_bucket(Bucket=self.dead_bucket)
        self.s3_a.put_bucket_tagging(Bucket=self.dead_bucket, Tagging={"TagSet": [{"Key": TAG_RUN_ID, "Value": DEAD}]})
        self.s3_a.put_object(Bucket=self.dead_bucket, Key="payload/1", Body=b"x" * 1024)
        self.upload = self.s3_a.create_multipart_upload(Bucket=self.dead_bucket, Key="payload/2")["UploadId"]
        self.s3_a.upload_part(Bucket=self.dead_bucket, Key="payload/2", UploadId=self.upload, PartNumber=1, Body=b"y" * 1024)
        # Created by an `up` killed before the provider tagged it.
        self.untagged_bucket = f"hx-{UNTAGGED_BUCKET_RUN}-payloads-{B}"
        self.s3_b.create_bucket(Bucket=self.untagged_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        # Stay: a live run's queue and bucket, an hx- queue without the kit's tag, someone else's queue.
        self.live_queue = self._queue(f"hx-{LIVE}-b-eu", {TAG_RUN_ID: LIVE})
        self.live_bucket = f"hx-{LIVE}-payloads-{A}"
        self.s3_a.create_bucket(Bucket=self.live_bucket)
        self.foreign_hx_queue = self._queue("hx-notkit-orders", {})
        self.app_queue = self._queue("app-orders", {TAG_RUN_ID: DEAD})

    def _queue(self, name: str, tags: dict[str, str]) -> str:
        return (
            self.sqs_b.create_queue(QueueName=name, tags=tags)["QueueUrl"] if tags else self.sqs_b.create_queue(QueueName=name)["QueueUrl"]
        )

    def queues(self) -> set[str]:
        return {u.rsplit("/", 1)[-1] for u in self.sqs_b.list_queues().get("QueueUrls", [])}

    def buckets(self) -> set[str]:
        return {b["Name"] for b in self.s3_a.list_buckets()["Buckets"]} | {b["Name"] for b in self.s3_b.list_buckets()["Buckets"]}

    def topics(self) -> set[str]:
        return {t["TopicArn"] for t in self.aws("sns", A, "us-east-1").list_topics()["Topics"]}

    def remove_survivors(self) -> None:
        for url in (self.live_queue, self.foreign_hx_queue, self.app_queue, self.dead_queue):
            try:
                self.sqs_b.delete_queue(QueueUrl=url)
            except ClientError:
                pass
        for s3, bucket in ((self.s3_a, self.live_bucket), (self.s3_a, self.dead_bucket), (self.s3_b, self.untagged_bucket)):
            try:
                for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=obj["Key"])
                for up in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                    s3.abort_multipart_upload(Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"])
                s3.delete_bucket(Bucket=bucket)
            except ClientError:
                pass
        try:
            self.aws("sns", A, "us-east-1").delete_topic(TopicArn=self.topic)
        except ClientError:
            pass


@pytest.fixture
def leftovers(aws: Any) -> Iterator[Leftovers]:
    made = Leftovers(aws)
    try:
        yield made
    finally:
        made.remove_survivors()


def _next_job(settings: Settings, state_dir: Path) -> Settings:
    """Another job's state directory on this emulator: it knows none of the runs under test here, but
    the session's own (its shared reference run lives on this emulator: swept as a dead run's, it would
    vanish under the modules that use it after this one) are recorded as they are in the session's."""
    own = settings.replace(state_dir=state_dir)
    for session_run in list_runs(settings):
        # The record as it stands, copied (not re-saved: a destroyed run's record cannot be saved anew).
        target = Manifest.path_for(session_run.run_id, own)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Manifest.path_for(session_run.run_id, settings), target)
    return own


@pytest.fixture
def sweep_settings(settings: Settings, tmp_path: Path) -> Settings:
    """A state directory of its own (:func:`_next_job`), in which run LIVE is applied."""
    own = _next_job(settings, tmp_path / "state")
    record = Manifest(
        run_id=LIVE,
        target="localstack",
        endpoint_url=None,
        topology="reference",
        topology_file=str(paths.REFERENCE_TOPOLOGY),
        status=STATUS_APPLYING,
        provider_version="3.39.0",
    )
    record.save(own)
    record.transition(STATUS_APPLIED, own)  # as `up` does: the record is written before the apply
    return own


def test_dry_run_and_older_than_delete_nothing(leftovers: Leftovers, sweep_settings: Settings, endpoint_url: str) -> None:
    topology = load_topology(paths.REFERENCE_TOPOLOGY)
    before = (leftovers.queues(), leftovers.buckets(), leftovers.topics())
    out = io.StringIO()
    report = sweep_topology(topology, Target("localstack", endpoint_url), sweep_settings, dry_run=True, out=out)
    assert report.ok, report.failed
    would = "\n".join(report.deleted)
    for name in (f"hx-{DEAD}-orders", f"hx-{DEAD}-b-eu", leftovers.dead_bucket, leftovers.untagged_bucket):
        assert name in would, out.getvalue()
    assert "with 1 subscription(s)" in would
    assert "would delete" in out.getvalue()
    young = sweep_topology(topology, Target("localstack", endpoint_url), sweep_settings, older_than=3600, out=io.StringIO())
    assert young.ok and young.deleted == []
    assert (leftovers.queues(), leftovers.buckets(), leftovers.topics()) == before


def test_sweep_removes_dead_runs_leftovers_and_nothing_else(
    leftovers: Leftovers, sweep_settings: Settings, endpoint_url: str, aws: Any
) -> None:
    topology = load_topology(paths.REFERENCE_TOPOLOGY)
    out = io.StringIO()
    time.sleep(1.1)  # older than one second, so --older-than 1s selects them
    report = sweep_topology(topology, Target("localstack", endpoint_url), sweep_settings, older_than=1, out=out)
    assert report.ok, report.failed
    assert leftovers.topic not in leftovers.topics()
    subs = aws("sns", A, "us-east-1").list_subscriptions()["Subscriptions"]
    assert leftovers.subscription not in {s["SubscriptionArn"] for s in subs}
    queues, buckets = leftovers.queues(), leftovers.buckets()
    assert f"hx-{DEAD}-b-eu" not in queues
    assert leftovers.dead_bucket not in buckets and leftovers.untagged_bucket not in buckets
    # A live run's resources, an hx- queue without the kit's tag and a non-kit queue stay.
    assert {f"hx-{LIVE}-b-eu", "hx-notkit-orders", "app-orders"} <= queues
    assert leftovers.live_bucket in buckets
    text = out.getvalue()
    assert f"belongs to live run {LIVE}" in text and "not tagged harness:run-id" in text
    assert "app-orders" not in text  # not the kit's: not even listed


def test_cli_sweep_dry_run(
    leftovers: Leftovers, sweep_settings: Settings, endpoint_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HARNESS_STATE_DIR", str(sweep_settings.state_dir))
    code = cli.main(
        ["sweep", "--topology", str(paths.REFERENCE_TOPOLOGY), "--endpoint-url", endpoint_url, "--dry-run", "--older-than", "0s"]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert f"would delete topic hx-{DEAD}-orders" in err and "nothing is deleted" in err
    assert f"hx-{DEAD}-b-eu" in leftovers.queues()


def test_durations() -> None:
    assert parse_duration("6h") == 21600 and parse_duration("90m") == 5400 and parse_duration("2d") == 172800
    assert parse_duration("30") == 30
    with pytest.raises(Exception, match="--older-than 'soon' is not a duration"):
        parse_duration("soon")


def _kill(proc: subprocess.Popen, workdir: Path) -> None:
    """SIGKILL the process group (the harness, its Terraform, the provider plugins), again for a
    child forked during the first kill, and anything still working under ``workdir``."""
    for _ in range(3):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.3)
    proc.wait(timeout=30)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.readlink(entry / "cwd").startswith(str(workdir)):
                    os.kill(int(entry.name), signal.SIGKILL)


def _named(aws: Any, run_id: str) -> list[str]:
    found = []
    for account in (A, B, "333333333333"):
        for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
            found += [u for u in aws("sqs", account, region).list_queues().get("QueueUrls", []) if f"hx-{run_id}-" in u]
            found += [t["TopicArn"] for t in aws("sns", account, region).list_topics()["Topics"] if f"hx-{run_id}-" in t["TopicArn"]]
        found += [b["Name"] for b in aws("s3", account, "us-east-1").list_buckets()["Buckets"] if b["Name"].startswith(f"hx-{run_id}-")]
    return found


def test_sweep_after_an_up_killed_with_sigkill(settings: Settings, endpoint_url: str, tmp_path: Path, aws: Any) -> None:
    """`harness up` (and its Terraform) SIGKILLed mid-apply: its own state dir still calls the run
    live, so a sweep there leaves it alone; a sweep that does not know it (the next CI job) removes
    every leftover, including what Terraform's state never recorded."""
    run_id = "sigkill1"
    killed = _next_job(settings, tmp_path / "killed")
    env = {**os.environ, "HARNESS_STATE_DIR": str(killed.state_dir)}
    argv = [
        sys.executable,
        "-m",
        "harness.cli",
        "up",
        "--topology",
        str(paths.REFERENCE_TOPOLOGY),
        "--endpoint-url",
        endpoint_url,
        "--run-id",
        run_id,
    ]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_named(aws, run_id)) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        _kill(proc, killed.state_dir)
    leftovers = _named(aws, run_id)
    assert leftovers, "the kill came too late or too early: nothing was created"
    topology = load_topology(paths.REFERENCE_TOPOLOGY)
    target = Target("localstack", endpoint_url)
    there = sweep_topology(topology, target, killed, out=io.StringIO())
    assert not [d for d in there.deleted if run_id in d] and sorted(_named(aws, run_id)) == sorted(leftovers)
    elsewhere = sweep_topology(topology, target, _next_job(settings, tmp_path / "next-job"), out=io.StringIO())
    assert elsewhere.ok, elsewhere.failed
    assert _named(aws, run_id) == []


def test_sweep_after_a_run_killed_with_sigkill_mid_upload(settings: Settings, endpoint_url: str, tmp_path: Path, aws: Any) -> None:
    """`harness run` SIGKILLed while a 100 MiB payload is being uploaded leaves an unfinished
    multipart upload (and maybe objects) in the payload bucket: the next job's sweep removes it all."""
    from harness.provision import lifecycle

    killed = _next_job(settings, tmp_path / "killed")
    run_id = lifecycle.up(
        paths.REFERENCE_TOPOLOGY, Target("localstack", endpoint_url), killed, run_id="sigkill2", out=io.StringIO()
    ).manifest.run_id
    bucket = f"hx-{run_id}-payloads-{A}"
    s3 = aws("s3", A, "us-east-1")
    env = {**os.environ, "HARNESS_STATE_DIR": str(killed.state_dir)}
    argv = [sys.executable, "-m", "harness.cli", "run", str(paths.SCENARIOS_DIR / "large-100mib.scenario.yaml"), "--run-id", run_id]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and not s3.list_multipart_uploads(Bucket=bucket).get("Uploads"):
            time.sleep(0.05)
    finally:
        _kill(proc, killed.state_dir)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads"), "killed before (or after) the upload: nothing unfinished"
    report = sweep_topology(
        load_topology(paths.REFERENCE_TOPOLOGY),
        Target("localstack", endpoint_url),
        _next_job(settings, tmp_path / "next-job"),
        out=io.StringIO(),
    )
    assert report.ok, report.failed
    assert _named(aws, run_id) == []
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.list_multipart_uploads(Bucket=bucket)
