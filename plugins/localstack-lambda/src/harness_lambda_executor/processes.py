"""Starting and stopping handler processes so that none outlives LocalStack.

Three mechanisms, each covering what the others cannot:

- **Stopped with the environment**: every handler process leads its own process group; stopping an
  environment sends SIGTERM to the group, then SIGKILL after a bounded grace (:func:`kill_group`),
  so whatever the handler started itself goes too.
- **Killed by the kernel when LocalStack dies** (Linux), whatever the handler is doing: the process
  arms ``PR_SET_PDEATHSIG(SIGKILL)`` first thing (:mod:`.bootstrap`). That signal follows the death
  of the *thread* that forked the process, not of the process: LocalStack starts environments from
  short-lived worker threads, so every handler process is forked by one long-lived thread owned by
  this module (:class:`_Spawner`), which ends only with LocalStack.
- **The lifeline** (any POSIX system): a pipe whose write end only LocalStack holds (it is never
  inherited: ``os.pipe`` descriptors are close-on-exec). The read end is passed to every handler
  process, whose watcher thread reads EOF once LocalStack is gone — however it died, SIGKILL
  included — and then kills its own process group.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

LOG = logging.getLogger(__name__)

SPAWN_TIMEOUT = 30.0  # for fork+exec of one process; a spawner that takes longer is broken


@dataclass
class _SpawnRequest:
    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: str
    future: Future[subprocess.Popen[bytes]] = field(default_factory=Future)


class _Spawner:
    """One daemon thread that performs every ``Popen`` of this executor (see the module docstring)."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[_SpawnRequest] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._lifeline: tuple[int, int] | None = None

    def lifeline_fd(self) -> int:
        """The read end of the lifeline pipe (created once per LocalStack process)."""
        with self._lock:
            if self._lifeline is None:
                self._lifeline = os.pipe()  # both ends non-inheritable; the write end is never written
            return self._lifeline[0]

    def spawn(self, argv: Sequence[str], env: Mapping[str, str], cwd: str) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="harness-lambda-spawner", daemon=True)
                self._thread.start()
        request = _SpawnRequest(argv, env, cwd)
        self._requests.put(request)
        try:
            return request.future.result(timeout=SPAWN_TIMEOUT)
        except TimeoutError:
            # A process started after this point is not tracked; PR_SET_PDEATHSIG and the lifeline
            # still end it with LocalStack.
            request.future.cancel()
            raise OSError(f"the spawner thread did not start {argv[0]} within {SPAWN_TIMEOUT:.0f}s; "
                          "the machine is overloaded or out of processes (see `ps -e | wc -l`)") from None

    def _run(self) -> None:
        while True:
            request = self._requests.get()
            if not request.future.set_running_or_notify_cancel():
                continue
            try:
                proc = subprocess.Popen(
                    list(request.argv),
                    env=dict(request.env),
                    cwd=request.cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    pass_fds=(self.lifeline_fd(),),
                    process_group=0,  # its own group: stopping it stops what the handler started too
                )
            except OSError as exc:
                request.future.set_exception(exc)
            else:
                request.future.set_result(proc)


_SPAWNER = _Spawner()


def lifeline_fd() -> int:
    return _SPAWNER.lifeline_fd()


def spawn(argv: Sequence[str], env: Mapping[str, str], cwd: str) -> subprocess.Popen[bytes]:
    """Start a handler process (its own process group, stdout+stderr on one pipe, the lifeline's read
    end inherited) from the long-lived spawner thread."""
    return _SPAWNER.spawn(argv, env, cwd)


def kill_group(proc: subprocess.Popen[bytes], what: str, grace: float = 2.0) -> None:
    """Stop ``proc`` and its process group: SIGTERM, at most ``grace`` seconds, then SIGKILL (and at
    most ``grace`` more seconds for the kernel to reap it); ``grace`` 0: SIGKILL at once. Never raises
    for a process already gone."""
    pgid = proc.pid  # process_group=0: the group id is the leader's pid
    if grace <= 0:  # no grace: SIGKILL at once
        if _signal_group(pgid, signal.SIGKILL) and not _reap(proc, 2.0):
            LOG.error("%s (pid %d) is still there 2s after SIGKILL; look for it with `ps -o pid,stat,cmd -g %d`", what, proc.pid, pgid)
        return
    if not _signal_group(pgid, signal.SIGTERM):
        _reap(proc, grace)
        return
    if _reap(proc, grace):
        _signal_group(pgid, signal.SIGKILL)  # what the handler started may still be in the group
        return
    LOG.warning("%s (pid %d) ignored SIGTERM for %.1fs; sending SIGKILL to its process group", what, proc.pid, grace)
    _signal_group(pgid, signal.SIGKILL)
    if not _reap(proc, grace):
        LOG.error("%s (pid %d) is still there %.1fs after SIGKILL; look for it with `ps -o pid,stat,cmd -g %d`",
                  what, proc.pid, grace, pgid)


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:  # the group id was reused by someone else's process: not ours to signal
        LOG.warning("process group %d is no longer ours (permission denied); not signalling it", pgid)
        return False
    return True


def _reap(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Whether ``proc`` has exited within ``timeout`` seconds (polled, so any thread may call it)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
