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
    expect_denied:                      # accesses that must be refused (harness.scenario.expectations.expect_denied)
      - {from: "999999999999/us-east-1", action: send, queue: b-eu}

A scenario needs ``send:`` (or ``sends:``, :mod:`.sends`) with expectations (each a registered
expectation, :mod:`harness.scenario.expectations`), or ``expect_denied:``, or both. The topology a scenario
names must also pass the static access check (:mod:`harness.access.static`): its modules must
authorise every subscription, publisher, producer and reader it declares. With ``preflight``
(``harness validate``), each scenario's own path hops are judged too, as the run's access step
would judge them (:mod:`harness.scenario.format.preflight`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from harness.access.static import check_topology_access
from harness.errors import InputFileError, Problem
from harness.scenario.expectations import ReadContext, registry
from harness.scenario.expectations.base import Expectation
from harness.scenario.format.model import Scenario
from harness.scenario.format.preflight import check_scenario_access
from harness.scenario.format.sends import read_sends
from harness.scenario.format.units import parse_duration, parse_size
from harness.topology.loader import load_topology
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, load_yaml, quote

__all__ = [
    "load_scenario",
    "parse_size",
    "parse_duration",
    "discover_scenarios",
    "validate_scenario_files",
    "check_scenario_files",
    "scenario_file_problems",
    "top_keys",
]

NAME_RE = r"[a-z0-9][a-z0-9-]{0,63}"
COMMON_KEYS = ("name", "description", "topology", "send", "sends")


def top_keys() -> tuple[str, ...]:
    """The fields a scenario file may have: its own, then one per registered expectation."""
    return COMMON_KEYS + tuple(kind.key for kind in registry())


class _Reader:
    def __init__(self, root: Node, path: Path, topologies: dict[Path, Topology | InputFileError] | None = None, preflight: bool = False):
        self.root = root
        self.preflight = preflight
        self.path = path
        self.topology: Topology | None = None
        self.topology_error: InputFileError | None = None  # the named topology's own problems
        self._topologies = topologies if topologies is not None else {}

    def run(self) -> Scenario | None:
        top = self.root.mapping(allowed=top_keys(), required=("name", "topology"))
        if top is None:
            return None
        name = top["name"].string(pattern=NAME_RE, what="scenario name", hint="use lowercase letters, digits and hyphens") if "name" in top else None
        description = top["description"].string(what="description") if "description" in top else ""
        if "topology" in top:
            self._topology(top["topology"])
        if self.topology is None:
            return None  # every later check needs the topology; its own problems are already recorded
        kinds = [k for k in registry() if k.key in top]
        one_send_only = tuple(k.key for k in kinds if k.one_send_only)
        sends, sends_ok = read_sends(self.topology, top, one_send_only)
        if "send" not in top and "sends" not in top:
            if not any(not k.needs_send for k in kinds):
                self.root.problem(
                    "missing required field 'send'; add send: {from: <account>/<region>, topic: <name>} with expect:, "
                    "or list accesses that must be refused under expect_denied:",
                    field="send",
                )
            for kind in kinds:
                if kind.needs_send:
                    top[kind.key].problem(f"{kind.key} checks the messages of send:, and this scenario sends none; add send: or remove {kind.key}")
        ctx = ReadContext(self.topology, sends, top)
        ok = sends_ok
        for kind in kinds:
            entries = kind.read(ctx, top[kind.key])
            ctx.read[kind.key] = entries or []
            ok = ok and entries is not None
        for kind in kinds:
            ok = kind.cross_check(ctx, top[kind.key]) and ok
        if not ok or name is None:
            return None
        expectations: list[Expectation] = [e for kind in kinds for e in ctx.read[kind.key]]
        if sends:  # what a scenario gets without writing it (payload accounting where it offloads)
            expectations += [e for kind in registry() if kind.key not in top for e in kind.implied(ctx)]
        scenario = Scenario(
            name=name,
            source=str(self.path),
            topology_file=self.topology.source,
            description=description or "",
            send=sends[0] if sends else None,
            more_sends=tuple(sends[1:]),
            expectations=tuple(expectations),
        )
        if not self.preflight:
            return scenario
        # What the run's access step would refuse before sending, refused now (harness.scenario.format.preflight).
        return scenario if check_scenario_access(scenario, self.topology, top, self.root) else None

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
            count = len(loaded.errors)
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
                    f"({len(err.errors)} problem{'s' if len(err.errors) != 1 else ''}; run `harness validate --topology {rel}`)"
                )


def load_scenario(path: str | os.PathLike[str], preflight: bool = False) -> Scenario:
    """Read and validate one scenario file (and the topology it names); raises InputFileError."""
    path = Path(path)
    root = load_yaml(path)
    scenario = _Reader(root, path, preflight=preflight).run()
    root.problems.raise_if_any()
    assert scenario is not None
    return scenario


def discover_scenarios(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("*.scenario.yaml"))


def check_scenario_files(
    paths: Iterable[str | os.PathLike[str]], topologies: dict[Path, Topology | InputFileError] | None = None, preflight: bool = False
) -> tuple[list[Scenario], list[Problem]]:
    """The scenarios that validate, and every problem of every file — errors and warnings, those of
    each topology they name once, after the first scenario naming it. ``topologies``: the ones
    loaded already, by resolved path (``harness validate --topology T`` passes T's, so a scenario
    naming T reports T's problems as the same lines, once). ``preflight``: also refuse what the run's
    access step would refuse under the policies the topology's modules write (``harness validate``;
    the run itself judges the policies applied then, which may have been edited since)."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    topologies = topologies if topologies is not None else {}
    reported: set[int] = set()  # topologies whose own problems are listed already
    for raw in paths:
        path = Path(raw)
        try:
            root = load_yaml(path)
        except InputFileError as err:
            problems.extend(err.problems)
            continue
        reader = _Reader(root, path, topologies, preflight)
        scenario = reader.run()
        problems.extend(root.problems.items)
        named = reader.topology_error or reader.topology
        if named is not None and id(named) not in reported:
            reported.add(id(named))
            problems.extend(named.problems if isinstance(named, InputFileError) else named.warnings)
        if scenario is not None and not root.problems:
            scenarios.append(scenario)
    return scenarios, problems


def scenario_file_problems(paths: Iterable[str | os.PathLike[str]]) -> list[Problem]:
    """Every problem of every scenario file (and of each topology they name, once), in file order."""
    return check_scenario_files(paths)[1]


def validate_scenario_files(paths: Iterable[str | os.PathLike[str]]) -> list[Scenario]:
    """Load every scenario file without an applied run, or raise one InputFileError with ALL problems
    (warnings included) when any of them is an error.

    The problems of a topology a scenario names follow that scenario's own (once per topology).
    """
    scenarios, problems = check_scenario_files(paths)
    if any(p.is_error for p in problems):
        raise InputFileError(problems)
    return scenarios
