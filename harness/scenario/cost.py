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

It is an upper bound on purpose: free tiers are ignored, filter policies are assumed to let every
message through, and a rejecting consumer downloads the payload on every receive. The prices come
from a dated table (``prices.json`` next to this module, us-east-1 list prices).
:func:`check_budget` refuses a run whose total is over the limit, with the table.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
from harness.payload import wire
from harness.payload.transfer import S3_MAX_PARTS, TransferSettings
from harness.scenario.format.loader import load_scenario
from harness.scenario.format.model import Scenario
from harness.topology.loader import load_topology
from harness.topology.model import Topology

PRICES_FILE = Path(__file__).with_name("prices.json")
DEFAULT_MAX_COST_USD = 5.0
DEFAULT_STORAGE_HOURS = 24.0  # until the next night's sweep, should `down` fail

CHUNK = 64 * 1024  # SNS/SQS bill each started 64 KiB of a request as one request
GIB = 1 << 30
HOURS_PER_MONTH = 730.0
POINTER_BYTES = 256  # the extended-client pointer body, rounded up
HARNESS_ATTRIBUTE_BYTES = 256  # correlation id, publish stamp: an allowance, rounded up
SNS_ENVELOPE_BYTES = 1024  # JSON envelope around a non-raw delivery, rounded up
IDLE_POLLS_PER_SECOND = 1.0  # receive calls while a watched queue stays empty (long polls are fewer)


class CostLimitError(HarnessError):
    """The estimated AWS cost of the scenarios is over the allowed maximum."""


@dataclass(frozen=True)
class Prices:
    """One dated price table (USD, us-east-1 list prices)."""

    as_of: str
    source: str
    sns_publish_per_million_chunks: float
    sns_fifo_publish_per_million_chunks: float
    sns_fifo_payload_per_gb: float
    sqs_requests_per_million_chunks: float
    sqs_fifo_requests_per_million_chunks: float
    s3_put_per_thousand: float
    s3_get_per_thousand: float
    s3_storage_per_gb_month: float
    inter_region_transfer_per_gb: float
    internet_egress_per_gb: float

    @classmethod
    def load(cls, path: Path = PRICES_FILE) -> Prices:
        """The table in ``path``; a :class:`HarnessError` says which field is missing or wrong."""
        try:
            data = json.loads(Path(path).read_text())
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise HarnessError(
                f"{path}: cannot read the price table ({type(exc).__name__}: {exc}); restore it from git or fix the field named."
            ) from exc


@dataclass(frozen=True)
class LineItem:
    what: str
    quantity: float
    unit: str
    usd: float


@dataclass
class CostEstimate:
    """What one scenario is expected to cost on AWS, with the figures it is built from."""

    scenario: str
    file: str
    messages: int = 0
    sns_requests: int = 0  # billed 64 KiB chunks
    sqs_requests: int = 0  # billed 64 KiB chunks
    s3_puts: int = 0
    s3_gets: int = 0
    s3_bytes: int = 0  # payload bytes stored
    inter_region_bytes: int = 0
    egress_bytes: int = 0
    items: list[LineItem] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.sns_requests + self.sqs_requests + self.s3_puts + self.s3_gets

    @property
    def usd(self) -> float:
        return sum(item.usd for item in self.items)


def _chunks(nbytes: int) -> int:
    return max(1, math.ceil(nbytes / CHUNK))


def _copies(count: int, n_sizes: int, index: int) -> int:
    """How many of ``count`` messages get the ``index``-th of ``n_sizes`` cycled sizes."""
    return count // n_sizes + (1 if index < count % n_sizes else 0)


class _Tally:
    """Accumulates quantities and money for one scenario."""

    def __init__(self, prices: Prices) -> None:
        self.p = prices
        self.sns = self.sns_fifo = self.sqs = self.sqs_fifo = 0
        self.sns_fifo_bytes = self.puts = self.gets = 0
        self.gib_hours = 0.0
        self.inter = self.egress = self.stored = 0

    def sqs_requests(self, n: int, fifo: bool) -> None:
        if fifo:
            self.sqs_fifo += n
        else:
            self.sqs += n

    def finish(self, est: CostEstimate) -> CostEstimate:
        p = self.p
        est.sns_requests = self.sns + self.sns_fifo
        est.sqs_requests = self.sqs + self.sqs_fifo
        est.s3_puts, est.s3_gets, est.s3_bytes = self.puts, self.gets, self.stored
        est.inter_region_bytes, est.egress_bytes = self.inter, self.egress
        rows = [
            ("SNS publish", self.sns, "64 KiB requests", self.sns * p.sns_publish_per_million_chunks / 1e6),
            ("SNS FIFO publish", self.sns_fifo, "64 KiB requests", self.sns_fifo * p.sns_fifo_publish_per_million_chunks / 1e6),
            ("SNS FIFO payload", self.sns_fifo_bytes / GIB, "GiB", self.sns_fifo_bytes / GIB * p.sns_fifo_payload_per_gb),
            ("SQS requests", self.sqs, "64 KiB requests", self.sqs * p.sqs_requests_per_million_chunks / 1e6),
            ("SQS FIFO requests", self.sqs_fifo, "64 KiB requests", self.sqs_fifo * p.sqs_fifo_requests_per_million_chunks / 1e6),
            ("S3 PUT (incl. multipart parts)", self.puts, "requests", self.puts * p.s3_put_per_thousand / 1e3),
            ("S3 GET (ranged, per consumer)", self.gets, "requests", self.gets * p.s3_get_per_thousand / 1e3),
            ("S3 storage", self.gib_hours / HOURS_PER_MONTH, "GiB-months", self.gib_hours / HOURS_PER_MONTH * p.s3_storage_per_gb_month),
            ("inter-region transfer", self.inter / GIB, "GiB", self.inter / GIB * p.inter_region_transfer_per_gb),
            ("internet egress to the runner", self.egress / GIB, "GiB", self.egress / GIB * p.internet_egress_per_gb),
        ]
        est.items = [LineItem(what, qty, unit, usd) for what, qty, unit, usd in rows if qty]
        return est


def _bucket_region(scenario: Scenario, topology: Topology) -> str:
    assert scenario.send is not None
    name = scenario.send.bucket or (next(iter(topology.buckets)) if len(topology.buckets) == 1 else None)
    bucket = topology.buckets.get(name) if name else None
    return bucket.region if bucket else scenario.send.region


def estimate(
    scenario: Scenario,
    topology: Topology,
    prices: Prices | None = None,
    *,
    storage_hours: float = DEFAULT_STORAGE_HOURS,
    runner_outside_aws: bool = True,
) -> CostEstimate:
    """The estimated AWS cost of running ``scenario`` once on ``topology`` (see the module doc).
    Several sends (``sends:``): the sum of each send's estimate."""
    if scenario.more_sends:
        parts = [
            estimate(dataclasses.replace(scenario, send=s, more_sends=()), topology, prices,
                     storage_hours=storage_hours, runner_outside_aws=runner_outside_aws)
            for s in scenario.sends
        ]
        total = CostEstimate(scenario=scenario.name, file=scenario.source)
        for part in parts:
            for name in ("messages", "sns_requests", "sqs_requests", "s3_puts", "s3_gets", "s3_bytes", "inter_region_bytes", "egress_bytes"):
                setattr(total, name, getattr(total, name) + getattr(part, name))
            total.items.extend(part.items)
        return total
    prices = prices or Prices.load()
    send = scenario.send
    if send is None:  # only expect_denied: a few refused calls, nothing billed worth counting
        return CostEstimate(scenario=scenario.name, file=scenario.source)
    t = _Tally(prices)
    via_topic = send.topic is not None
    threshold = wire.DEFAULT_SNS_THRESHOLD if via_topic else wire.DEFAULT_SQS_THRESHOLD
    attrs = {k: a.wire() for k, a in send.attributes.items()}
    attr_bytes = wire.attributes_bytes(attrs) + HARNESS_ATTRIBUTE_BYTES
    sends_per_message = 2 if send.dedup == "repeat" else 1
    part_size = TransferSettings().part_size
    bucket_region = _bucket_region(scenario, topology)

    topic = topology.topics[send.topic] if via_topic else None
    if topic is not None:
        targets = [(topology.queues[s.queue], s.raw_delivery) for s in topology.subscriptions if s.topic == topic.name]
        dest_region = topic.region
    else:
        targets = [(topology.queues[send.queue], True)] if send.queue in topology.queues else []
        dest_region = targets[0][0].region if targets else send.region
    receives = {e.queue: 1 for e in scenario.expect}
    if scenario.dead_letter:
        receives[scenario.dead_letter.queue] = receives.get(scenario.dead_letter.queue, 0) + scenario.dead_letter.rejections

    for index, size in enumerate(send.sizes):
        n = _copies(send.count, len(send.sizes), index) * sends_per_message
        if n == 0:
            continue
        s = max(0, size.bytes - attr_bytes) if size.on_wire else size.bytes  # on the wire: attributes included
        offload = s == 0 or send.offload == "always" or s + attr_bytes > threshold
        msg = (POINTER_BYTES if offload else s) + attr_bytes
        if offload:
            part = max(part_size, math.ceil(s / S3_MAX_PARTS))
            t.puts += n * (1 if s <= part else 2 + math.ceil(s / part))
            t.stored += n * s
            t.gib_hours += n * s / GIB * storage_hours
            if not runner_outside_aws and send.region != bucket_region:
                t.inter += n * s
        if not runner_outside_aws and send.region != dest_region:
            t.inter += n * msg
        if topic is not None:
            if topic.fifo:
                t.sns_fifo += n * _chunks(msg)
                t.sns_fifo_bytes += n * msg
            else:
                t.sns += n * _chunks(msg)
        # A FIFO topic or queue drops the repeated copy: deliveries count each message once.
        fifo_destination = topic.fifo if topic is not None else bool(targets and targets[0][0].fifo)
        delivered_n = n // sends_per_message if fifo_destination else n
        for queue, raw in targets:
            delivered = msg + (0 if raw else SNS_ENVELOPE_BYTES)
            if topic is not None:  # SNS → SQS delivery; a direct send is the send itself
                t.sqs_requests(delivered_n * _chunks(delivered), queue.fifo)
                if queue.region != topic.region:
                    t.inter += delivered_n * delivered
            else:
                t.sqs_requests(n * _chunks(delivered), queue.fifo)
            times = receives.get(queue.name, 0)
            if not times:
                continue
            # A rejected message is received `rejections` times, then once more from the dead-letter queue.
            got = delivered_n * (times + (1 if scenario.dead_letter and scenario.dead_letter.queue == queue.name else 0))
            t.sqs_requests(got * _chunks(delivered) + delivered_n, queue.fifo)  # receives + one delete
            if runner_outside_aws:
                t.egress += got * delivered
            if offload:
                t.gets += got * max(1, math.ceil(s / part_size))
                if runner_outside_aws:
                    t.egress += got * s
                elif bucket_region != queue.region:
                    t.inter += got * s
                if scenario.payload_deleted_after_ack:
                    t.gets += delivered_n  # HeadObject: is the payload gone?

    watched = [(e.queue, e.within) for e in scenario.expect] + [(e.queue, e.within) for e in scenario.expect_not]
    if scenario.dead_letter:
        watched.append((scenario.dead_letter.dead_letter_queue, scenario.dead_letter.within))
    for name, within in watched:
        queue = topology.queues.get(name)
        t.sqs_requests(math.ceil(within * IDLE_POLLS_PER_SECOND), bool(queue and queue.fifo))
    est = CostEstimate(scenario=scenario.name, file=scenario.source, messages=send.count * sends_per_message)
    return t.finish(est)


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
    for sc in scenarios:
        topo = topology if isinstance(topology, Topology) else topology[sc.topology_file]
        out.append(estimate(sc, topo, prices, **options))  # type: ignore[arg-type]
    return out


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
