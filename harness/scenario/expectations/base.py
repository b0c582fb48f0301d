"""What an expectation is: one protocol every ``expect*`` section of a scenario file implements.

An expectation is one class (one module under :mod:`harness.scenario.expectations`): its YAML key,
how it is read and validated, the queues it watches while the scenario sends, what it waits for,
how it is judged into objectives, what it costs on AWS and whether ``harness load`` can judge it.
The loader, the runner, the cost estimate, the load planner and the reports iterate
:func:`harness.scenario.expectations.registry`; none of them names an expectation.

The hooks, in the order a scenario meets them:

- :meth:`Expectation.read` (file format) and :meth:`Expectation.cross_check` (against the others);
  :meth:`Expectation.implied` (one the scenario gets without writing it: payload accounting);
- :meth:`Expectation.reads_from`, :meth:`Expectation.functions_read` (the access step judges the
  consumers' hops);
- :meth:`Expectation.function_behaviour`, :meth:`Expectation.watches`, :meth:`Expectation.outage`
  (before sending; a scenario's faults are applied there), :meth:`Expectation.send_failed` (a
  publish a fault made fail: counted, not fatal);
- :meth:`Expectation.arrivals`, :meth:`Expectation.quiet_for` (what the wait waits for);
- :meth:`Expectation.judge` (after the wait; verdicts, failures and objectives), or
  :meth:`Expectation.partial` when the scenario could not finish;
- :meth:`Expectation.cost` (``harness cost`` and the AWS cost guard);
- :attr:`Expectation.load` (``harness load``: ``"supported"`` or why it is refused).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from harness.scenario.format.model import Send
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.payload.consumer import Consumer
    from harness.provision.fault_journal import FaultJournal
    from harness.provision.manifest import Manifest, ResourceEntry
    from harness.provision.sessions import Sessions
    from harness.scenario.cost import CostContext
    from harness.scenario.execute.failure_watch import FailureRecord
    from harness.scenario.execute.function_watch import Receipt
    from harness.scenario.execute.watch import QueueWatch
    from harness.scenario.format.model import Scenario
    from harness.scenario.judge.facts import Sent
    from harness.scenario.judge.measure import PathKey
    from harness.scenario.judge.objectives import Objective
    from harness.scenario.judge.verdicts import PathVerdict

SUPPORTED = "supported"


@dataclass
class ReadContext:
    """What a reader needs: the topology, the scenario's sends (read first) and its top-level fields."""

    topology: Topology
    sends: list[Send]
    top: dict[str, Node]
    read: dict[str, list[Any]] = field(default_factory=dict)  # key -> what was read so far (for cross-checks)

    def of(self, kind: type[Expectation]) -> list[Any]:
        return [e for e in self.read.get(kind.key, []) if isinstance(e, kind)]


@dataclass(frozen=True)
class Watch:
    """A queue the scenario watches while it sends: its consumer verifies and records the scenario's
    messages; ``receivers`` long-poll in parallel (None: the default). ``queue`` may be a function's
    key (:func:`harness.scenario.execute.function_watch.function_key`): its receipts queue."""

    queue: str
    delete_payloads: bool = False
    receivers: int | None = None


@dataclass(frozen=True)
class Arrival:
    """What the wait waits for: every message of ``sends`` (indexes; None: all of the scenario's)
    in ``queue`` (or a function's watch), each within ``within`` seconds of its send; with ``every``
    only the messages whose sequence number is not one of every ``every``-th (those go elsewhere)."""

    queue: str
    within: float
    sends: tuple[int, ...] | None = None
    skip_every: int = 0  # leave out every k-th message (seq % k == k - 1); 0: none
    only_every: int = 0  # count only every k-th message; 0: all


class RunContext(Protocol):
    """What the runner lends an expectation while judging (:class:`harness.scenario.execute.runner`)."""

    scenario: Scenario

    def watch(self, queue: str) -> QueueWatch: ...
    def has_watch(self, queue: str) -> bool: ...
    def paths_to(self, queue: str) -> dict[PathKey, list[Sent]]: ...
    def paths_to_function(self, function: str, routes: Sequence[tuple[int, str]]) -> dict[PathKey, list[Sent]]: ...
    def receipts(self, function: str) -> list[Receipt]: ...
    def failure_records(self, queue: str) -> list[FailureRecord]: ...
    def path(self, send: Send | None, queue: str) -> PathKey: ...
    def requested_rate(self, key: PathKey) -> float | None: ...
    def sent(self) -> list[Sent]: ...
    def add(self, verdict: PathVerdict) -> None: ...
    def fail(self, message: str) -> None: ...
    def objective(self, objective: Objective) -> None: ...
    def consumer(self, queue: str) -> Consumer: ...
    def new_watch(self, queue: str) -> QueueWatch: ...
    def outage_of(self, queue: str) -> AbstractContextManager[None]: ...
    def still_stored(self, pointers: Sequence[tuple[str, str]]) -> set[tuple[str, str]]: ...
    def sessions(self) -> Sessions: ...
    def manifest(self) -> Manifest: ...
    def journal(self) -> FaultJournal | None: ...  # where applied infrastructure faults are recorded until undone
    def token(self) -> str: ...
    def planned(self, queue: str) -> list[str]: ...
    def bucket(self) -> ResourceEntry | None: ...
    def share(self) -> dict[str, Any]: ...
    def section(self, name: str, value: dict[str, Any]) -> None: ...


class Expectation(ABC):
    """One expectation of a scenario. Subclasses are frozen dataclasses carrying what was read."""

    key: ClassVar[str]  # the scenario file's key: "expect"
    many: ClassVar[bool] = True  # a list of entries (False: one mapping or scalar)
    needs_send: ClassVar[bool] = True  # checks the messages of send:, so a scenario without one may not have it
    one_send_only: ClassVar[bool] = False  # follows the messages of one send: refused with sends: [several]
    load: ClassVar[str]  # SUPPORTED, or one line saying why `harness load` refuses it
    keys: ClassVar[tuple[str, ...]] = ()  # the fields of one entry (docs and schema)

    # -- the file format --------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        """The entries under ``node`` (the value of :attr:`key`), or None after recording problems."""

    @classmethod
    def implied(cls, r: ReadContext) -> list[Expectation]:
        """Entries a scenario has without writing the key (called for kinds absent from the file)."""
        return []

    @classmethod
    def cross_check(cls, r: ReadContext, node: Node) -> bool:
        """Checks against the other expectations, once all are read (``r.read``); False on a problem."""
        return True

    # -- running --------------------------------------------------------------------------------
    def reads_from(self) -> list[tuple[str, bool]]:
        """(queue, deletes payloads) for each queue whose consumer this expectation runs: the access
        step judges their receive, payload and key hops before anything is sent."""
        return []

    def functions_read(self) -> list[tuple[str, bool]]:
        """(function, deletes payloads) for each Lambda function whose deliveries this expectation
        judges: the access step judges its hops (invocation or polling, payload and key reads)."""
        return []

    def function_behaviour(self) -> list[tuple[str, dict[str, Any]]]:
        """(function, what it should do with this scenario's messages: ``reject``, ``fail_every``,
        ``slow_ms``, ``delete_payloads``), set on the function before the scenario sends."""
        return []

    def watches(self) -> list[Watch]:
        return []

    def outage(self, run: RunContext) -> AbstractContextManager[None] | None:
        """Something taken away while the scenario sends and waits (None: nothing)."""
        return None

    def send_failed(self, error: BaseException, correlation_ids: Sequence[str]) -> bool:
        """A publish of ``correlation_ids`` failed with ``error``: True when this expectation caused
        it (an injected fault) and took note, so the scenario goes on; False lets the error stand."""
        return False

    def arrivals(self, scenario: Scenario) -> list[Arrival]:
        return []

    def quiet_for(self) -> float:
        """Seconds after the last send during which a watched queue must stay quiet (0: none)."""
        return 0.0

    def judge(self, run: RunContext) -> None:
        """After the wait: verdicts per path, failures, notes (through ``run``)."""
        return None

    def partial(self, run: RunContext) -> list[PathVerdict]:
        """When the scenario could not finish: the counts of the paths this expectation judges
        (what was sent and received until then; no verdicts on a cut-short run)."""
        return []

    # -- cost -----------------------------------------------------------------------------------
    @abstractmethod
    def cost(self, c: CostContext) -> None:
        """Add what this expectation makes the harness and AWS do on top of the sends."""

    def load_refusal(self) -> str | None:
        """Why ``harness load`` refuses this entry (None: it takes it); :attr:`load` by default."""
        return None if self.load == SUPPORTED else self.load


def one_line_problem(expectations: Sequence[Expectation]) -> str | None:
    """The first expectation ``harness load`` refuses, as one line (None: every one is supported)."""
    for e in expectations:
        why = e.load_refusal()
        if why is not None:
            return f"{e.key}: {why}"
    return None
