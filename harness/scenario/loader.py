"""Load and validate ``*.scenario.yaml`` files, cross-checked against the topology they name.

Every problem is one line, ``file:line: field: what is wrong and what to write instead`` (the same
reader as topology files, :mod:`harness.topology.sourced_yaml`). Format::

    name: fanout-small                  # [a-z0-9-]+
    description: A to B and C
    topology: reference.topology.yaml   # relative to this file
    send:
      from: A/us-east-1                 # account/region of the sending client
      topic: orders                     # or queue: c-us (direct send)
      count: 10
      size: 1KiB                        # or sizes: [256KiB-1, 256KiB, 256KiB+1] (cycled)
      attributes: {kind: invoice}
      group: g1                         # FIFO only
      dedup: unique                     # FIFO only: unique | repeat (each message sent twice)
      rate: 50                          # messages per second (optional)
      warmup: 2                         # excluded from latency figures
      offload: auto                     # auto | always (every payload through S3)
    expect:
      - queue: b-eu
        within: 10s
        intact: true
        ordered: false                  # FIFO order per group
        duplicates: allowed             # allowed | forbidden
        latency: {p99: 500ms}
        delete_payloads: false
    expect_not:
      - {queue: c-us, within: 3s}
    dead_letter: {queue: b-eu, rejections: 3, within: 30s}
    payload_deleted_after_ack: false
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from harness.errors import InputFileError
from harness.payload import wire
from harness.scenario.model import DeadLetterCheck, Expect, ExpectNot, Latency, Scenario, Send, Size
from harness.topology.loader import load_topology
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, join_names, load_yaml, quote, suggest

__all__ = ["load_scenario", "parse_size", "parse_duration", "discover_scenarios"]

MAX_PAYLOAD = 2 * 1024**3  # what the extended clients support
MAX_COUNT = 100_000
MAX_WITHIN = 900.0
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
SIZE_RE = re.compile(r"(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*(?:([+-])\s*(\d+))?")
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m)")
UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "KB": 1000, "MB": 1000**2, "GB": 1000**3}
SIZE_HINT = "write a size like 1KiB, 5MiB, 256KiB+1 or 1MiB-1 (up to 2GiB)"
DURATION_HINT = "write a duration like 500ms, 10s or 2m"

TOP_KEYS = ("name", "description", "topology", "send", "expect", "expect_not", "dead_letter", "payload_deleted_after_ack")
SEND_KEYS = ("from", "topic", "queue", "count", "size", "sizes", "attributes", "group", "dedup", "rate", "warmup", "offload", "bucket")
ATTRIBUTE_ALLOWANCE = 4096
EXPECT_KEYS = ("queue", "within", "intact", "ordered", "duplicates", "latency", "delete_payloads")
LATENCY_KEYS = ("p50", "p90", "p99", "max")


def parse_size(text: str) -> int | None:
    m = SIZE_RE.fullmatch(text.strip())
    if not m:
        return None
    base = int(m.group(1)) * UNITS[m.group(2)]
    if m.group(3):
        delta = int(m.group(4))
        base = base + delta if m.group(3) == "+" else base - delta
    return base


def parse_duration(text: str) -> float | None:
    m = DURATION_RE.fullmatch(text.strip())
    if not m:
        return None
    value = float(m.group(1))
    return {"ms": value / 1000.0, "s": value, "m": value * 60.0}[m.group(2)]


class _Reader:
    def __init__(self, root: Node, path: Path):
        self.root = root
        self.path = path
        self.topology: Topology | None = None

    def _scalar_text(self, node: Node, what: str, hint: str) -> str | None:
        """Sizes/durations may be written as bare numbers (``0``) or text (``5MiB``)."""
        if node.kind == "scalar" and not node.is_null and node.raw is not None:
            return str(node.raw)
        node.problem(f"expected {what} but found {node.describe()}; {hint}")
        return None

    def size(self, node: Node) -> Size | None:
        text = self._scalar_text(node, "a size", SIZE_HINT)
        if text is None:
            return None
        value = parse_size(text)
        if value is None or value < 0 or value > MAX_PAYLOAD:
            node.problem(f"{quote(text)} is not a payload size between 0 and 2GiB; {SIZE_HINT}")
            return None
        return Size(text.replace(" ", ""), value)

    def duration(self, node: Node) -> float | None:
        text = self._scalar_text(node, "a duration", DURATION_HINT)
        if text is None:
            return None
        value = parse_duration(text)
        if value is None or value <= 0 or value > MAX_WITHIN:
            node.problem(f"{quote(text)} is not a duration between 1ms and 15m; {DURATION_HINT}")
            return None
        return value

    def queue_ref(self, node: Node) -> str | None:
        name = node.string(what="queue name")
        if name is None or self.topology is None:
            return name
        if name not in self.topology.queues:
            node.problem(
                f"no queue {quote(name)} in topology {quote(self.topology.name)}; use one of "
                f"{join_names(self.topology.queues)}{suggest(name, self.topology.queues)}"
            )
            return None
        return name

    # -- sections ---------------------------------------------------------------------------
    def run(self) -> Scenario | None:
        top = self.root.mapping(allowed=TOP_KEYS, required=("name", "topology", "send"))
        if top is None:
            return None
        name = top["name"].string(pattern=NAME_RE, what="scenario name", hint="use lowercase letters, digits and hyphens") if "name" in top else None
        description = top["description"].string(what="description") if "description" in top else ""
        if "topology" in top:
            self._topology(top["topology"])
        if self.topology is None:
            return None  # every later check needs the topology; its own problems are already recorded
        send = self._send(top["send"]) if "send" in top else None
        expects = [self._expect(n, send) for n in (top["expect"].items() or [])] if "expect" in top else []
        expect_nots = [self._expect_not(n) for n in (top["expect_not"].items() or [])] if "expect_not" in top else []
        dead_letter = self._dead_letter(top["dead_letter"]) if "dead_letter" in top else None
        deleted = top["payload_deleted_after_ack"].boolean() if "payload_deleted_after_ack" in top else False
        if deleted and len(expects) != 1:
            top["payload_deleted_after_ack"].problem(
                "needs exactly one expect queue: with fan-out, one consumer deleting the payload on ack "
                "would take it away from the others; split the scenario"
            )
        if "expect" in top and not expects and not expect_nots and dead_letter is None:
            top["expect"].problem("a scenario needs at least one expectation; add - {queue: <name>, within: 10s}")
        if None in expects or None in expect_nots or send is None or name is None:
            return None
        return Scenario(
            name=name,
            source=str(self.path),
            topology_file=self.topology.source,
            description=description or "",
            send=send,
            expect=tuple(e for e in expects if e is not None),
            expect_not=tuple(e for e in expect_nots if e is not None),
            dead_letter=dead_letter,
            payload_deleted_after_ack=bool(deleted),
        )

    def _topology(self, node: Node) -> None:
        rel = node.string(what="topology file path", hint="e.g. topology: reference.topology.yaml")
        if rel is None:
            return
        target = (self.path.parent / rel).resolve()
        if not target.is_file():
            node.problem(f"topology file {quote(rel)} not found next to this file ({target}); fix the path")
            return
        try:
            self.topology = load_topology(target)
        except InputFileError as err:
            node.problem(f"topology {quote(rel)} is invalid ({len(err.problems)} problems; run `harness validate --topology {rel}`)")

    def _send(self, node: Node) -> Send | None:
        assert self.topology is not None
        topo = self.topology
        f = node.mapping(allowed=SEND_KEYS, required=("from",))
        if f is None:
            return None
        ok = True
        account = region = None
        if "from" in f:
            origin = f["from"].string(what="origin", hint="write from: <account>/<region>, e.g. from: A/us-east-1")
            if origin is not None:
                account, _, region = origin.partition("/")
                if account not in topo.accounts:
                    f["from"].problem(f"unknown account {quote(account)}; use one of {join_names(topo.accounts)}{suggest(account, topo.accounts)}")
                    ok = False
                if region not in topo.regions:
                    f["from"].problem(f"region {quote(region)} is not in the topology's regions; use one of {join_names(topo.regions)}")
                    ok = False
        if ("topic" in f) == ("queue" in f):
            node.problem("name exactly one target: topic: <name> (through SNS) or queue: <name> (direct to SQS)")
            return None
        topic = queue = None
        fifo = False
        if "topic" in f:
            topic = f["topic"].string(what="topic name")
            if topic is not None and topic not in topo.topics:
                f["topic"].problem(f"no topic {quote(topic)} in the topology; use one of {join_names(topo.topics)}{suggest(topic, topo.topics)}")
                topic = None
            if topic is None:
                return None
            fifo = topo.topics[topic].fifo
            t = topo.topics[topic]
            if account and account != t.account and account not in t.publishers:
                f["from"].problem(f"account {account} may not publish to topic {topic} (owner {t.account}); add it to the topic's publishers or send from {t.account}")
                ok = False
        else:
            queue = self.queue_ref(f["queue"])
            if queue is None:
                return None
            q = topo.queues[queue]
            fifo = q.fifo
            if account and account != q.account and account not in q.producers:
                f["from"].problem(f"account {account} may not send to queue {queue} (owner {q.account}); add it to the queue's producers or send from {q.account}")
                ok = False
        count = f["count"].integer(min=1, max=MAX_COUNT) if "count" in f else 1
        sizes: list[Size | None] = []
        if "size" in f and "sizes" in f:
            f["sizes"].problem("write either size: or sizes:, not both")
        elif "sizes" in f:
            sizes = [self.size(n) for n in (f["sizes"].items() or [])]
            if not sizes:
                f["sizes"].problem("list at least one size, e.g. sizes: [1KiB, 5MiB]")
        elif "size" in f:
            sizes = [self.size(f["size"])]
        else:
            sizes = [Size("1KiB", 1024)]
        attributes: dict[str, str] = {}
        if "attributes" in f:
            for key, value in (f["attributes"].mapping() or {}).items():
                text = value.string(what="attribute value")
                if text is not None:
                    attributes[key] = text
            if len(attributes) > 8:
                f["attributes"].problem(f"{len(attributes)} attributes; at most 8 fit beside the harness's own (SQS allows 10)")
        group = f["group"].string(what="message group id") if "group" in f else None
        if fifo and group is None and "group" not in f:
            node.problem("the target is FIFO: add group: <message group id>")
            ok = False
        if not fifo and "group" in f:
            f["group"].problem("group applies only to FIFO targets; remove it")
            ok = False
        dedup = "unique"
        if "dedup" in f:
            dedup = f["dedup"].string(pattern=r"unique|repeat", what="dedup mode", hint="write unique or repeat") or "unique"
            if not fifo:
                f["dedup"].problem("dedup applies only to FIFO targets; remove it")
                ok = False
        rate = None
        if "rate" in f:
            rate = f["rate"].integer(min=1, max=10_000, hint="messages per second")
        warmup = f["warmup"].integer(min=0, max=MAX_COUNT) if "warmup" in f else 0
        if count is not None and warmup is not None and warmup >= count:
            f["warmup"].problem(f"warmup {warmup} leaves no measured message out of count {count}; lower it")
            ok = False
        offload = f["offload"].string(pattern=r"auto|always", what="offload mode", hint="write auto or always") if "offload" in f else "auto"
        bucket = self._bucket(f, node, account, sizes, offload, wire.DEFAULT_SNS_THRESHOLD if topic else wire.DEFAULT_SQS_THRESHOLD)
        if not ok or None in sizes or count is None or warmup is None or offload is None or account is None or region is None:
            return None
        return Send(
            account=account,
            region=region,
            topic=topic,
            queue=queue,
            count=count,
            sizes=tuple(s for s in sizes if s is not None),
            attributes=attributes,
            group=group,
            dedup=dedup,
            rate=float(rate) if rate else None,
            warmup=warmup,
            offload=offload,
            bucket=bucket,
        )

    def _bucket(self, f: dict[str, Node], node: Node, account: str | None, sizes: list[Size | None], offload: str | None, threshold: int) -> str | None:
        """The payload bucket, and whether the sending account may write to it."""
        assert self.topology is not None
        topo = self.topology
        if "bucket" in f:
            name = f["bucket"].string(what="bucket name")
            if name is not None and name not in topo.buckets:
                f["bucket"].problem(f"no bucket {quote(name)} in the topology; use one of {join_names(topo.buckets)}")
                return None
            where = f["bucket"]
        else:
            name = next(iter(topo.buckets)) if len(topo.buckets) == 1 else None
            where = node
        # Attributes count towards the limit too: within a few KiB of it a payload may tip over.
        offloads = offload == "always" or any(s is not None and s.bytes > threshold - ATTRIBUTE_ALLOWANCE for s in sizes)
        if not offloads:
            return name
        if name is None:
            where.problem(f"payloads may go through S3 but the topology has {len(topo.buckets)} buckets; name one with bucket: <name>")
            return None
        owner = topo.buckets[name].account
        if account and account != owner:
            where.problem(
                f"payloads go to bucket {name}, which account {owner} owns, but the sender is {account}; "
                f"send from {owner} or give the bucket a writer"
            )
            return None
        return name

    def _expect(self, node: Node, send: Send | None) -> Expect | None:
        assert self.topology is not None
        f = node.mapping(allowed=EXPECT_KEYS, required=("queue", "within"))
        if f is None:
            return None
        queue = self.queue_ref(f["queue"]) if "queue" in f else None
        within = self.duration(f["within"]) if "within" in f else None
        if queue and send is not None:
            if send.topic and queue not in [s.queue for s in self.topology.subscriptions if s.topic == send.topic]:
                f["queue"].problem(
                    f"queue {queue} is not subscribed to topic {send.topic}, so it can never receive these; "
                    "subscribe it in the topology or move it to expect_not"
                )
                queue = None
            elif send.queue and queue != send.queue:
                f["queue"].problem(f"messages go straight to queue {send.queue}; expect that queue or send through a topic")
                queue = None
        intact = f["intact"].boolean() if "intact" in f else True
        ordered = f["ordered"].boolean() if "ordered" in f else False
        if ordered and queue and not self.topology.queues[queue].fifo:
            f["ordered"].problem(f"queue {queue} is a standard queue, which does not keep order; remove ordered or use a FIFO queue")
        duplicates = "allowed"
        if "duplicates" in f:
            duplicates = f["duplicates"].string(pattern=r"allowed|forbidden", what="duplicates mode", hint="write allowed or forbidden") or "allowed"
        latency = Latency()
        if "latency" in f:
            fields = f["latency"].mapping(allowed=LATENCY_KEYS, hint="e.g. latency: {p99: 500ms}") or {}
            values = {k: self.duration(v) for k, v in fields.items()}
            latency = Latency(**{k: (v * 1000.0 if v is not None else None) for k, v in values.items()})
        delete_payloads = f["delete_payloads"].boolean() if "delete_payloads" in f else False
        if queue is None or within is None or intact is None or ordered is None:
            return None
        return Expect(queue, within, bool(intact), bool(ordered), duplicates == "allowed", latency, bool(delete_payloads))

    def _expect_not(self, node: Node) -> ExpectNot | None:
        f = node.mapping(allowed=("queue", "within"), required=("queue", "within"))
        if f is None:
            return None
        queue = self.queue_ref(f["queue"]) if "queue" in f else None
        within = self.duration(f["within"]) if "within" in f else None
        return ExpectNot(queue, within) if queue and within else None

    def _dead_letter(self, node: Node) -> DeadLetterCheck | None:
        assert self.topology is not None
        f = node.mapping(allowed=("queue", "rejections", "within"), required=("queue", "within"))
        if f is None:
            return None
        queue = self.queue_ref(f["queue"]) if "queue" in f else None
        within = self.duration(f["within"]) if "within" in f else None
        if queue is None or within is None:
            return None
        redrive = self.topology.queues[queue].dead_letter
        if redrive is None:
            f["queue"].problem(f"queue {queue} has no dead_letter in the topology; add dead_letter: {{queue: <dlq>, max_receive_count: 3}} there")
            return None
        rejections = f["rejections"].integer(min=1, max=1000) if "rejections" in f else redrive.max_receive_count
        if rejections is None:
            return None
        if rejections < redrive.max_receive_count:
            f["rejections"].problem(
                f"{rejections} rejections never reach the queue's max_receive_count {redrive.max_receive_count}; "
                f"write rejections: {redrive.max_receive_count} or more"
            )
            return None
        return DeadLetterCheck(queue, redrive.queue, rejections, within)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    path = Path(path)
    root = load_yaml(path)
    scenario = _Reader(root, path).run()
    root.problems.raise_if_any()
    assert scenario is not None
    return scenario


def discover_scenarios(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("*.scenario.yaml"))
