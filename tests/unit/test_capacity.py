"""The capacity search's ladder and bisection, with a stand-in for the run whose capacity is known
(the search against LocalStack itself is tests/scenarios/test_capacity.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import paths
from harness.capacity import CapacityError, Ladder, at_rate, search, steppable
from harness.scenario.judge.objectives import MET, MISSED, Objective
from harness.scenario.judge.result import FAILED, INCONCLUSIVE, PASSED, ScenarioResult
from tests.scenarios.kit import write_scenario


def test_the_ladder_climbs_by_its_factor_and_ends_at_its_maximum() -> None:
    assert Ladder(50, 2, 500).rates() == [50, 100, 200, 400, 500]
    assert Ladder(100, 2, 400).rates() == [100, 200, 400]
    assert Ladder(10, 1.5, 10).rates() == [10]


@pytest.mark.parametrize(("start", "factor", "maximum", "words"), [
    (0, 2, 100, "0 < start <= max"), (200, 2, 100, "0 < start <= max"), (10, 1, 100, "--factor must be more than 1"),
])
def test_a_ladder_that_cannot_climb_is_refused_in_words(start: float, factor: float, maximum: float, words: str) -> None:
    with pytest.raises(CapacityError, match=words):
        Ladder(start, factor, maximum)


def _stand_in(capacity: float, inconclusive_above: float | None = None):
    """A run whose send reaches 95 % of its rate up to ``capacity`` msg/s and not beyond."""
    ran: list[float] = []

    def run(scenario) -> ScenarioResult:
        rate = scenario.send.rate
        ran.append(rate)
        achieved = min(rate, capacity * 1.02)
        met = achieved >= 0.95 * rate
        result = ScenarioResult(scenario.name, scenario.source, send={"achieved_rate": achieved})
        result.objectives.append(Objective("send rate", "send topic:orders", f"≥ {0.95 * rate:g} msg/s", f"{achieved:g} msg/s",
                                           MET if met else MISSED))
        result.status = PASSED if met else INCONCLUSIVE if inconclusive_above else FAILED
        return result

    return run, ran


def _scenario(tmp_path: Path, send: str):
    return write_scenario(tmp_path, paths.REFERENCE_TOPOLOGY, "steady", f"""\
        send: {{from: A/us-east-1, topic: orders, {send}}}
        expect:
          - {{queue: b-eu, within: 10s}}
        """)


def test_the_search_stops_at_the_first_miss_and_bisects_the_gap(tmp_path: Path) -> None:
    run, ran = _stand_in(300)
    capacity = search(_scenario(tmp_path, "count: 100, rate: 50, warmup: 10"), Ladder(50, 2, 5000, 2, refine=2), run, lambda _: None)
    assert ran[:4] == [50, 100, 200, 400], "it climbs until a step misses, and no further"
    assert ran[4:] == [282.8, 336.3]  # geometric midpoints: 200..400 passes at 282.8, 282.8..400 misses at 336.3
    assert capacity.best is not None and capacity.best.rate == 282.8
    assert capacity.first_missed is not None and capacity.first_missed.rate == 336.3
    assert "282.8 msg/s with every objective met" in capacity.verdict() and "send rate (send topic:orders)" in capacity.verdict()
    assert [s["rate"] for s in capacity.as_dict()["steps"]] == sorted(ran)
    assert "| 5 | 336.3 |" in capacity.table()


def test_a_first_step_that_misses_says_to_start_lower_and_one_never_missed_says_to_look_higher(tmp_path: Path) -> None:
    run, _ = _stand_in(10, inconclusive_above=10)
    low = search(_scenario(tmp_path, "count: 100, rate: 50"), Ladder(50, 2, 400, 1), run, lambda _: None)
    assert low.best is None and "below 50 msg/s" in low.verdict() and "lower --start" in low.verdict()
    run, _ = _stand_in(10_000)
    high = search(_scenario(tmp_path, "count: 100, rate: 50"), Ladder(50, 2, 400, 1), run, lambda _: None)
    assert high.first_missed is None and "at least 400 msg/s" in high.verdict()


def test_each_step_sends_for_its_seconds_with_the_warmup_scaled(tmp_path: Path) -> None:
    sc = _scenario(tmp_path, "count: 3000, rate: 100, warmup: 100")
    step = at_rate(sc, 400, 5)
    assert step.send is not None and (step.send.rate, step.send.count, step.send.warmup) == (400, 2000, 67)
    assert step.name == "steady@400/s" and step.expectations == sc.expectations


def test_a_scenario_without_one_send_cannot_be_stepped(tmp_path: Path) -> None:
    two = write_scenario(tmp_path, paths.REFERENCE_TOPOLOGY, "two", """\
        sends:
          - {from: A/us-east-1, topic: orders, count: 10}
          - {from: A/us-east-1, topic: orders, count: 10}
        expect:
          - {queue: b-eu, within: 10s}
        """)
    with pytest.raises(CapacityError, match="has 2 sends; capacity steps one send's rate"):
        steppable(two)
