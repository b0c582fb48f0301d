"""Capacity search: the highest rate a scenario's send sustains with every objective met.

``harness capacity SCENARIO`` runs the scenario again and again on one applied run, its send
paced at a rising ladder of rates (``--start``, times ``--factor`` each step, up to ``--max``), each
step ``--step-seconds`` long (count = rate × seconds, the warm-up scaled with it). The first step
that is not *passed* — an objective missed, the send falling short of its rate (a paced send must
reach 95 % of it unless the file says otherwise), or anything inconclusive — ends the ladder; then
``--refine`` steps halve the gap (geometrically) between the last rate that passed and the first
that did not. The answer is the highest rate whose step passed: every objective the scenario states
or implies was met there. A step that is not passed is reported with the objectives it missed.

Every step is a scenario of the run's report (``NAME@RATE/s``), so report.html shows each step's
figures; ``capacity.json`` beside it holds the ladder. Like k6's and Locust's step shapes, but judged
by the scenario's own objectives rather than by a load tool's error rate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from harness.errors import HarnessError
from harness.provision.manifest import Manifest
from harness.run import Driver, Finished, guard_cost
from harness.scenario.format.model import Scenario
from harness.scenario.judge.objectives import MET
from harness.scenario.judge.result import PASSED, ScenarioResult
from harness.settings import Settings
from harness.topology.loader import load_topology

DEFAULT_START = 50.0  # msg/s, for a scenario whose send is not paced


class CapacityError(HarnessError):
    """A scenario the capacity search cannot step."""


@dataclass(frozen=True)
class Ladder:
    start: float  # msg/s of the first step
    factor: float = 2.0  # each step's rate over the one before
    maximum: float = 5000.0  # no step above this rate
    step_seconds: float = 10.0  # how long each step sends
    refine: int = 2  # bisection steps between the last pass and the first miss

    def __post_init__(self) -> None:
        if self.start <= 0 or self.maximum < self.start:
            raise CapacityError(f"the ladder needs 0 < start <= max; got start {self.start:g}, max {self.maximum:g} msg/s")
        if self.factor <= 1:
            raise CapacityError(f"--factor must be more than 1 (each step faster than the one before); got {self.factor:g}")
        if self.step_seconds <= 0 or self.refine < 0:
            raise CapacityError("--step-seconds must be positive and --refine 0 or more")

    def rates(self) -> list[float]:
        """The ladder's rates, ``start`` up to ``maximum`` (which is the last step when not on the ladder)."""
        rates, rate = [], self.start
        while rate < self.maximum * (1 - 1e-9):
            rates.append(round(rate, 3))
            rate *= self.factor
        return rates + [self.maximum]


@dataclass
class Step:
    rate: float  # requested msg/s
    status: str
    achieved: float | None  # msg/s the send achieved
    p99_ms: float | None  # the worst path's p99 latency
    missed: list[str] = field(default_factory=list)  # objectives not met, in words
    scenario: str = ""  # the step's name in the report

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def as_dict(self) -> dict[str, Any]:
        return {"rate": self.rate, "status": self.status, "achieved_rate": self.achieved, "p99_ms": self.p99_ms,
                "missed": self.missed, "scenario": self.scenario}


@dataclass
class Capacity:
    scenario: str
    ladder: Ladder
    steps: list[Step] = field(default_factory=list)

    @property
    def best(self) -> Step | None:
        """The highest-rate step that passed."""
        return max((s for s in self.steps if s.passed), key=lambda s: s.rate, default=None)

    @property
    def first_missed(self) -> Step | None:
        """The lowest-rate step that did not pass."""
        return min((s for s in self.steps if not s.passed), key=lambda s: s.rate, default=None)

    def verdict(self) -> str:
        best, miss = self.best, self.first_missed
        if best is None:
            assert miss is not None
            return f"capacity of {self.scenario}: below {miss.rate:g} msg/s — the first step missed {_few(miss)}; lower --start"
        if miss is None:
            return f"capacity of {self.scenario}: at least {best.rate:g} msg/s — every step up to --max passed; raise --max to look further"
        return f"capacity of {self.scenario}: {best.rate:g} msg/s with every objective met; at {miss.rate:g} msg/s it missed {_few(miss)}"

    def table(self) -> str:
        lines = ["| step | requested msg/s | achieved msg/s | p99 latency | verdict |", "| --- | ---: | ---: | ---: | --- |"]
        for i, s in enumerate(sorted(self.steps, key=lambda s: s.rate), 1):
            achieved = f"{s.achieved:g}" if s.achieved is not None else "–"
            p99 = f"{s.p99_ms:.1f} ms" if s.p99_ms is not None else "–"
            verdict = "✓ passed" if s.passed else f"✗ {s.status}: {'; '.join(s.missed)}" if s.missed else f"✗ {s.status}"
            lines.append(f"| {i} | {s.rate:g} | {achieved} | {p99} | {verdict} |")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        best, miss = self.best, self.first_missed
        return {"scenario": self.scenario, "capacity_msg_per_s": best.rate if best else None,
                "first_missed_msg_per_s": miss.rate if miss else None, "verdict": self.verdict(),
                "ladder": {"start": self.ladder.start, "factor": self.ladder.factor, "max": self.ladder.maximum,
                           "step_seconds": self.ladder.step_seconds, "refine": self.ladder.refine},
                "steps": [s.as_dict() for s in sorted(self.steps, key=lambda s: s.rate)]}

    def write(self, directory: Path) -> Path:
        path = directory / "capacity.json"
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        return path


def _few(step: Step) -> str:
    """The first two objectives a step missed, and how many more."""
    more = len(step.missed) - 2
    return "; ".join(step.missed[:2]) + (f" (and {more} more)" if more > 0 else "") if step.missed else step.status


def steppable(scenario: Scenario) -> None:
    """Refuse, in one line, a scenario with no single send to pace."""
    if scenario.send is None:
        raise CapacityError(f"{scenario.source}: {scenario.name} sends nothing (expect_denied only); capacity steps a send's rate")
    if scenario.more_sends:
        raise CapacityError(f"{scenario.source}:{scenario.more_sends[0].line}: {scenario.name} has {len(scenario.sends)} sends; "
                            "capacity steps one send's rate — keep one send in a copy of the file")


def at_rate(scenario: Scenario, rate: float, seconds: float) -> Scenario:
    """The scenario with its send paced at ``rate`` for ``seconds`` (its warm-up scaled with the count)."""
    send = scenario.send
    assert send is not None
    count = max(1, math.ceil(rate * seconds))
    warmup = min(count - 1, round(send.warmup * count / send.count)) if send.count else 0
    return replace(scenario, name=f"{scenario.name}@{rate:g}/s", send=replace(send, rate=rate, count=count, warmup=max(0, warmup)))


def _step(rate: float, result: ScenarioResult) -> Step:
    missed = [f"{o.what} ({o.where}): {o.measured}, bound {o.bound}" for o in result.objectives if o.result != MET]
    missed = missed or result.failures[:3]  # an error, or a failure no objective states
    p99s = [p.percentiles_ms().get("p99") for p in result.paths]
    p99 = max((float(v) for v in p99s if v is not None), default=None)
    achieved = (result.send or {}).get("achieved_rate")
    return Step(rate, result.status, achieved, p99, missed, result.name)


def search(scenario: Scenario, ladder: Ladder, run: Callable[[Scenario], ScenarioResult], say: Callable[[str], None]) -> Capacity:
    """Step ``scenario`` up ``ladder``, each step run by ``run``; bisect the last gap ``ladder.refine`` times."""
    steppable(scenario)
    capacity = Capacity(scenario.name, ladder)

    def attempt(rate: float) -> Step:
        step = _step(rate, run(at_rate(scenario, rate, ladder.step_seconds)))
        capacity.steps.append(step)
        say(f"    {rate:g} msg/s: " + ("passed" if step.passed else f"{step.status} — {'; '.join(step.missed[:2]) or 'see the report'}"))
        return step

    for rate in ladder.rates():
        if not attempt(rate).passed:
            break
    for _ in range(ladder.refine):
        best, miss = capacity.best, capacity.first_missed
        if best is None or miss is None:
            break
        mid = round(math.sqrt(best.rate * miss.rate), 1)
        if not best.rate < mid < miss.rate or miss.rate / best.rate < 1.05:
            break  # the gap is already within 5 %
        attempt(mid)
    return capacity


def run_capacity(
    settings: Settings, scenario: Scenario, ladder: Ladder, out: TextIO, target: str = "localstack",
    manifest: Manifest | None = None, max_cost_usd: float | None = None,
) -> tuple[Capacity, Finished]:
    """``harness capacity``: the search on ``manifest`` (an applied run, left applied) or on a run of
    the scenario's topology applied for it (destroyed after, its emulator stopped), reports written
    whatever happens, ``capacity.json`` beside them when the search finished."""
    steppable(scenario)
    rates = ladder.rates()
    if target == "aws":  # every step the ladder may take, the refinements priced at the top rate
        worst = [at_rate(scenario, r, ladder.step_seconds) for r in rates + [rates[-1]] * ladder.refine]
        guard_cost(target, worst, manifest.applied_topology() if manifest else load_topology(Path(scenario.topology_file)), max_cost_usd, out)
    driver = Driver(settings, target, out=out)

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    try:
        if manifest is not None:
            driver.adopt(manifest)
        else:
            driver.apply(Path(scenario.topology_file))
        say(f"capacity of {scenario.name}: {len(rates)} steps of {ladder.step_seconds:g}s from {rates[0]:g} to {rates[-1]:g} msg/s "
            f"(x{ladder.factor:g}), stopping at the first step that is not passed, then {ladder.refine} refinement(s)")
        capacity = search(scenario, ladder, driver.run, say)
    finally:
        [finished] = driver.close()
    capacity.write(finished.files["json"].parent)
    print("\n" + capacity.table() + "\n\n" + capacity.verdict(), file=out)
    print(f"reports: {finished.files['json'].parent}  (capacity.json, and each step as a scenario of report.html)", file=out, flush=True)
    return capacity, finished
