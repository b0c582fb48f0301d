"""The fault journal: a record per applied fault, cleared on undo; a dead process's records are
left behind for the next process, a live one's (another scenario, running now) are not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.provision.fault_journal import FaultJournal


def test_a_closed_fault_leaves_nothing_and_a_live_processes_record_is_not_left_behind(tmp_path: Path) -> None:
    journal = FaultJournal(tmp_path)
    entry = journal.opened("queue_policy", "queue inbox", "queue policy denies SNS")
    [found] = journal.entries()
    assert (found.pid, found.kind, found.where) == (os.getpid(), "queue_policy", "queue inbox")
    assert journal.left_behind() == []  # ours, and we are alive
    journal.closed(entry)
    assert journal.entries() == []


def test_a_dead_processes_record_is_left_behind_and_forgotten_once_put_back(tmp_path: Path) -> None:
    journal = FaultJournal(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    pid = int(dead.stdout)  # exited: no process has this pid now (pids are not reused this quickly)
    journal.directory.mkdir(parents=True)
    (journal.directory / f"{pid}-1.json").write_text(json.dumps({"pid": pid, "kind": "key_disabled", "where": "key k",
                                                                  "what": "KMS key disabled", "since": 0}))
    (journal.directory / f"{pid}-2.json").write_text("{not json")  # a half-written record counts as left behind
    left = journal.left_behind()
    assert [e.kind for e in left] == ["key_disabled", "unknown fault"]
    assert "key_disabled on key k (KMS key disabled; applied at" in left[0].describe()
    journal.forget(left)
    assert journal.entries() == []
