"""What a scenario changed on an applied run and has not put back yet: one file per applied
infrastructure fault (a queue policy that denies SNS, a disabled key, a deleted queue, a changed
filter policy) under ``runs/<run-id>/faults-applied/``, written before the change is made and
removed once it is undone.

A SIGINT or SIGTERM undoes every fault on its way out (a ``finally``). A SIGKILL cannot: its files
stay, naming a process that no longer runs. The next harness process to use the run
(:meth:`Driver.adopt <harness.run.Driver.adopt>`) finds them and puts the run back as its topology
says — Terraform applies the run's root again (:func:`harness.provision.lifecycle.restore`), which
sets back a policy or a filter, enables a key and recreates a queue — before any scenario runs on
it, saying so in one line. Files of a live process are another scenario's, running now: left alone.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

DIRECTORY = "faults-applied"
_COUNTER = itertools.count(1)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class JournalEntry:
    path: Path
    pid: int
    kind: str
    where: str
    what: str
    since: float

    def describe(self) -> str:
        return f"{self.kind} on {self.where} ({self.what}; applied at {time.strftime('%H:%M:%S', time.localtime(self.since))} by pid {self.pid})"


def _alive(pid: int) -> bool:
    if pid <= 0:  # an unreadable record (0): nobody's
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class FaultJournal:
    """The journal of one run's directory (``settings.run_dir(run_id)``)."""

    def __init__(self, run_dir: Path):
        self.directory = run_dir / DIRECTORY

    def opened(self, kind: str, where: str, what: str) -> Path:
        """Record a fault about to be applied; the returned path is handed to :meth:`closed`."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with _LOCK:
            path = self.directory / f"{os.getpid()}-{next(_COUNTER)}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "kind": kind, "where": where, "what": what, "since": time.time()}))
        os.replace(tmp, path)  # a file is there whole, or not at all
        return path

    def closed(self, path: Path) -> None:
        """The fault recorded at ``path`` was undone."""
        path.unlink(missing_ok=True)

    def entries(self) -> list[JournalEntry]:
        out = []
        for path in sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []:
            try:
                data = json.loads(path.read_text())
                out.append(JournalEntry(path, int(data["pid"]), str(data["kind"]), str(data["where"]), str(data["what"]),
                                        float(data["since"])))
            except (OSError, ValueError, KeyError, TypeError):
                # unreadable: a process killed while writing it wrote the .tmp, never this; treat as left behind
                out.append(JournalEntry(path, 0, "unknown fault", "an unknown resource", "its record is unreadable", 0.0))
        return out

    def left_behind(self) -> list[JournalEntry]:
        """Faults whose process is gone without undoing them (killed)."""
        return [e for e in self.entries() if e.pid != os.getpid() and not _alive(e.pid)]

    def forget(self, entries: list[JournalEntry]) -> None:
        for entry in entries:
            entry.path.unlink(missing_ok=True)
