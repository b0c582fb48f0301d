"""The registries are the only place a kind or an expectation is added: a toy kind and a toy
expectation, registered here and nowhere else, appear in validation, the run record, the cost
estimate and the reports. And every registered expectation is costed and says whether load runs
judge it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import kinds
from harness.provision.kind import ProvisionKind, RenderContext
from harness.provision.manifest import Manifest
from harness.provision.provider import ProviderProfile
from harness.provision.render import render_root
from harness.provision.targets import Target
from harness.report import resources_of, write_reports
from harness.report.kind import ReportKind
from harness.scenario import cost, expectations
from harness.scenario.cost import KindCost, LineItem, Prices
from harness.scenario.expectations.base import SUPPORTED, Expectation, ReadContext, RunContext, Watch
from harness.scenario.format.loader import load_scenario, top_keys
from harness.scenario.format.sends import queue_ref
from harness.scenario.judge.result import RunReport, ScenarioResult
from harness.settings import Settings
from harness.topology.drafts import Drafts, OwnedDraft
from harness.topology.kind import KindSpec, NameClaim, need
from harness.topology.loader import load_topology
from harness.topology.model import Topology
from harness.topology.names import tf_ident
from harness.topology.readers import owned, place, section
from harness.topology.sourced_yaml import Node, quote

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "reference.topology.yaml"
PROFILE = ProviderProfile("mirror", "3.39.0")


# -- a toy kind: a "widget" in an account and region, with a size ---------------------------------
@dataclass(frozen=True)
class Widget:
    name: str
    account: str
    region: str
    size: int = 1


@dataclass
class WidgetDraft(OwnedDraft):
    size: int = 1


class WidgetSpec(KindSpec):
    name = "widget"
    group = "widgets"
    keys = ("account", "region", "size")
    model = Widget

    def read(self, d: Drafts, node: Node) -> None:
        for name, value in section(node, "widget").items():
            draft = WidgetDraft(name, value)
            d.section(self.group)[name] = draft
            fields = owned(d, name, value, "widget", self.keys)
            if fields is None:
                continue
            place(d, draft, fields)
            if "size" in fields:
                draft.size = fields["size"].integer(1, 9, hint="e.g. size: 3") or 1

    def build(self, draft: WidgetDraft, d: Drafts) -> Widget:
        return Widget(draft.name, need(d, draft.account, "account").value, need(d, draft.region, "region").value, draft.size)

    def claims(self, draft: WidgetDraft, d: Drafts) -> list[NameClaim]:
        return [NameClaim(f"widget {quote(draft.name)}", f"widget_{tf_ident(draft.name)}", "Terraform module", draft.node)]


class WidgetProvision(ProvisionKind):
    kind = "widget"
    group = "widgets"
    module_dir = "widget"

    def module_name(self, key: str, spec: Widget) -> str:
        return f"widget_{tf_ident(key)}"

    def module_call(self, ctx: RenderContext, key: str, spec: Widget) -> dict[str, Any]:
        return {"source": ctx.source(self.module_dir), "providers": {"aws": ctx.provider_for(spec.account, spec.region)}, "size": spec.size}


class WidgetCost(KindCost):
    kind = "widget"
    group = "widgets"

    def standing(self, name: str, spec: Widget, prices: Prices, hours: float) -> list[LineItem]:
        return [LineItem(f"widget {name}", spec.size * hours, "widget-hours", spec.size * hours * 0.01)]


class WidgetReport(ReportKind):
    kind = "widget"
    group = "widgets"


WIDGET = kinds.Kind("widget", "widgets", parts={"spec": WidgetSpec(), "provision": WidgetProvision(), "cost": WidgetCost(), "report": WidgetReport()})
WIDGETS = "widgets:\n  w-1: {account: A, region: us-east-1, size: 3}\n"


@pytest.fixture
def widget() -> Iterator[kinds.Kind]:
    with kinds.registered(WIDGET) as kind:
        yield kind


def _topology(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "t.topology.yaml"
    path.write_text(REFERENCE.read_text() + "\n" + extra)
    return path


def test_a_toy_kind_is_validated_through_the_registry(widget: kinds.Kind, tmp_path: Path) -> None:
    topology = load_topology(_topology(tmp_path, WIDGETS))
    assert topology.of("widgets")["w-1"] == Widget("w-1", "A", "us-east-1", 3)
    assert Topology.from_snapshot(topology.snapshot(), "x").of("widgets") == topology.of("widgets")
    bad = _topology(tmp_path, "widgets:\n  w-2: {account: Z, region: us-east-1, size: 30, colour: red}\n")
    with pytest.raises(Exception) as err:
        load_topology(bad)
    text = str(err.value)
    assert re.search(r"t\.topology\.yaml:\d+: widgets\.w-2\.account: unknown account \"Z\"", text), text
    assert "widgets.w-2.size" in text and "colour" in text


def test_an_unregistered_kind_is_an_unknown_section(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="widgets"):
        load_topology(_topology(tmp_path, WIDGETS))


def test_a_toy_kind_is_rendered_recorded_costed_and_reported(widget: kinds.Kind, tmp_path: Path) -> None:
    topology = load_topology(_topology(tmp_path, WIDGETS))
    rendered = render_root(topology, Target("localstack", "http://127.0.0.1:4566"), PROFILE, "abc123", tmp_path / "root")
    assert rendered.document["module"]["widget_w_1"]["size"] == 3
    declared = rendered.document["output"]["resources"]["value"]
    fake = {g: {k: {f: f"{g}/{k}/{f}" for f in v} if isinstance(v, dict) else v for k, v in entries.items()} for g, entries in declared.items()}
    applied = rendered.outputs.read({"resources": fake})
    assert applied["widgets"]["w-1"].arn == "widgets/w-1/arn"

    settings = Settings.from_env({}, state_dir=tmp_path / "state")
    manifest = Manifest("abc123", "localstack", "http://x", topology.name, str(topology.source), "applying", "3.39.0", resources=applied)
    manifest.record_topology(topology)
    manifest.save(settings)
    again = Manifest.load("abc123", settings)
    assert again.resources["widgets"]["w-1"].account == "A"
    assert again.applied_topology().of("widgets")["w-1"].size == 3

    standing = cost.standing_costs(topology)
    assert standing is not None and any(item.what == "widget w-1" for item in standing.items)
    assert "widget" in cost.format_table([standing], itemised=True)

    report = RunReport("abc123", "localstack", "http://x", topology.name, resources=resources_of(again))
    report.scenarios.append(ScenarioResult("s", "s.scenario.yaml"))
    files = write_reports(report, tmp_path / "reports")
    assert json.loads(files["json"].read_text())["resources"]["widgets"]["w-1"]["account"] == "A"
    assert "w-1" in files["markdown"].read_text() and "widgets" in files["html"].read_text()


# -- a toy expectation: at least N of the scenario's messages in a queue -----------------------------
@dataclass(frozen=True)
class AtLeast(Expectation):
    queue: str
    count: int
    line: int = field(default=0, compare=False)

    key = "expect_at_least"
    many = False
    load = "a toy: judged only by `harness run`"
    keys = ("queue", "count")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        f = node.mapping(allowed=cls.keys, required=cls.keys)
        if f is None:
            return None
        queue = queue_ref(r.topology, f["queue"])
        count = f["count"].integer(1, 100)
        return [cls(queue, count, node.line)] if queue is not None and count is not None else None

    def watches(self) -> list[Watch]:
        return [Watch(self.queue)]

    def judge(self, run: RunContext) -> None:
        got = run.watch(self.queue).received()
        if got < self.count:
            run.fail(f"expect_at_least {self.queue}: {got} of the scenario's messages, fewer than {self.count}")

    def cost(self, c: cost.CostContext) -> None:
        c.idle_polls(self.queue, 60.0)


SCENARIO = f"""name: toy
topology: {REFERENCE}
send: {{from: A/us-east-1, topic: orders, count: 2}}
expect: [{{queue: b-eu, within: 5s}}]
"""


def test_a_toy_expectation_is_read_costed_and_refused_by_load(tmp_path: Path) -> None:
    path = tmp_path / "toy.scenario.yaml"
    path.write_text(SCENARIO + "expect_at_least: {queue: c-us, count: 2}\n")
    with pytest.raises(Exception, match="expect_at_least"):
        load_scenario(path)  # not registered: an unknown field
    with expectations.registered(AtLeast):
        assert "expect_at_least" in top_keys()
        scenario = load_scenario(path)
        assert scenario.of(AtLeast) == (AtLeast("c-us", 2),)
        without = load_scenario(_write(tmp_path, SCENARIO))
        topology = load_topology(REFERENCE)
        assert cost.estimate(scenario, topology).sqs_requests >= cost.estimate(without, topology).sqs_requests + 60
        from harness.load.plan import Budget, LoadPlan

        with pytest.raises(Exception, match="expect_at_least: a toy"):
            LoadPlan.build([scenario], Budget(messages=10), "r", "r.l", 1, rate=10)
        bad = _write(tmp_path, SCENARIO + "expect_at_least: {queue: nope, count: 0}\n")
        with pytest.raises(Exception) as err:
            load_scenario(bad)
        assert "expect_at_least.queue" in str(err.value) and "expect_at_least.count" in str(err.value)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"s{len(list(tmp_path.iterdir()))}.scenario.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("kind", expectations.registry(), ids=lambda k: k.key)
def test_every_registered_expectation_is_costed_and_says_whether_load_judges_it(kind: type[Expectation]) -> None:
    assert "cost" in vars(kind), f"{kind.__name__} must say what it costs (Expectation.cost), even when it is nothing"
    assert isinstance(kind.load, str) and kind.load, f"{kind.__name__} must set load: SUPPORTED or why load refuses it"
    if kind.load != SUPPORTED:
        assert "\n" not in kind.load and len(kind.load) < 200, "load's refusal is one line"


def test_subscription_dead_letter_costs_its_dlq_polls_and_load_refuses_it_in_one_line(tmp_path: Path) -> None:
    base = f"name: sdl\ntopology: {REFERENCE}\nsend: {{from: A/us-east-1, topic: orders, count: 10}}\n"
    with_dlq = load_scenario(_write(tmp_path, base + "subscription_dead_letter: {queue: b-eu, within: 30s}\n"))
    quiet = load_scenario(_write(tmp_path, base + "expect_not: [{queue: c-us, within: 30s}]\n"))  # 30 s of idle polls only
    topology = load_topology(REFERENCE)
    extra = cost.estimate(with_dlq, topology).sqs_requests - cost.estimate(quiet, topology).sqs_requests
    assert extra == 10 + 10, "beside 30 s of idle polls, the DLQ's 10 messages are received and deleted"
    from harness.load.plan import Budget, LoadPlan

    with pytest.raises(Exception) as err:
        LoadPlan.build([with_dlq], Budget(messages=10), "r", "r.l", 1, rate=10)
    [line] = str(err.value).splitlines()
    assert "subscription_dead_letter:" in line and "harness run" in line


def test_the_run_record_keeps_every_registered_group(tmp_path: Path) -> None:
    settings = Settings.from_env({}, state_dir=tmp_path)
    manifest = Manifest("r1", "localstack", None, "t", "t.yaml", "applying", "3.39.0")
    manifest.save(settings)
    data = json.loads(Manifest.path_for("r1", settings).read_text())
    assert {k.group for k in kinds.kinds()} <= set(data), "every kind's group is in the record, empty or not"
    assert Manifest.load("r1", settings).resources.keys() >= {"topics", "queues"}

