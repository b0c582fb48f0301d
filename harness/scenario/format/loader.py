"""Load and validate ``*.scenario.yaml`` files, cross-checked against the topology they name.

``load_scenario(path)`` returns one :class:`Scenario`; ``validate_scenario_files(paths)`` checks
many at once without an applied run (``harness validate`` / ``harness run`` before anything else)
and reports every problem of every file, including those of the topologies they name.

Every problem is one line, ``file:line: field: what is wrong and what to write instead`` (the same
reader as topology files, :mod:`harness.topology.sourced_yaml`). Format::

    name: fanout-small                  # [a-z0-9-]+
    description: A to B and C
    topology: reference.topology.yaml   # relative to this file
    send:                               # or sends: [{...}, {...}] (several, run concurrently)
      from: A/us-east-1                 # account/region of the sending client
      topic: orders                     # or queue: c-us (direct send)
      count: 10
      size: 1KiB                        # or sizes: [sns_limit-1, sns_limit, sns_limit+1] (cycled; on the wire)
      attributes: {kind: invoice, price: {type: Number, value: 20}}   # String | Number | Binary | String.Array
      group: g1                         # FIFO only
      dedup: unique                     # FIFO only: unique | repeat (each message sent twice)
      rate: 50                          # messages per second (optional)
      warmup: 2                         # excluded from latency figures
      offload: auto                     # auto | always (every payload through S3)
      senders: 4                        # publishers in parallel (batched; FIFO order per group kept)
    expect:
      - queue: b-eu
        within: 10s
        intact: true
        ordered: false                  # FIFO order per group
        duplicates: allowed             # allowed | forbidden
        latency: {p99: 500ms}
        delete_payloads: false
        receivers: 4                    # receivers long-polling this queue in parallel
    expect_not:
      - {queue: c-us, within: 3s}
    dead_letter: {queue: b-eu, rejections: 3, within: 30s}
    subscription_dead_letter: {queue: b-eu, within: 30s}   # SNS cannot deliver → the subscription's DLQ
    payload_deleted_after_ack: false
    expect_denied:                      # accesses that must be refused (harness.scenario.format.denied)
      - {from: "999999999999/us-east-1", action: send, queue: b-eu}

A scenario needs ``send:`` (or ``sends:``, :mod:`.read_sends`) with expectations, or ``expect_denied:``, or both. The topology a scenario
names must also pass the static access check (:mod:`harness.access.static`): its modules must
authorise every subscription, publisher, producer and reader it declares.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from harness.access.static import check_topology_access
from harness.errors import InputFileError, Problem
from harness.scenario.format.denied import read_expect_denied
from harness.scenario.format.model import DeadLetterCheck, Expect, ExpectDenied, ExpectNot, Latency, Scenario, Send
from harness.scenario.format.send_reader import queue_ref
from harness.scenario.format.sends import expect_not_problem, expect_problem, read_sends, read_subscription_dead_letter
from harness.scenario.format.units import parse_duration, parse_size, read_duration
from harness.topology.loader import load_topology
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, load_yaml, quote

__all__ = [
    "load_scenario",
    "parse_size",
    "parse_duration",
    "discover_scenarios",
    "validate_scenario_files",
    "scenario_file_problems",
]

NAME_RE = r"[a-z0-9][a-z0-9-]{0,63}"
TOP_KEYS = ("name", "description", "topology", "send", "sends", "expect", "expect_not", "dead_letter", "payload_deleted_after_ack", "expect_denied", "subscription_dead_letter")
NEEDS_SEND = ("expect", "expect_not", "dead_letter", "payload_deleted_after_ack", "subscription_dead_letter")
EXPECT_KEYS = ("queue", "within", "intact", "ordered", "duplicates", "latency", "delete_payloads", "receivers")
MAX_RECEIVERS = 32
LATENCY_KEYS = ("p50", "p90", "p99", "max")


class _Reader:
    def __init__(self, root: Node, path: Path, topologies: dict[Path, Topology | InputFileError] | None = None):
        self.root = root
        self.path = path
        self.topology: Topology | None = None
        self.topology_error: InputFileError | None = None  # the named topology's own problems
        self._topologies = topologies if topologies is not None else {}

    def run(self) -> Scenario | None:
        top = self.root.mapping(allowed=TOP_KEYS, required=("name", "topology"))
        if top is None:
            return None
        name = top["name"].string(pattern=NAME_RE, what="scenario name", hint="use lowercase letters, digits and hyphens") if "name" in top else None
        description = top["description"].string(what="description") if "description" in top else ""
        if "topology" in top:
            self._topology(top["topology"])
        if self.topology is None:
            return None  # every later check needs the topology; its own problems are already recorded
        topo = self.topology
        sends, sends_ok = read_sends(topo, top)
        denied: list[ExpectDenied | None] = read_expect_denied(topo, top["expect_denied"]) if "expect_denied" in top else []
        if "send" not in top and "sends" not in top:
            if "expect_denied" not in top:
                self.root.problem(
                    "missing required field 'send'; add send: {from: <account>/<region>, topic: <name>} with expect:, "
                    "or list accesses that must be refused under expect_denied:",
                    field="send",
                )
            for key in NEEDS_SEND:
                if key in top:
                    top[key].problem(f"{key} checks the messages of send:, and this scenario sends none; add send: or remove {key}")
        expected: dict[str, Node] = {}  # queue -> the expect item naming it
        expects: list[Expect | None] = []
        expect_items = (top["expect"].items() or []) if "expect" in top else []
        for item in expect_items:
            expect = self._expect(item, sends)
            expects.append(expect)
            if expect is not None:
                expected.setdefault(expect.queue, item)
        expect_nots = [self._expect_not(n, expected, sends) for n in (top["expect_not"].items() or [])] if "expect_not" in top else []
        dead_letter = self._dead_letter(top["dead_letter"]) if "dead_letter" in top else None
        sub_dlq = read_subscription_dead_letter(topo, top["subscription_dead_letter"], sends, list(expected)) if "subscription_dead_letter" in top else None
        deleted = top["payload_deleted_after_ack"].boolean() if "payload_deleted_after_ack" in top else False
        if deleted and len(expects) != 1:
            top["payload_deleted_after_ack"].problem(
                "needs exactly one expect queue: with fan-out, one consumer deleting the payload on ack "
                "would take it away from the others; split the scenario"
            )
        if "expect" in top and not expects and not expect_nots and dead_letter is None and sub_dlq is None:
            top["expect"].problem("a scenario needs at least one expectation; add - {queue: <name>, within: 10s}")
        if None in expects or None in expect_nots or None in denied or name is None:
            return None
        if not sends_ok or ("subscription_dead_letter" in top and sub_dlq is None):
            return None
        return Scenario(
            name=name,
            source=str(self.path),
            topology_file=topo.source,
            description=description or "",
            send=sends[0] if sends else None,
            more_sends=tuple(sends[1:]),
            subscription_dead_letter=sub_dlq,
            expect=tuple(e for e in expects if e is not None),
            expect_not=tuple(e for e in expect_nots if e is not None),
            dead_letter=dead_letter,
            payload_deleted_after_ack=bool(deleted),
            expect_denied=tuple(d for d in denied if d is not None),
        )

    def _topology(self, node: Node) -> None:
        rel = node.string(what="topology file path", hint="e.g. topology: reference.topology.yaml")
        if rel is None:
            return
        target = (self.path.parent / rel).resolve()
        if not target.is_file():
            node.problem(f"topology file {quote(rel)} not found next to this file ({target}); fix the path")
            return
        if target not in self._topologies:
            try:
                self._topologies[target] = load_topology(target)
            except InputFileError as err:
                self._topologies[target] = err
        loaded = self._topologies[target]
        if isinstance(loaded, InputFileError):
            self.topology_error = loaded
            count = len(loaded.problems)
            node.problem(
                f"topology {quote(rel)} is invalid ({count} problem{'s' if count != 1 else ''}; "
                f"run `harness validate --topology {rel}`)"
            )
        else:
            self.topology = loaded
            try:
                check_topology_access(loaded)
            except InputFileError as err:  # the modules would refuse what the topology declares
                self._topologies[target] = err
                self.topology, self.topology_error = None, err
                node.problem(
                    f"topology {quote(rel)} declares access its own modules would not authorise "
                    f"({len(err.problems)} problem{'s' if len(err.problems) != 1 else ''}; run `harness validate --topology {rel}`)"
                )

    def _expect(self, node: Node, sends: list[Send]) -> Expect | None:
        assert self.topology is not None
        f = node.mapping(allowed=EXPECT_KEYS, required=("queue", "within"))
        if f is None:
            return None
        queue = queue_ref(self.topology, f["queue"]) if "queue" in f else None
        within = read_duration(f["within"]) if "within" in f else None
        if queue and sends and (why := expect_problem(self.topology, sends, queue)):
            f["queue"].problem(why)
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
            values = {k: read_duration(v) for k, v in fields.items()}
            latency = Latency(**{k: (v * 1000.0 if v is not None else None) for k, v in values.items()})
        delete_payloads = f["delete_payloads"].boolean() if "delete_payloads" in f else False
        receivers = f["receivers"].integer(min=1, max=MAX_RECEIVERS, hint="receivers in parallel, e.g. receivers: 4") if "receivers" in f else 4
        if queue is None or within is None or intact is None or ordered is None or receivers is None:
            return None
        return Expect(queue, within, bool(intact), bool(ordered), duplicates == "allowed", latency, bool(delete_payloads), receivers)

    def _expect_not(self, node: Node, expected: dict[str, Node], sends: list[Send]) -> ExpectNot | None:
        assert self.topology is not None
        f = node.mapping(allowed=("queue", "within"), required=("queue", "within"))
        if f is None:
            return None
        queue = queue_ref(self.topology, f["queue"]) if "queue" in f else None
        within = read_duration(f["within"]) if "within" in f else None
        if queue is not None and queue in expected:
            first = expected[queue]
            f["queue"].problem(
                f"queue {queue} is also under expect ({first.field}, line {first.line}); it cannot both "
                "receive these messages and not receive them, so remove one of the two"
            )
            return None
        if queue and (why := expect_not_problem(self.topology, sends, queue)):
            f["queue"].problem(why)
            return None
        return ExpectNot(queue, within) if queue and within else None

    def _dead_letter(self, node: Node) -> DeadLetterCheck | None:
        assert self.topology is not None
        f = node.mapping(allowed=("queue", "rejections", "within"), required=("queue", "within"))
        if f is None:
            return None
        queue = queue_ref(self.topology, f["queue"]) if "queue" in f else None
        within = read_duration(f["within"]) if "within" in f else None
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
    """Read and validate one scenario file (and the topology it names); raises InputFileError."""
    path = Path(path)
    root = load_yaml(path)
    scenario = _Reader(root, path).run()
    root.problems.raise_if_any()
    assert scenario is not None
    return scenario


def discover_scenarios(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("*.scenario.yaml"))


def _validate(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Scenario], list[Problem]]:
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    topologies: dict[Path, Topology | InputFileError] = {}
    reported: set[int] = set()  # topologies whose own problems are listed already
    for raw in paths:
        path = Path(raw)
        try:
            root = load_yaml(path)
        except InputFileError as err:
            problems.extend(err.problems)
            continue
        reader = _Reader(root, path, topologies)
        scenario = reader.run()
        problems.extend(root.problems.items)
        if reader.topology_error is not None and id(reader.topology_error) not in reported:
            reported.add(id(reader.topology_error))
            problems.extend(reader.topology_error.problems)
        if scenario is not None and not root.problems:
            scenarios.append(scenario)
    return scenarios, problems


def scenario_file_problems(paths: Iterable[str | os.PathLike[str]]) -> list[Problem]:
    """Every problem of every scenario file (and of each topology they name, once), in file order."""
    return _validate(paths)[1]


def validate_scenario_files(paths: Iterable[str | os.PathLike[str]]) -> list[Scenario]:
    """Load every scenario file without an applied run, or raise one InputFileError with ALL problems.

    The problems of a topology a scenario names follow that scenario's own (once per topology).
    """
    scenarios, problems = _validate(paths)
    if problems:
        raise InputFileError(problems)
    return scenarios
