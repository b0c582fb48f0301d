"""What a load run sends, who sends it and how a message is recognised anywhere: pure, no I/O.

A load run turns each scenario into a *stream*: its ``send`` with the budget's message count
(``--messages N``, or ``rate × --duration``) and one open-loop schedule shared by every worker —
message ``seq`` of a stream is due at ``start_wall + seq / rate`` whichever worker sends it.
Worker ``w`` of ``W`` sends the stream's messages with ``seq % W == w`` (its *share*), so the
scenario's rate is split evenly and no message is sent twice.

Correlation ids are ``<run-id>.<load token>.<stream>.<seq>``: a consumer on any worker tells which
stream and message a delivery is, its intended send time (latency from the schedule, no
coordinated omission), its size and its sha256 (the payload is generated from a seed derived from
the correlation id, :func:`harness.scenario.execute.send.seed_of`) — without asking the producer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass, replace

from harness.errors import HarnessError
from harness.payload.generator import GeneratedPayload
from harness.payload.outcome import Expected
from harness.scenario.execute.send import Outgoing, plan, seed_of
from harness.scenario.expectations import Expect
from harness.scenario.expectations.base import one_line_problem
from harness.scenario.format.model import Scenario, Send

START_DELAY_SECONDS = 1.0  # the schedule starts this long after the plan is sent: workers get it first


@dataclass(frozen=True)
class Budget:
    """How much a load run sends: ``duration_s`` of each stream's schedule, or ``messages`` per stream."""

    duration_s: float | None = None
    messages: int | None = None

    def __post_init__(self) -> None:
        if (self.duration_s is None) == (self.messages is None):
            raise HarnessError("a load run needs a budget: give --duration SECONDS or --messages N (one of them)")
        if self.duration_s is not None and self.duration_s <= 0:
            raise HarnessError(f"--duration {self.duration_s:g}: give a positive number of seconds")
        if self.messages is not None and self.messages < 1:
            raise HarnessError(f"--messages {self.messages}: give at least 1")

    def count(self, rate: float) -> int:
        return self.messages if self.messages is not None else max(1, math.ceil(rate * (self.duration_s or 0.0)))

    def as_dict(self) -> dict:
        return {"duration_s": self.duration_s, "messages": self.messages}


@dataclass(frozen=True)
class Stream:
    """One scenario of the load run."""

    index: int
    scenario: Scenario
    send: Send  # the scenario's send, count set by the budget and rate by --rate if given
    expect: tuple[Expect, ...]  # judged like a scenario's (FIFO order not across workers: see notes)
    token: str  # correlation ids are <token>.<seq>

    @property
    def rate(self) -> float:
        assert self.send.rate is not None
        return self.send.rate

    def intended(self, seq: int, start_wall: float) -> float:
        return start_wall + seq / self.rate

    def size(self, seq: int) -> int:
        return self.send.sizes[seq % len(self.send.sizes)].bytes

    @property
    def max_within(self) -> float:
        return max([e.within for e in self.expect] + [n.within for n in self.scenario.expect_not], default=0.0)


def _check(scenario: Scenario, rate: float | None) -> list[str]:
    problems = []
    where = f"{scenario.source}: {scenario.name}"
    if scenario.send is None:
        problems.append(f"{where}: sends nothing (only expect_denied); a load run needs a send")
        return problems
    if scenario.send.rate is None and rate is None:
        problems.append(f"{where}: send has no rate; a load run is open-loop: add `rate:` to the send or pass --rate")
    if scenario.more_sends:
        problems.append(f"{where}: has {len(scenario.sends)} sends; a load run streams one send per scenario (split it into one scenario per send)")
    refused = one_line_problem(scenario.expectations)  # every registered expectation says whether load judges it
    if refused:
        problems.append(f"{where}: {refused}")
    return problems


@dataclass(frozen=True)
class LoadPlan:
    """Every stream of the run, the schedule's start and the number of workers sharing the sends."""

    run_id: str
    token: str  # <run-id>.L<hex>: the prefix of every correlation id of this load run
    streams: tuple[Stream, ...]
    budget: Budget
    workers: int
    start_wall: float = 0.0  # set by the master when it sends the plan

    @classmethod
    def build(cls, scenarios: Sequence[Scenario], budget: Budget, run_id: str, token: str, workers: int,
              rate: float | None = None) -> LoadPlan:
        if workers < 1:
            raise HarnessError(f"--workers {workers}: give at least 1 (workers on other machines: --expect-workers)")
        problems = [p for sc in scenarios for p in _check(sc, rate)]
        if problems:
            raise HarnessError("\n".join(problems))
        rates = [rate if rate is not None else sc.send.rate for sc in scenarios if sc.send is not None]
        return cls(run_id, token, _streams(scenarios, budget, token, rates), budget, workers)

    def started(self, start_wall: float) -> LoadPlan:
        return replace(self, start_wall=start_wall)

    # -- who sends what -------------------------------------------------------------------------
    def share(self, stream: Stream, worker: int) -> list[Outgoing]:
        """The messages of ``stream`` that worker ``worker`` sends (none for a worker past the plan's)."""
        return [o for o in plan(stream.send, stream.token) if o.seq % self.workers == worker]

    @staticmethod
    def owner(seq: int, workers: int) -> int:
        return seq % workers

    def parse(self, correlation_id: str) -> tuple[Stream, int] | None:
        """The stream and sequence number of one of this run's correlation ids, else None."""
        if not correlation_id.startswith(self.token + "."):
            return None
        parts = correlation_id[len(self.token) + 1:].split(".")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            return None
        index, seq = int(parts[0]), int(parts[1])
        if index >= len(self.streams) or seq >= self.streams[index].send.count:
            return None
        return self.streams[index], seq

    def queues(self) -> dict[str, tuple[int, bool]]:
        """Every queue a stream expects or must not reach: (receivers, delete_payloads). Payload
        objects are deleted on a queue only when every stream expecting it asks so (fan-out)."""
        out: dict[str, tuple[int, bool]] = {}
        for stream in self.streams:
            for exp in stream.expect:
                receivers, delete = out.get(exp.queue, (0, True))
                out[exp.queue] = (max(receivers, exp.receivers), delete and exp.delete_payloads)
            for neg in stream.scenario.expect_not:
                receivers, _ = out.get(neg.queue, (0, False))
                out[neg.queue] = (max(receivers, 1), False)
        return out

    def max_within(self) -> float:
        return max((s.max_within for s in self.streams), default=0.0)

    # -- the plan as a Locust message -----------------------------------------------------------
    def as_message(self) -> dict:
        return {
            "run_id": self.run_id, "token": self.token, "workers": self.workers, "start_wall": self.start_wall,
            "budget": self.budget.as_dict(), "rate": [s.rate for s in self.streams],
            "streams": [s.scenario.name for s in self.streams],
        }

    @classmethod
    def from_message(cls, data: dict, scenarios: Sequence[Scenario]) -> LoadPlan:
        """The master's plan, rebuilt by a worker from the same scenario files."""
        names = [sc.name for sc in scenarios]
        if names != data["streams"]:
            raise HarnessError(f"this worker was given scenarios {names}, the master runs {data['streams']}; give both the same files")
        budget = Budget(**data["budget"])
        streams = _streams(scenarios, budget, data["token"], data["rate"])
        return cls(data["run_id"], data["token"], streams, budget, data["workers"], data["start_wall"])


def _streams(scenarios: Sequence[Scenario], budget: Budget, token: str, rates: Sequence[float | None]) -> tuple[Stream, ...]:
    streams = []
    for i, (sc, rate) in enumerate(zip(scenarios, rates)):
        assert sc.send is not None and rate is not None
        send = replace(sc.send, rate=rate, count=budget.count(rate))
        expect = tuple(replace(e, ordered=False) for e in sc.expect)
        streams.append(Stream(i, sc, send, expect, f"{token}.{i}"))
    return tuple(streams)


class DerivedExpectations(MutableMapping[str, Expected]):
    """Size and sha256 of any message of the plan, derived from its correlation id, so a consumer on
    any worker verifies any producer's message. What a sender registers is not stored (it is the
    same by construction); a few recent offloaded payloads' hashes are kept (hashing them is not free)."""

    CACHE = 1024

    def __init__(self, load_plan: LoadPlan):
        self.plan = load_plan
        self._cache: dict[str, Expected] = {}

    def __getitem__(self, cid: str) -> Expected:
        got = self._cache.get(cid)
        if got is not None:
            return got
        parsed = self.plan.parse(cid)
        if parsed is None:
            raise KeyError(cid)
        stream, seq = parsed
        payload = GeneratedPayload(seed_of(cid), stream.size(seq))
        got = Expected(payload.size, payload.sha256())
        if len(self._cache) >= self.CACHE:
            self._cache.clear()
        self._cache[cid] = got
        return got

    def get(self, cid: str, default: Expected | None = None) -> Expected | None:  # type: ignore[override]
        try:
            return self[cid]
        except KeyError:
            return default

    def __setitem__(self, cid: str, value: Expected) -> None:
        pass  # derived on demand

    def __delitem__(self, cid: str) -> None:
        self._cache.pop(cid, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._cache)

    def __len__(self) -> int:
        return len(self._cache)
