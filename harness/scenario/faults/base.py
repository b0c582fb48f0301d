"""What a fault is: one protocol every entry of a scenario's ``faults:`` list implements.

A fault is one class (one ``kind:``) in one of three families:

- ``consumer``: the harness's own consumer of a queue misbehaves (crashes after receiving, is
  slower than the visibility timeout, rejects, stops for a while) — :mod:`.consumer`;
- ``api``: the harness's own clients meet an error or a delay on chosen operations, injected inside
  botocore (:mod:`.inject`) so the kit's retry policy meets it exactly as a real one — :mod:`.api`;
- ``infrastructure``: a resource is changed through the API for a while and put back as it was
  (on every exit: the ``finally`` of the scenario's ``with``, which a SIGINT or SIGTERM unwinds
  too) — :mod:`.infrastructure`.

Each fault says where (:meth:`Fault.where`), what, when (:class:`~.when.When`), whether the target
can show it (:meth:`Fault.not_observable_on`: the reason, or None), what it costs and whether
``harness load`` supports it. The scenario's ``faults:`` key (:mod:`harness.scenario.expectations.faults`, registered as an
expectation) reads the list through :func:`harness.scenario.faults.registry` and runs them.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.faults.when import Trigger, When
from harness.topology.sourced_yaml import Node

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext
    from harness.scenario.expectations.base import ReadContext, RunContext, Watch
    from harness.scenario.judge.objectives import Objective

CONSUMER, API, INFRASTRUCTURE = "consumer", "api", "infrastructure"
LOAD_REFUSED = "a fault is injected and undone per scenario run, not under a load run's shared streams; use `harness run`"


@dataclass
class FaultLog:
    """What one fault did during a scenario (thread-safe through :meth:`note`)."""

    applied_at: float | None = None  # epoch seconds: the fault took effect (infrastructure) or its window opened
    undone_at: float | None = None  # epoch seconds: put back, or its window closed
    events: Counter[str] = field(default_factory=Counter)  # "injected", "crashed", "rejected", ...
    messages: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # cid -> event -> n
    undo_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note(self, event: str, cid: str | None = None, n: int = 1) -> None:
        with self._lock:
            self.events[event] += n
            if cid:
                self.messages[cid][event] += n

    def mark(self, cid: str, what: str) -> None:
        """What happened to one message, without counting it as an event of the fault."""
        with self._lock:
            self.messages[cid][what] += 1

    def opened(self) -> None:
        if self.applied_at is None:
            self.applied_at = time.time()

    def closed(self) -> None:
        if self.applied_at is not None and self.undone_at is None:
            self.undone_at = time.time()


class Fault(ABC):
    """One fault of a scenario. Subclasses are frozen dataclasses carrying what was read, with a
    ``when`` and a ``line``; the runtime state lives in a :class:`FaultLog` and a :class:`Trigger`."""

    kind: ClassVar[str]  # the entry's kind: "consumer_crash"
    family: ClassVar[str]  # CONSUMER | API | INFRASTRUCTURE
    keys: ClassVar[tuple[str, ...]]  # its own fields (besides kind and the when fields)
    required: ClassVar[tuple[str, ...]] = ()
    load: ClassVar[str] = LOAD_REFUSED
    default_count: ClassVar[int | None] = None
    summary: ClassVar[str]  # one line for the docs: what it does and what it shows

    when: When
    line: int

    @classmethod
    @abstractmethod
    def read(cls, r: ReadContext, f: dict[str, Node], when: When, line: int) -> Fault | None:
        """The fault of one entry (its fields ``f``), or None after recording problems."""

    @abstractmethod
    def where(self) -> str:
        """``queue b-eu``, ``sns.Publish``, ``subscription orders → c-us``."""

    @abstractmethod
    def what(self) -> str:
        """``crash after receive, before delete``."""

    def not_observable_on(self, target: str) -> str | None:
        """Why ``target`` ("localstack" or "aws") cannot show this fault's effect (None: it can)."""
        return None

    def watches(self) -> list[Watch]:
        return []

    def settle_seconds(self) -> float:
        """How long after the last send the scenario's wait must go on for the fault's effect to show
        (a crashed consumer's message comes back after the visibility timeout); 0: no longer."""
        return 0.0

    def start(self, live: LiveFault, run: RunContext) -> AbstractContextManager[None] | None:
        """Install or apply the fault for the scenario's send and wait; the context's exit undoes it."""
        return None

    def objectives(self, live: LiveFault, run: RunContext) -> list[Objective]:
        """Objectives of the fault itself (e.g. it was injected at all); the outcome expectations
        (lost, duplicates, dead_lettered, …) judge what it did to the messages."""
        return []

    def cost(self, c: CostContext) -> None:
        return None


@dataclass
class LiveFault:
    """A fault while its scenario runs: the entry, its trigger and its log."""

    fault: Fault
    trigger: Trigger
    log: FaultLog = field(default_factory=FaultLog)
    context: dict[str, Any] = field(default_factory=dict)  # clients a fault holds while it is on

    def as_dict(self, target: str) -> dict[str, Any]:
        f = self.fault
        reason = f.not_observable_on(target)
        return {
            "kind": f.kind,
            "family": f.family,
            "where": f.where(),
            "what": f.what(),
            "when": f.when.as_dict(),
            "line": f.line,
            "observable": reason is None,
            **({"reason": reason} if reason else {}),
            "applied_at": self.log.applied_at,
            "undone_at": self.log.undone_at,
            **({"undo_error": self.log.undo_error} if self.log.undo_error else {}),
            "chances": self.trigger.chances,
            "fired": self.trigger.fired,
            "events": dict(self.log.events),
        }
