"""The run lock and the cleanup after a killed holder, without an emulator (fast)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.provision.runlock import RunInUseError, claim, run_processes


def test_a_claimed_run_is_refused_to_a_second_claimant(tmp_path: Path) -> None:
    with claim("r1", tmp_path / "r1", "up", io.StringIO()):
        with pytest.raises(RunInUseError, match=r"run r1 is in use by `harness up` \(pid \d+, since .*\); nothing of it was touched"):
            claim("r1", tmp_path / "r1", "up", io.StringIO())
    with claim("r1", tmp_path / "r1", "down", io.StringIO()):  # released: free again, nothing reported
        pass


def test_a_lock_held_by_another_process_is_refused(tmp_path: Path) -> None:
    code = (
        "import io, sys, time; from pathlib import Path; from harness.provision.runlock import claim\n"
        "lock = claim('r2', Path(sys.argv[1]), 'up', io.StringIO()); print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "r2")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInUseError, match=f"pid {holder.pid}"):
            claim("r2", tmp_path / "r2", "down", io.StringIO())
    finally:
        holder.kill()
        holder.wait()
    out = io.StringIO()
    with claim("r2", tmp_path / "r2", "down", out):  # the kernel released the dead holder's lock
        pass
    assert f"run r2: `harness up` (pid {holder.pid}" in out.getvalue()
    assert "was killed while it held this run" in out.getvalue()


def test_a_dead_holders_terraform_leftovers_are_stopped_and_its_state_lock_cleared(tmp_path: Path) -> None:
    run_dir = tmp_path / "r3"
    tf_dir = run_dir / "terraform"
    tf_dir.mkdir(parents=True)
    (run_dir / "lock").write_text(json.dumps({"pid": 999999, "command": "up", "since": time.time()}))
    (tf_dir / ".terraform.tfstate.lock.info").write_text(json.dumps({"ID": "abc", "Operation": "OperationTypeApply"}))
    plugin = tmp_path / "terraform-provider-fake"
    shutil.copy("/bin/sleep", plugin)
    orphan = subprocess.Popen([str(plugin), "60"], cwd=tf_dir)
    bystander = subprocess.Popen(["sleep", "60"], cwd=tf_dir)  # a shell-like process: not ours to stop
    try:
        assert [pid for pid, _ in run_processes(run_dir)] == [orphan.pid]
        out = io.StringIO()
        with claim("r3", run_dir, "down", out):
            pass
        assert orphan.wait(timeout=5) != 0
        assert bystander.poll() is None
        text = out.getvalue()
        assert "run r3: `harness up` (pid 999999" in text
        assert "stopped 1 leftover process(es)" in text
        assert "cleared Terraform's stale state lock (lock abc for OperationTypeApply" in text
        assert not (tf_dir / ".terraform.tfstate.lock.info").exists()
    finally:
        for p in (orphan, bystander):
            if p.poll() is None:
                p.kill()
            p.wait()
