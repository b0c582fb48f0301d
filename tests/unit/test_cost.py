"""The cost guard refuses what would cost real money and lets the reference set through."""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest

from harness import paths
from harness.errors import HarnessError
from harness.scenario import cost
from harness.scenario.expectations import Expect
from harness.scenario.format.loader import discover_scenarios, load_scenario
from harness.scenario.format.model import Scenario, Send, Size
from harness.topology.loader import load_topology

GIB = 1 << 30


@pytest.fixture(scope="module")
def reference():
    return load_topology(paths.REFERENCE_TOPOLOGY)


def _scenario(send: Send, *expect: Expect, name: str = "big") -> Scenario:
    return Scenario(name=name, source=f"{name}.scenario.yaml", topology_file=str(paths.REFERENCE_TOPOLOGY),
                    description="test", send=send, expectations=expect)


def test_price_table_is_dated_and_complete() -> None:
    data = json.loads(cost.PRICES_FILE.read_text())
    datetime.date.fromisoformat(data["as_of"])
    assert data["region"] == "us-east-1" and "aws.amazon.com" in data["source"]
    prices = cost.Prices.load()
    for f in dataclasses.fields(prices):
        if f.type == "float":
            assert getattr(prices, f.name) > 0, f.name


def test_two_gib_times_a_thousand_is_refused_with_the_table(reference) -> None:
    big = _scenario(Send("A", "us-east-1", topic="orders", count=1000, sizes=(Size("2GiB", 2 * GIB),)),
                    Expect("b-eu", 600.0))
    est = cost.estimate(big, reference)
    assert est.s3_bytes == 1000 * 2 * GIB
    assert est.s3_puts == 1000 * (2 + 2 * GIB // (8 << 20))  # create + 256 parts + complete each
    assert est.egress_bytes >= 1000 * 2 * GIB  # every payload downloaded once by b-eu's consumer
    assert est.usd > 100
    with pytest.raises(cost.CostLimitError) as caught:
        cost.check_budget([est], cost.DEFAULT_MAX_COST_USD)
    message = str(caught.value)
    assert isinstance(caught.value, HarnessError)
    assert "| big |" in message and "over the limit of $5.00" in message
    assert "--max-cost-usd" in message and "Prices as of" in message


def test_inside_aws_the_payloads_cost_inter_region_transfer_instead_of_egress(reference) -> None:
    sc = _scenario(Send("A", "us-east-1", topic="orders", count=10, sizes=(Size("5MiB", 5 << 20),)),
                   Expect("b-eu", 10.0), Expect("c-us", 10.0))
    outside = cost.estimate(sc, reference)
    inside = cost.estimate(sc, reference, runner_outside_aws=False)
    # bucket in us-east-1: b-eu (eu-west-1) pays transfer, c-us (us-east-1) does not
    assert inside.inter_region_bytes >= 10 * (5 << 20)
    assert inside.inter_region_bytes < 2 * 10 * (5 << 20)
    assert inside.egress_bytes == 0
    assert outside.egress_bytes >= 2 * 10 * (5 << 20)
    assert outside.usd > inside.usd


def test_the_reference_scenario_set_is_allowed(reference) -> None:
    scenarios = [load_scenario(p) for p in discover_scenarios(paths.SCENARIOS_DIR)]
    assert len(scenarios) >= 10
    estimates = cost.estimate_all(scenarios, reference)
    # sustained-100 (3,000 messages at 100 msg/s) is bounded apart; the rest stays as cheap as before
    total = sum(e.usd for e in estimates if e.scenario != "sustained-100" and not e.scenario.startswith("(topology"))
    assert 0 < total < 0.10, cost.format_table(estimates, itemised=True)
    assert sum(e.usd for e in estimates) < 0.25, cost.format_table(estimates, itemised=True)
    cost.check_budget(estimates, cost.DEFAULT_MAX_COST_USD)
    by_name = {e.scenario: e for e in estimates}
    assert by_name["large-100mib"].s3_bytes == 100 << 20
    # sizes by name (issue 10 #7): sqs_limit is exactly the limit on the wire, so only sqs_limit+1 is offloaded
    assert by_name["sqs-size-boundaries"].s3_puts == 1
    assert by_name["burst-500"].sns_requests == 500


def test_offload_follows_the_path_thresholds(reference) -> None:
    inline = _scenario(Send("A", "us-east-1", queue="b-eu", sizes=(Size("512KiB", 512 << 10),)), Expect("b-eu", 5.0))
    via_sns = _scenario(Send("A", "us-east-1", topic="orders", sizes=(Size("512KiB", 512 << 10),)), Expect("b-eu", 5.0))
    always = dataclasses.replace(inline, send=dataclasses.replace(inline.send, offload="always"))
    assert cost.estimate(inline, reference).s3_puts == 0
    assert cost.estimate(via_sns, reference).s3_puts == 1
    assert cost.estimate(always, reference).s3_puts == 1
    # 512 KiB inline through SQS: 9 chunks (attributes push it past 8) for send, receive
    assert cost.estimate(inline, reference).sqs_requests >= 2 * 9


def test_budget_of_zero_refuses_anything_and_a_negative_limit_is_explained(reference) -> None:
    small = cost.estimate(_scenario(Send("A", "us-east-1", topic="orders"), Expect("b-eu", 1.0)), reference)
    with pytest.raises(cost.CostLimitError):
        cost.check_budget([small], 0.0)
    with pytest.raises(cost.CostLimitError, match="non-negative"):
        cost.check_budget([small], -1.0)
    cost.check_budget([], 0.0)


def test_damaged_price_table_says_what_to_do(tmp_path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text(json.dumps({"as_of": "2026-01-01"}))
    with pytest.raises(HarnessError, match="cannot read the price table"):
        cost.Prices.load(bad)


def test_estimate_files_uses_the_named_or_the_given_topology() -> None:
    files = [paths.SCENARIOS_DIR / "offload-5mib.scenario.yaml", paths.SCENARIOS_DIR / "fanout-small.scenario.yaml"]
    own = cost.estimate_files(files)
    nightly = cost.estimate_files(files, paths.SCENARIOS_DIR / "aws" / "nightly.topology.yaml")
    assert [e.scenario for e in own] == ["offload-5mib", "fanout-small"]
    assert [round(e.usd, 9) for e in own] == [round(e.usd, 9) for e in nightly]  # same shape, other ids
