"""One handler process as LocalStack's side sees it: its Runtime API, its output, its memory, its end.

Output: the process's stdout and stderr share one pipe. A reader thread and :meth:`take_output` read
it only while holding one lock, non-blocking, until the pipe is empty; whatever the handler wrote
before posting its response is in the pipe by then, so ``take_output`` right after the response has
all of that invocation's lines.

Memory: the process's resident set is sampled every 100 ms; above the function's memory size the
process is killed (SIGKILL) and the invocation in flight ends with ``Runtime.OutOfMemory``, as on
AWS. The peak (``VmHWM``) is the ``Max Memory Used`` of the REPORT line.
"""

from __future__ import annotations

import collections
import logging
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness_lambda_executor import processes
from harness_lambda_executor.runtime_api import RuntimeApi

LOG = logging.getLogger(__name__)

MAX_INVOCATION_OUTPUT = 1024 * 1024  # bytes of output kept for one invocation's log
SAMPLE_INTERVAL = 0.1


class HandlerProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: str,
        api: RuntimeApi,
        memory_limit_mb: int | None,
        environment_log: collections.deque[str],
    ) -> None:
        self.name = name
        self.api = api
        self.memory_limit_mb = memory_limit_mb
        self.started = time.monotonic()
        self.gone = threading.Event()
        self.returncode: int | None = None
        self.expected_end: str | None = None  # why we ended it (timeout, stop, memory), if we did
        self.peak_rss_kb = 0
        self._environment_log = environment_log
        self._out_lock = threading.Lock()
        self._out: list[str] = []
        self._out_bytes = 0
        self._out_dropped = 0
        self._partial = b""
        self.proc: subprocess.Popen[bytes] = processes.spawn(argv, env, cwd)
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._eof = False
        threading.Thread(target=self._read_output, name=f"lambda-output-{name}", daemon=True).start()
        threading.Thread(target=self._supervise, name=f"lambda-supervise-{name}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    # --- output ------------------------------------------------------------------------------

    def take_output(self) -> str:
        """Everything the process wrote since the last call (complete lines, then any partial one)."""
        with self._out_lock:
            self._drain_locked()
            if self._partial:
                self._keep_locked(self._partial.decode(errors="replace"))
                self._partial = b""
            lines, dropped = self._out, self._out_dropped
            self._out, self._out_bytes, self._out_dropped = [], 0, 0
        if dropped:
            lines.append(f"[harness-lambda-executor] {dropped} bytes of output dropped (more than {MAX_INVOCATION_OUTPUT} per invocation)")
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    def _read_output(self) -> None:
        while not self._eof:
            try:
                select.select([self._fd], [], [], 0.5)
            except (OSError, ValueError):  # closed under us: the process is being cleaned up
                return
            with self._out_lock:
                if self._eof:  # closed by end(): the descriptor number may belong to another file now
                    return
                self._drain_locked()

    def _drain_locked(self) -> None:
        while not self._eof:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._eof = True
                return
            data = self._partial + chunk
            *lines, self._partial = data.split(b"\n")
            for raw in lines:
                self._keep_locked(raw.decode(errors="replace") + "\n")

    def _keep_locked(self, line: str) -> None:
        self._environment_log.append(line)
        size = len(line)
        if self._out_bytes + size > MAX_INVOCATION_OUTPUT:
            self._out_dropped += size
            return
        self._out.append(line)
        self._out_bytes += size

    # --- life and death ----------------------------------------------------------------------

    def _supervise(self) -> None:
        status = Path(f"/proc/{self.proc.pid}/status")
        while True:
            try:
                self.returncode = self.proc.wait(timeout=SAMPLE_INTERVAL)
                break
            except subprocess.TimeoutExpired:
                pass
            rss_kb = self._sample_memory(status)
            if self.memory_limit_mb and rss_kb > self.memory_limit_mb * 1024 and self.expected_end is None:
                LOG.warning("Lambda %s: handler process pid %d uses %d MB, more than the function's %d MB; killing it",
                            self.name, self.proc.pid, rss_kb // 1024, self.memory_limit_mb)
                self.expected_end = "memory"
                processes.kill_group(self.proc, self.name, grace=0.0)
        self._sample_memory(status)
        if self.expected_end == "memory":
            self.api.fail_pending("Runtime.OutOfMemory", "RequestId: {request_id} Error: Runtime exited with error: signal: killed")
        elif self.expected_end is None:
            self.api.fail_pending("Runtime.ExitError", f"RequestId: {{request_id}} Error: Runtime exited with error: {describe_exit(self.returncode)}")
            LOG.warning("Lambda %s: handler process pid %d exited by itself (%s)", self.name, self.proc.pid, describe_exit(self.returncode))
        self.gone.set()

    def peak_memory_mb(self) -> int:
        """The process's peak resident set so far (``Max Memory Used``), at least 1 MB."""
        if not self.gone.is_set():
            self._sample_memory(Path(f"/proc/{self.proc.pid}/status"))
        return max(1, self.peak_rss_kb // 1024)

    def _sample_memory(self, status: Path) -> int:
        """Current resident set in KiB (0 if unknown); updates the peak."""
        rss = hwm = 0
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
        except (OSError, ValueError, IndexError):
            return 0
        self.peak_rss_kb = max(self.peak_rss_kb, hwm, rss)
        return rss

    def end(self, why: str, grace: float) -> None:
        """Kill the process (and its group) on purpose and close its Runtime API."""
        if self.expected_end is None:
            self.expected_end = why
        processes.kill_group(self.proc, self.name, grace=grace)
        if not self.gone.wait(grace + 2.0):
            LOG.warning("Lambda %s: no exit status of handler process pid %d %.1fs after killing it", self.name, self.proc.pid, grace + 2.0)
        self.api.close()
        with self._out_lock:
            self._drain_locked()
            self._eof = True
            if self.proc.stdout is not None:
                self.proc.stdout.close()


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "unknown exit status"
    if returncode < 0:
        try:
            return f"signal: {signal.Signals(-returncode).name.removeprefix('SIG').lower()}"
        except ValueError:
            return f"signal: {-returncode}"
    return f"exit status {returncode}"
