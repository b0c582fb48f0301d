"""Cost guard: what a scenario would cost on real AWS, estimated before anything is sent.

The estimate counts what the harness and the services do for one scenario on its topology:

- SNS publishes and SQS requests (send, SNS → SQS delivery, receive, delete, idle long-polls),
  each billed per started 64 KiB chunk of its payload;
- offloaded payloads (over the path's threshold from :mod:`harness.payload.wire`, empty ones,
  ``offload: always``): S3 PUT (multipart above one part), storage prorated over
  ``storage_hours``, a ranged GET per part for every consumer;
- data transfer: SNS deliveries into a queue in another region, and either internet egress for
  everything the harness downloads (``runner_outside_aws``, the default: a GitHub-hosted runner)
  or inter-region transfer when the bucket's region differs from the consumer's.

- standing costs of the topology's resources while the run holds them (a KMS key's monthly fee,
  prorated), one row per topology: each kind's ``cost.py`` (:class:`KindCost`).

What the sends cost is :class:`~.context.CostContext`'s; what the harness's consumers and checks
add is each expectation's own (:meth:`harness.scenario.expectations.base.Expectation.cost`), so a
new expectation is costed where it is written. It is an upper bound on purpose: free tiers are
ignored, filter policies are assumed to let every message through, and a rejecting consumer
downloads the payload on every receive. The prices come from a dated table (``prices.json`` in
this package, us-east-1 list prices; :mod:`.prices`). :func:`check_budget` refuses a run whose
total is over the limit, with the table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, cast

from harness import kinds as kinds_registry
from harness.scenario.cost.context import CostContext
from harness.scenario.cost.prices import (
    DEFAULT_MAX_COST_USD,
    DEFAULT_STORAGE_HOURS,
    GIB,
    PRICES_FILE,
    CostEstimate,
    CostLimitError,
    LineItem,
    Prices,
    Tally,
)
from harness.scenario.format.loader import load_scenario
from harness.scenario.format.model import Scenario
from harness.topology.loader import load_topology
from harness.topology.model import Topology


def estimate(
    scenario: Scenario,
    topology: Topology,
    prices: Prices | None = None,
    *,
    storage_hours: float = DEFAULT_STORAGE_HOURS,
    runner_outside_aws: bool = True,
) -> CostEstimate:
    """The estimated AWS cost of running ``scenario`` once on ``topology`` (see the module doc): each
    send's messages, plus what each of the scenario's expectations adds (registered expectations
    cost themselves, :meth:`harness.scenario.expectations.base.Expectation.cost`)."""
    prices = prices or Prices.load()
    est = CostEstimate(scenario=scenario.name, file=scenario.source)
    t = Tally(prices)
    for send in scenario.sends:
        c = CostContext(t, topology, send, runner_outside_aws=runner_outside_aws, storage_hours=storage_hours)
        for expectation in scenario.expectations:
            expectation.cost(c)
        est.messages += send.count * (2 if send.dedup == "repeat" else 1)
    return t.finish(est)


class KindCost:
    """What a resource kind provides to the estimate (its ``cost.py``): what one entry costs while
    the run holds it, whatever the scenarios send (a KMS key's monthly fee, prorated)."""

    kind: ClassVar[str]
    group: ClassVar[str]

    def standing(self, name: str, spec: Any, prices: Prices, hours: float) -> list[LineItem]:
        return []


def kind_costs() -> list[KindCost]:
    """The registered kinds' cost parts, in registry order."""
    return [cast(KindCost, p) for _, p in kinds_registry.parts("cost")]


def standing_costs(topology: Topology, prices: Prices | None = None, hours: float = DEFAULT_STORAGE_HOURS) -> CostEstimate | None:
    """What the topology's resources cost while the run holds them (``hours``: until the next
    night's sweep, should ``down`` fail), as one row; None when nothing is billed standing."""
    prices = prices or Prices.load()
    items = [i for k in kind_costs() for name, spec in topology.of(k.group).items() for i in k.standing(name, spec, prices, hours)]
    if not items:
        return None
    return CostEstimate(scenario=f"(topology {topology.name}: standing)", file=topology.source, items=items)


def estimate_all(
    scenarios: Iterable[Scenario],
    topology: Topology | Mapping[str, Topology],
    prices: Prices | None = None,
    **options: float | bool,
) -> list[CostEstimate]:
    """Estimates for ``scenarios`` on one ``topology``, or on the topology each names
    (a mapping from :attr:`Scenario.topology_file` to the loaded topology)."""
    prices = prices or Prices.load()
    out = []
    standing: dict[str, CostEstimate | None] = {}
    for sc in scenarios:
        topo = topology if isinstance(topology, Topology) else topology[sc.topology_file]
        out.append(estimate(sc, topo, prices, **options))  # type: ignore[arg-type]
        if topo.source not in standing:
            hours = float(options.get("storage_hours", DEFAULT_STORAGE_HOURS))
            standing[topo.source] = standing_costs(topo, prices, hours)
    return out + [e for e in standing.values() if e is not None]


def estimate_files(
    scenario_files: Iterable[str | Path],
    topology_file: str | Path | None = None,
    prices: Prices | None = None,
    **options: float | bool,
) -> list[CostEstimate]:
    """Load scenario files (and the topology each names, or ``topology_file`` for all of them, as
    the AWS run will use it) and estimate them; input errors raise :class:`InputFileError`."""
    scenarios = [load_scenario(f) for f in scenario_files]
    if topology_file is not None:
        return estimate_all(scenarios, load_topology(topology_file), prices, **options)
    topologies = {sc.topology_file: load_topology(sc.topology_file) for sc in scenarios}
    return estimate_all(scenarios, topologies, prices, **options)


def _gib(nbytes: int) -> str:
    return f"{nbytes / GIB:.3f}"


def format_table(estimates: Iterable[CostEstimate], prices: Prices | None = None, *, itemised: bool = False) -> str:
    """A plain-text (and Markdown) table: one row per scenario and the total; ``itemised`` adds
    each scenario's line items."""
    estimates = list(estimates)
    prices = prices or Prices.load()
    lines = [
        "| scenario | messages | requests | S3 GiB stored | inter-region GiB | egress GiB | USD |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in estimates:
        lines.append(
            f"| {e.scenario} | {e.messages} | {e.requests} | {_gib(e.s3_bytes)} | {_gib(e.inter_region_bytes)} | "
            f"{_gib(e.egress_bytes)} | {e.usd:.4f} |"
        )
    total = sum(e.usd for e in estimates)
    lines.append(
        f"| **total** | {sum(e.messages for e in estimates)} | {sum(e.requests for e in estimates)} | "
        f"{_gib(sum(e.s3_bytes for e in estimates))} | {_gib(sum(e.inter_region_bytes for e in estimates))} | "
        f"{_gib(sum(e.egress_bytes for e in estimates))} | {total:.4f} |"
    )
    if itemised:
        for e in estimates:
            lines += ["", f"{e.scenario}:"]
            lines += [f"  {i.what:<32} {i.quantity:>14.4f} {i.unit:<16} ${i.usd:.4f}" for i in e.items]
    lines += ["", f"Prices as of {prices.as_of} (us-east-1 list prices, free tiers ignored; {PRICES_FILE.name})."]
    return "\n".join(lines)


def check_budget(estimates: Iterable[CostEstimate], max_usd: float = DEFAULT_MAX_COST_USD, prices: Prices | None = None) -> None:
    """Raise :class:`CostLimitError` with the table when the estimated total is over ``max_usd``."""
    estimates = list(estimates)
    if max_usd < 0 or math.isnan(max_usd):
        raise CostLimitError(f"--max-cost-usd must be a non-negative amount in USD, not {max_usd}.")
    total = sum(e.usd for e in estimates)
    if total <= max_usd:
        return
    worst = max(estimates, key=lambda e: e.usd)
    raise CostLimitError(
        f"the scenarios would cost about ${total:.2f} on AWS, over the limit of ${max_usd:.2f}; nothing was sent.\n"
        f"{format_table(estimates, prices)}\n"
        f"Most of it is {worst.scenario} (${worst.usd:.2f}). Make it smaller (count, size), leave it out, or "
        f"raise the limit if the spend is intended: --max-cost-usd {math.ceil(total)}."
    )
