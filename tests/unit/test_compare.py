"""`harness compare`: new failures and latency regressions per delivery path, noise ignored."""

from __future__ import annotations

import copy
import json

import pytest

from harness.report.compare import ReportFormatError, compare, comparison_markdown, load_report

LABEL_EU = "A/us-east-1 topic:orders → B/eu-west-1 b-eu"
LABEL_AP = "A/us-east-1 topic:orders → B/ap-southeast-2 b-ap"


def _path(label: str, p50: float | None, p99: float | None) -> dict:
    count = 0 if p50 is None else 100
    return {"label": label, "counts": {"sent": 100, "received": 100},
            "latency_ms": {"count": count, "p50": p50, "p90": p99, "p99": p99, "max": p99, "mean": p50}}


def _report(run_id: str, *scenarios: dict) -> dict:
    return {"schema": "harness-report/2", "run_id": run_id, "target": "aws", "status": "passed",
            "totals": {}, "scenarios": list(scenarios)}


def _scenario(name: str, status: str = "passed", *paths: dict, failures: tuple[str, ...] = ()) -> dict:
    return {"name": name, "file": f"{name}.scenario.yaml", "status": status, "failures": list(failures),
            "notes": [], "paths": list(paths)}


@pytest.fixture
def baseline() -> dict:
    return _report(
        "night1",
        _scenario("fanout", "passed", _path(LABEL_EU, 30.0, 60.0), _path(LABEL_AP, 200.0, 400.0)),
        _scenario("offload", "passed", _path(LABEL_EU, 900.0, 1500.0)),
        _scenario("fifo", "failed", _path(LABEL_EU, 40.0, 80.0), failures=("order broken",)),
    )


def test_identical_reports_show_no_regression(baseline: dict) -> None:
    c = compare(baseline, copy.deepcopy(baseline))
    assert not c.regressed and not c.regressions and not c.new_failures
    assert [s.scenario for s in c.still_failing] == ["fifo"]
    assert "no regression" in comparison_markdown(c)


def test_a_doubled_p99_is_flagged(baseline: dict) -> None:
    new = copy.deepcopy(baseline)
    new["run_id"] = "night2"
    new["scenarios"][0]["paths"][1]["latency_ms"]["p99"] = 800.0  # b-ap p99 400 → 800 ms
    c = compare(baseline, new)
    assert c.regressed
    [r] = c.regressions
    assert (r.scenario, r.path, r.metric, r.old_ms, r.new_ms) == ("fanout", LABEL_AP, "p99", 400.0, 800.0)
    assert r.factor == pytest.approx(2.0)
    md = comparison_markdown(c)
    assert "**regressed**" in md and "Latency regressions (1)" in md and "| fanout | " + LABEL_AP + " | p99 | 400.0 | 800.0 | 2.00 |" in md


def test_noise_below_either_threshold_is_ignored(baseline: dict) -> None:
    new = copy.deepcopy(baseline)
    new["scenarios"][0]["paths"][0]["latency_ms"]["p50"] = 45.0  # 1.5× but only +15 ms: below min_ms
    new["scenarios"][0]["paths"][0]["latency_ms"]["p99"] = 78.0  # 1.3×, +18 ms
    new["scenarios"][1]["paths"][0]["latency_ms"]["p99"] = 2100.0  # +600 ms but 1.4×: below ratio
    c = compare(baseline, new)
    assert not c.regressions and not c.regressed
    # the thresholds are parameters: tighter ones flag the same figures
    tight = compare(baseline, new, ratio=1.2, min_ms=10.0)
    assert {(r.scenario, r.metric) for r in tight.regressions} == {("fanout", "p50"), ("fanout", "p99"), ("offload", "p99")}


def test_a_scenario_that_passed_and_now_fails_is_a_new_failure(baseline: dict) -> None:
    new = copy.deepcopy(baseline)
    new["scenarios"][1]["status"] = "error"
    new["scenarios"][1]["failures"] = ["endpoint unreachable"]
    new["scenarios"][2]["status"] = "passed"
    new["scenarios"][2]["failures"] = []
    c = compare(baseline, new)
    assert c.regressed
    assert [(s.scenario, s.old_status, s.new_status) for s in c.new_failures] == [("offload", "passed", "error")]
    assert [s.scenario for s in c.fixed] == ["fifo"]
    md = comparison_markdown(c)
    assert "**offload** error (was passed): endpoint unreachable" in md and "### Fixed (1)" in md


def test_missing_paths_and_scenarios_are_listed_not_flagged(baseline: dict) -> None:
    new = copy.deepcopy(baseline)
    del new["scenarios"][0]["paths"][1]  # b-ap path gone
    del new["scenarios"][1]  # offload scenario gone
    new["scenarios"].append(_scenario("burst", "passed", _path(LABEL_EU, 30.0, 55.0)))
    new["scenarios"][0]["paths"].append(_path("B/eu-west-1 queue:c-us → C/us-east-1 c-us", 10.0, 20.0))
    c = compare(baseline, new)
    assert not c.regressed
    assert "offload" in c.only_old and f"fanout: {LABEL_AP}" in c.only_old
    assert "burst" in c.only_new and "fanout: B/eu-west-1 queue:c-us → C/us-east-1 c-us" in c.only_new
    assert "only before: offload" in comparison_markdown(c)


def test_a_new_scenario_that_fails_counts_as_a_new_failure(baseline: dict) -> None:
    new = copy.deepcopy(baseline)
    new["scenarios"].append(_scenario("dlq", "failed", failures=("no message in the DLQ",)))
    c = compare(baseline, new)
    assert [(s.scenario, s.old_status) for s in c.new_failures] == [("dlq", None)]
    assert "not in the previous run" in comparison_markdown(c)


def test_paths_without_samples_are_skipped(baseline: dict) -> None:
    new = copy.deepcopy(baseline)
    new["scenarios"][0]["paths"][0] = _path(LABEL_EU, None, None)  # nothing received this time
    old = copy.deepcopy(baseline)
    old["scenarios"][1]["paths"][0] = _path(LABEL_EU, None, None)
    c = compare(old, new)
    assert not c.regressions


def test_faster_paths_are_reported_as_improvements(baseline: dict) -> None:
    new = copy.deepcopy(baseline)
    new["scenarios"][1]["paths"][0]["latency_ms"]["p99"] = 500.0
    c = compare(baseline, new)
    assert not c.regressed and [(i.scenario, i.metric) for i in c.improvements] == [("offload", "p99")]


def test_load_report_rejects_what_is_not_a_report(tmp_path) -> None:
    good = tmp_path / "report.json"
    good.write_text(json.dumps(_report("r1")))
    assert load_report(good)["run_id"] == "r1"
    with pytest.raises(ReportFormatError, match="no such report"):
        load_report(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ReportFormatError, match="not a readable JSON report"):
        load_report(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something-else/2", "scenarios": []}))
    with pytest.raises(ReportFormatError, match="expected 'harness-report/2'"):
        load_report(other)
    with pytest.raises(ReportFormatError, match="ratio must be"):
        compare(_report("a"), _report("b"), ratio=0.5)
