"""What the scenario runner lends its expectations while they watch, take away and judge: the
:class:`~harness.scenario.expectations.base.RunContext` of one scenario run (its watches, paths,
sends, result, the run's clients and manifest, and what expectations hand each other).
:mod:`harness.scenario.execute.runner` makes one per run."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from harness.payload.consumer import Consumer
from harness.provision.fault_journal import FaultJournal
from harness.provision.manifest import Manifest, ResourceEntry
from harness.provision.sessions import Sessions
from harness.scenario.execute.failure_watch import FailureRecord, FailureWatch
from harness.scenario.execute.function_watch import FunctionWatch, Receipt
from harness.scenario.execute.outage import queue_outage
from harness.scenario.execute.watch import QueueWatch, consumer_for
from harness.scenario.execute.watch import still_stored as _still_stored
from harness.scenario.format.model import Send
from harness.scenario.judge import verdicts
from harness.scenario.judge.facts import Sent
from harness.scenario.judge.measure import FUNCTION, PathKey
from harness.scenario.judge.objectives import Objective
from harness.scenario.judge.result import ScenarioResult

if TYPE_CHECKING:
    from harness.scenario.execute.runner import ScenarioRunner, _Attempt


class Run:
    """What the runner lends the scenario's expectations (:class:`harness.scenario.expectations.RunContext`)."""

    def __init__(self, runner: ScenarioRunner, attempt: _Attempt, result: ScenarioResult):
        self.runner, self.attempt, self.result = runner, attempt, result
        self.scenario = attempt.scenario

    def watch(self, queue: str) -> QueueWatch:
        return self.attempt.watches[queue]

    def has_watch(self, queue: str) -> bool:
        return queue in self.attempt.watches

    def new_watch(self, queue: str) -> QueueWatch:
        """A watch of ``queue`` after the send (polled by the expectation itself)."""
        self.attempt.watches[queue] = self.runner._watch(self.attempt, queue, False)
        return self.attempt.watches[queue]

    def paths_to(self, queue: str) -> dict[PathKey, list[Sent]]:
        return self.runner._paths_to(self.attempt, queue)

    def path(self, send: Send | None, queue: str) -> PathKey:
        return self.runner._path(send, queue)

    def paths_to_function(self, function: str, routes: Sequence[tuple[int, str]]) -> dict[PathKey, list[Sent]]:
        return self.runner._paths_to_function(self.attempt, function, routes)

    def receipts(self, function: str) -> list[Receipt]:
        watch = self.attempt.watches.get(FunctionWatch.key_of(function))
        return watch.receipts() if isinstance(watch, FunctionWatch) else []

    def failure_records(self, queue: str) -> list[FailureRecord]:
        watch = self.attempt.watches.get(FailureWatch.key_of(queue))
        return watch.records() if isinstance(watch, FailureWatch) else []

    def requested_rate(self, key: PathKey) -> float | None:
        """What the sends on ``key``'s path ask for together (None: one of them is unpaced)."""
        if key.to_kind == FUNCTION:
            rates = [s.rate for s in self.scenario.sends if self.runner._function_path(s, key.queue, key.through) == key]
        else:
            rates = [s.rate for s in self.scenario.sends if self.runner.manifest.queues.get(key.queue) and self.runner._path(s, key.queue) == key]
        return sum(r for r in rates if r) if rates and all(rates) else None

    def sent(self) -> list[Sent]:
        return self.attempt.sent()

    def add(self, verdict: verdicts.PathVerdict) -> None:
        self.runner._add(self.attempt, self.result, verdict)

    def fail(self, message: str) -> None:
        self.result.fail(message)

    def objective(self, objective: Objective) -> None:
        self.result.objectives.append(objective)

    def consumer(self, queue: str) -> Consumer:
        return consumer_for(self.runner.manifest, self.runner.sessions, queue, False, self.attempt.bucket_region)

    def outage_of(self, queue: str) -> AbstractContextManager[None]:
        entry = self.runner.manifest.queues[queue]
        sqs = self.runner.sessions.client("sqs", entry.account, entry.region)
        return queue_outage(sqs, entry.url, self.runner.sessions.retry_policy)

    def still_stored(self, pointers: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        bucket = self.attempt.bucket
        assert bucket is not None
        return _still_stored(self.runner.sessions.client("s3", bucket.account, bucket.region), pointers)

    def sessions(self) -> Sessions:
        return self.runner.sessions

    def manifest(self) -> Manifest:
        return self.runner.manifest

    def journal(self) -> FaultJournal | None:
        return self.runner.journal

    def token(self) -> str:
        return self.attempt.token

    def planned(self, queue: str) -> list[str]:
        """The correlation ids the scenario meant to deliver to ``queue`` (sent or not)."""
        return [f"{self.attempt.token_of(i)}.{seq}" for i in self.scenario.sends_to(queue, self.runner._subscribed)
                for seq in range(self.scenario.sends[i].count)]

    def bucket(self) -> ResourceEntry | None:
        return self.attempt.bucket

    def share(self) -> dict[str, Any]:
        return self.attempt.shared

    def section(self, name: str, value: dict[str, Any]) -> None:
        self.result.sections[name] = value
