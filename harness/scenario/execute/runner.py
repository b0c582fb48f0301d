"""Run one scenario against an applied run (its manifest) and measure it: the orchestration.

Flow: start a pool of receivers per queue the scenario watches
(:mod:`~harness.scenario.execute.receive_pool`), send the batch through a pool of senders — one pool per
send, all at once (:mod:`~harness.scenario.execute.send_pool`, on an open-loop schedule when a rate is given;
the report's ``send`` section says how well each kept it), then wait until every expected delivery arrived or its
deadline passed, plus a short grace period to tell *late* from *missing*. What is watched, taken
away while sending (an endpoint queue, :mod:`~harness.scenario.execute.outage`), waited for and
judged is each expectation's own (:mod:`harness.scenario.expectations`): the runner iterates the
scenario's expectations and lends them a :class:`~harness.scenario.execute.run_context.Run` (the verdicts themselves are
:mod:`~harness.scenario.judge.verdicts`, pure functions of what was sent and received).

Two kinds of waiting, kept apart:
- *operation retries* (throttling, transient errors, eventual consistency) happen inside each AWS
  call, bounded and logged by :mod:`harness.retry`;
- *expectation polling* is this module's deadline loop: bounded by the scenario's ``within``.

When the scenario cannot finish (the endpoint went away, an AWS call failed), its result is an
``error`` with one readable line, and its paths still count what was sent and received until then.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import HarnessError, ServiceUnavailableError
from harness.payload.outcome import Expected
from harness.provision.fault_journal import FaultJournal
from harness.provision.manifest import Manifest, ResourceEntry
from harness.provision.sessions import Sessions
from harness.scenario.execute.access_step import check_access
from harness.scenario.execute.budget import ByteBudget
from harness.scenario.execute.failure_watch import FailureWatch, failure_queue_of
from harness.scenario.execute.function_behaviour import behaviours, set_behaviour
from harness.scenario.execute.function_watch import FunctionWatch, function_consumer, function_of
from harness.scenario.execute.oneline import one_line
from harness.scenario.execute.receive_pool import Watching
from harness.scenario.execute.request_count import count_requests
from harness.scenario.execute.run_context import Run
from harness.scenario.execute.send import Pacer, SendLog, large_topic_objectives, plan, sender_for
from harness.scenario.execute.send_pool import SendPool, send_objectives, send_summary
from harness.scenario.execute.watch import QueueWatch, consumer_for
from harness.scenario.expectations.base import Arrival, Expectation
from harness.scenario.format.model import Scenario, Send
from harness.scenario.judge import verdicts
from harness.scenario.judge.facts import Sent
from harness.scenario.judge.measure import FUNCTION, PathKey
from harness.scenario.judge.objectives import MET, MISSED, Objective
from harness.scenario.judge.result import ERROR, ScenarioResult

WAIT_SLICE_SECONDS = 0.05


@dataclass
class _Attempt:
    """What one scenario run has gathered so far; enough to report counts if it ends in an error."""

    scenario: Scenario
    token: str
    bucket: ResourceEntry | None
    logs: list[SendLog] = field(default_factory=list)  # one per send, in the scenario's order
    expected: dict[str, Expected] = field(default_factory=dict)  # correlation id -> size, sha256
    watches: dict[str, QueueWatch] = field(default_factory=dict)
    judged: set[PathKey] = field(default_factory=set)  # paths already in the result
    budget: ByteBudget = field(default_factory=ByteBudget)  # memory of the transfers in flight
    shared: dict[str, Any] = field(default_factory=dict)  # what expectations hand each other (a fault's log)

    def __post_init__(self) -> None:
        self.logs = [SendLog() for _ in self.scenario.sends]

    @property
    def bucket_region(self) -> str | None:
        return self.bucket.region if self.bucket else None

    def sent(self, which: tuple[int, ...] | None = None) -> list[Sent]:
        """What the sends (all, or those of ``which``) sent so far."""
        picked = range(len(self.logs)) if which is None else which
        return sorted((s for i in picked for s in self.logs[i].snapshot()), key=lambda s: s.seq)

    def absorb(self, error: BaseException, cids: Sequence[str]) -> bool:  # a failed publish an injected fault owns
        return any(e.send_failed(error, cids) for e in self.scenario.expectations)

    def token_of(self, index: int) -> str:
        """Correlation ids are ``<token>.<seq>`` for one send, ``<token>.<send>.<seq>`` for several."""
        return self.token if len(self.logs) == 1 else f"{self.token}.{index}"


class ScenarioRunner:
    def __init__(self, manifest: Manifest, sessions: Sessions, show_progress: bool = False, journal: FaultJournal | None = None):
        self.manifest = manifest
        self.sessions = sessions
        self.journal = journal  # infrastructure faults recorded until undone (the driver's runs; none in a bare runner)
        # topic -> the queues subscribed to it: which sends reach which queue
        self._subscribed: dict[str, set[str]] = {}
        for sub in manifest.subscriptions:
            if sub.queue:
                self._subscribed.setdefault(sub.topic, set()).add(sub.queue)
        self.show_progress = show_progress  # progress bars for large transfers
        # Once the endpoint is gone, later scenarios are not run: each would spend its whole retry
        # budget on the same dead endpoint.
        self.unreachable_during: str | None = None
        self.not_run = 0
        self.on_emulator = bool(manifest.endpoint_url)  # LocalStack, or the AWS rehearsal on it

    def run(self, scenario: Scenario) -> ScenarioResult:
        result = ScenarioResult(scenario.name, scenario.source, description=scenario.description)
        if self.unreachable_during is not None:
            self.not_run += 1
            result.status = ERROR
            result.failures.append(f"not run: the endpoint became unreachable during {self.unreachable_during}")
            return result
        started = time.monotonic()
        buckets = [s.bucket for s in scenario.sends if s.bucket]
        bucket = self.manifest.buckets.get(buckets[0]) if buckets else None
        attempt = _Attempt(scenario, f"{self.manifest.run_id}.{scenario.name}.{uuid.uuid4().hex[:6]}", bucket)
        counted = self.sessions.requests.snapshot()
        try:
            self._run(attempt, result)
        except ServiceUnavailableError as err:
            self._error(attempt, result, one_line(err))
            self.unreachable_during = scenario.name
        except HarnessError as err:
            self._error(attempt, result, one_line(err))
        except (ClientError, BotoCoreError) as err:
            code = f"{retry.error_code(err)} " if isinstance(err, ClientError) else ""
            self._error(attempt, result, f"AWS call failed: {code}{one_line(err)}")
        finally:
            result.duration_s = time.monotonic() - started
            result.sent = len(attempt.sent())
            self._summarise_sends(attempt, result)
            count_requests(self.manifest, result, self.sessions.requests.snapshot() - counted, attempt.bucket.name if attempt.bucket else "")
            result.settle()
        return result

    def _summarise_sends(self, attempt: _Attempt, result: ScenarioResult) -> None:
        """How each send kept its schedule: the ``send`` section (``{"sends": [...]}`` for several)."""
        summaries = []
        for send, log in zip(attempt.scenario.sends, attempt.logs):
            if not len(log):
                continue
            summary = send_summary(log.snapshot(), send.senders, send.rate)
            summaries.append({"from": f"{send.account}/{send.region}", "via": send.via, **summary.as_dict()})
            if result.status != ERROR:  # a cut-short run's sends say nothing about the rate it could keep
                result.objectives += send_objectives(send, summary)
                result.objectives += large_topic_objectives(send, log.snapshot(), self.on_emulator)
            note = summary.note()
            if note:
                result.notes.append(note if len(attempt.logs) == 1 else f"{send.via} from {send.account}/{send.region}: {note}")
        if len(attempt.logs) == 1 and summaries:
            result.send = {k: v for k, v in summaries[0].items() if k not in ("from", "via")}
        elif summaries:
            result.send = {"sends": summaries}

    # -- the run ----------------------------------------------------------------------------------
    def _run(self, attempt: _Attempt, result: ScenarioResult) -> None:
        scenario = attempt.scenario
        if not self._access(scenario, result) or scenario.send is None:
            return
        run = Run(self, attempt, result)
        asked = [b for e in scenario.expectations for b in e.function_behaviour()]
        for function, behaviour in behaviours(asked, attempt.token).items():
            if set_behaviour(self.manifest, self.sessions, function, behaviour):
                result.notes.append(f"function {function}: {behaviour.describe()} (this scenario's messages only)")
        receivers: dict[str, int] = {}
        for e in scenario.expectations:
            for w in e.watches():
                if w.queue not in attempt.watches:
                    attempt.watches[w.queue] = self._watch(attempt, w.queue, w.delete_payloads)
                if w.receivers is not None:
                    receivers[w.queue] = max(receivers.get(w.queue, 0), w.receivers)
        with Watching(attempt.watches.values(), receivers, attempt.budget) as watching:
            with ExitStack() as outages:
                for e in scenario.expectations:
                    taken = e.outage(run)
                    if taken is not None:
                        outages.enter_context(taken)
                self._send(attempt)
                self._wait(attempt, watching)
        for queue, fewest, count in watching.held_back():
            result.notes.append(
                f"queue {queue}: at times only {fewest} of its {count} receivers polled at once; the endpoint answered "
                "many times slower than when idle, and more receivers would only have slowed its responses (harness_wait)"
            )
        broken = watching.failed()
        if broken is not None:
            error = ServiceUnavailableError if broken.unreachable else HarnessError
            raise error(f"consumer of queue {broken.name} failed: {broken.error}")
        for e in scenario.expectations:
            e.judge(run)

    def _access(self, scenario: Scenario, result: ScenarioResult) -> bool:
        """Pre-send: judge every hop and ``expect_denied`` entry against the policies applied now.
        False when a hop is denied: on AWS those messages would be lost, so none are sent."""
        check = check_access(self.manifest, self.sessions, scenario)
        result.access = [v.as_dict() for v in check.hops]
        result.expect_denied = [d.as_dict() for d in check.denials]
        if check.hops:
            allowed = len(check.hops) - len(check.refused)
            result.objectives.append(Objective("every hop allowed by the applied policies", "access", f"all {len(check.hops)}",
                                               f"{allowed} of {len(check.hops)}", MET if allowed == len(check.hops) else MISSED,
                                               unit="hops", bound_value=len(check.hops), measured_value=allowed, stated=False))
        for d in check.denials:
            how = "by the real call" if d.method == "call" else "by the policy evaluator"
            result.objectives.append(Objective("refused", d.entry.label, "refused", ("refused " if d.ok else "allowed ") + how,
                                               MET if d.ok else MISSED, line=d.entry.line))
        for line in check.failures:
            result.fail(line)
        if check.refused:
            result.notes.append("nothing sent: a hop of the path is denied by the applied policies (see access)")
            return False
        return True

    def _watch(self, attempt: _Attempt, queue: str, delete_payloads: bool) -> QueueWatch:
        function = function_of(queue)
        if function is not None:  # a function's receipts
            return FunctionWatch(function, function_consumer(self.manifest, self.sessions, function), attempt.token, self.manifest.run_id,
                                 attempt.expected)
        destination = failure_queue_of(queue)
        if destination is not None:  # Lambda's records of failed invocations
            records = consumer_for(self.manifest, self.sessions, destination, False, attempt.bucket_region)
            return FailureWatch(destination, records, attempt.token, self.manifest.run_id, attempt.expected)
        consumer = consumer_for(self.manifest, self.sessions, queue, delete_payloads, attempt.bucket_region)
        return QueueWatch(queue, consumer, attempt.token, self.manifest.run_id, attempt.expected, delete_payloads, self.show_progress)

    def _send(self, attempt: _Attempt) -> None:
        """Every send at once (one thread each when there are several); the first error is raised."""
        label = attempt.scenario.name if self.show_progress else None
        pools = []
        for i, send in enumerate(attempt.scenario.sends):
            sender = sender_for(self.manifest, self.sessions, send, attempt.expected, attempt.logs[i], label, f"{attempt.token}/")
            pools.append((SendPool(sender, Pacer(send.rate), send.senders, attempt.budget, attempt.absorb), plan(send, attempt.token_of(i))))
        if len(pools) == 1:
            pools[0][0].send_all(pools[0][1])
            return
        errors: list[BaseException] = []

        def run(pool: SendPool, outgoing: list) -> None:
            try:
                pool.send_all(outgoing)
            except BaseException as err:  # noqa: BLE001 - handed to the scenario's thread and raised there
                errors.append(err)

        threads = [threading.Thread(target=run, args=p, daemon=True, name=f"send-{i}") for i, p in enumerate(pools)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def _arrivals(self, scenario: Scenario) -> list[Arrival]:
        return [a for e in scenario.expectations for a in e.arrivals(scenario)]

    def _wait(self, attempt: _Attempt, watching: Watching) -> None:
        scenario, sent = attempt.scenario, attempt.sent()
        arrivals = self._arrivals(scenario)
        quiet = [e.quiet_for() for e in scenario.expectations if e.quiet_for() > 0]
        waits = [a.within for a in arrivals] + quiet
        due: dict[str, int] = {}
        for a in arrivals:
            which = attempt.sent(a.sends if a.sends is not None else scenario.sends_to(a.queue, self._subscribed))
            if a.skip_every:
                which = [s for s in which if s.seq % a.skip_every != a.skip_every - 1]
            if a.only_every:
                which = [s for s in which if s.seq % a.only_every == a.only_every - 1]
            due[a.queue] = max(due.get(a.queue, 0), len(which))
        if not sent or not waits:
            return
        last_send = max(s.t_send for s in sent)
        hard_deadline = last_send + max(waits) + (verdicts.LATE_GRACE_SECONDS if arrivals else 0.0)
        negative_until = last_send + max(quiet, default=0.0)
        while time.time() < hard_deadline:
            complete = all(attempt.watches[a.queue].received() >= due[a.queue] for a in arrivals)
            if complete and time.time() >= negative_until:
                break
            if watching.failed() is not None:
                break
            time.sleep(WAIT_SLICE_SECONDS)

    # -- verdicts on the facts gathered -----------------------------------------------------------
    def _path(self, send: Send | None, queue: str) -> PathKey:
        entry = self.manifest.queues[queue]
        assert send is not None
        return PathKey(send.account, send.region, send.via, entry.account, entry.region, queue)

    def _function_path(self, send: Send, function: str, through: str) -> PathKey:
        entry = self.manifest.functions[function]
        return PathKey(send.account, send.region, send.via, entry.account, entry.region, function, FUNCTION, through)

    def _paths_to_function(self, attempt: _Attempt, function: str, routes: Sequence[tuple[int, str]]) -> dict[PathKey, list[Sent]]:
        """The messages bound for ``function``, per delivery path (invoked by SNS, or through each queue it polls)."""
        paths: dict[PathKey, list[Sent]] = {}
        for i, through in routes:
            paths.setdefault(self._function_path(attempt.scenario.sends[i], function, through), []).extend(attempt.sent((i,)))
        return {key: sorted(sent, key=lambda s: s.seq) for key, sent in paths.items()}

    def _paths_to(self, attempt: _Attempt, queue: str) -> dict[PathKey, list[Sent]]:
        """The messages bound for ``queue``, per delivery path (sends sharing a path are judged together)."""
        paths: dict[PathKey, list[Sent]] = {}
        for i in attempt.scenario.sends_to(queue, self._subscribed):
            paths.setdefault(self._path(attempt.scenario.sends[i], queue), []).extend(attempt.sent((i,)))
        return {key: sorted(sent, key=lambda s: s.seq) for key, sent in paths.items()}

    @staticmethod
    def _add(attempt: _Attempt, result: ScenarioResult, verdict: verdicts.PathVerdict) -> None:
        attempt.judged.add(verdict.stats.key)
        verdict.stats.failed = bool(verdict.failures)
        result.paths.append(verdict.stats)
        result.objectives += verdict.objectives
        if verdict.note:
            result.notes.append(verdict.note)
        for failure in verdict.failures:
            result.fail(failure)

    def _error(self, attempt: _Attempt, result: ScenarioResult, message: str) -> None:
        """The scenario could not finish: one line, and the counts of every path not yet reported
        (what was sent and received until then; no verdicts on a cut-short run)."""
        result.status = ERROR
        result.failures.append(message)
        run = Run(self, attempt, result)
        for e in attempt.scenario.expectations:
            for verdict in e.partial(run):
                if verdict.stats.key not in attempt.judged:
                    result.paths.append(verdict.stats)


__all__ = ["Expectation", "ScenarioRunner"]
