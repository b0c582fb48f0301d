"""A scenario's faults while it runs: :func:`running` puts them on for the send and the wait (the
injector on every client of the run's sessions, the consumer faults on their queues' watches, the
kit's retries counted, the infrastructure faults applied at their ``from`` and undone after their
``for`` by :class:`Schedule` — and whatever is still applied undone when the block is left: an
error, or a SIGINT or SIGTERM, which the CLI raises as KeyboardInterrupt in the scenario's thread).
:class:`FaultsRun` is what the outcome expectations and the report read afterwards."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness import retry
from harness.scenario.faults.base import Fault, LiveFault
from harness.scenario.faults.infrastructure import InfrastructureFault, Undo, journaled
from harness.scenario.faults.inject import Injector, injected
from harness.scenario.faults.when import Trigger

if TYPE_CHECKING:
    from harness.scenario.expectations.base import RunContext

log = logging.getLogger(__name__)
SHARED_KEY = "faults"  # run.share(): the live faults, for the outcome expectations and the report


@dataclass
class FaultsRun:
    """A scenario's faults while it runs, shared with the outcome expectations (``run.share()``)."""

    live: list[LiveFault]
    unsent: dict[str, str] = field(default_factory=dict)  # correlation id -> why its publish failed
    retries: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # operation -> what -> n
    started_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def heard(self, operation: str, code: str, what: str) -> None:
        with self.lock:
            self.retries[operation][what] += 1
            self.retries[operation][f"code {code}"] += 1

    def windows(self) -> list[dict[str, Any]]:
        """When each fault was on (epoch seconds): for the recovery timeline."""
        return [{"kind": lf.fault.kind, "where": lf.fault.where(), "from": lf.log.applied_at, "to": lf.log.undone_at}
                for lf in self.live if lf.log.applied_at is not None]

    def ended_at(self) -> float | None:
        ends = [lf.log.undone_at for lf in self.live if lf.log.undone_at is not None]
        return max(ends) if ends else None


def shared(run: RunContext) -> FaultsRun | None:
    found = run.share().get(SHARED_KEY)
    return found if isinstance(found, FaultsRun) else None


_CURRENT: dict[int, tuple[FaultsRun, Injector]] = {}  # owner (the faults: section) -> its faults while on


def took(owner: object, error: BaseException, correlation_ids: Sequence[str]) -> bool:
    """A publish failed: when an injected fault of ``owner``'s (while on) caused it, the messages are
    counted as not published and the 'crashed' sender thread recovers; True then."""
    state = _CURRENT.get(id(owner))
    if state is None or not injected(error):
        return False
    faults, injector = state
    why = f"{retry.error_code(error.__cause__ or error)}: {type(error).__name__}"
    with faults.lock:
        for cid in correlation_ids:
            faults.unsent.setdefault(cid, why)
    injector.recovered()
    return True


@contextmanager
def running(owner: object, faults_: Sequence[Fault], run: RunContext) -> Iterator[None]:
    live = [LiveFault(f, Trigger(f.when)) for f in faults_]
    faults = FaultsRun(live, started_at=time.time())
    injector = Injector(run.token())
    run.share()[SHARED_KEY] = faults
    run.share()["injector"] = injector
    t0 = time.monotonic()
    for lf in live:
        lf.trigger.begin(t0)
    with ExitStack() as stack:
        stack.callback(_windows, live, faults.started_at)
        stack.callback(_CURRENT.pop, id(owner), None)
        _CURRENT[id(owner)] = (faults, injector)
        stack.callback(injector.uninstall)
        stack.callback(run.sessions().hook_clients(injector.install))
        stack.callback(retry.observe(faults.heard))
        timed: list[LiveFault] = []
        for lf in live:
            if isinstance(lf.fault, InfrastructureFault):
                timed.append(lf)
                continue
            on = lf.fault.start(lf, run)
            if on is not None:
                stack.enter_context(on)
        if timed:
            stack.enter_context(Schedule(timed, run, t0))
        yield


def _windows(live: list[LiveFault], started_at: float) -> None:
    """A consumer or API fault with a ``for`` was on from its ``from`` to its end (the recovery
    timeline's window), not from its first strike to the scenario's end."""
    now = time.time()
    for lf in live:
        w = lf.fault.when
        if isinstance(lf.fault, InfrastructureFault) or w.duration is None or lf.log.applied_at is None:
            continue
        lf.log.applied_at = started_at + w.start
        lf.log.undone_at = min(now, started_at + w.start + w.duration)


class Schedule:
    """Applies each infrastructure fault at its ``from`` and undoes it after its ``for``; whatever is
    still applied when the block is left is undone then, in this (the scenario's) thread."""

    def __init__(self, live: list[LiveFault], run: RunContext, t0: float):
        self.live, self.run, self.t0 = live, run, t0
        self.undo: dict[int, Undo] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._loop, daemon=True, name="faults")

    def __enter__(self) -> Schedule:
        for i, lf in enumerate(self.live):
            if lf.fault.when.start <= 0:
                self._apply(i, lf)  # before the first send, in this thread
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        for i in list(self.undo):
            self._undo(i)
        if self.error is not None and exc[0] is None:
            raise self.error

    def _apply(self, i: int, lf: LiveFault) -> None:
        assert isinstance(lf.fault, InfrastructureFault)
        with self.lock:
            if i in self.undo or lf.log.applied_at is not None or self.stop.is_set() and lf.fault.when.start > 0:
                return
            self.undo[i] = journaled(lf.fault, lf, self.run)
            lf.log.opened()
            lf.log.note("applied")
            log.info("fault %s applied on %s", lf.fault.kind, lf.fault.where())

    def _undo(self, i: int) -> None:
        with self.lock:
            undo = self.undo.pop(i, None)
            if undo is None:
                return
            lf = self.live[i]
            try:
                undo()
            except Exception as exc:  # noqa: BLE001 - reported on the fault and raised after the others were undone
                lf.log.undo_error = f"{type(exc).__name__}: {exc}"
                self.error = self.error or exc
            lf.log.closed()
            lf.log.note("undone")
            log.info("fault %s undone on %s", lf.fault.kind, lf.fault.where())

    def _loop(self) -> None:
        try:
            while not self.stop.wait(0.05):
                now = time.monotonic() - self.t0
                for i, lf in enumerate(self.live):
                    w = lf.fault.when
                    if lf.log.applied_at is None and now >= w.start:
                        self._apply(i, lf)
                    elif i in self.undo and w.duration is not None and now >= w.start + w.duration:
                        self._undo(i)
        except Exception as exc:  # thread boundary: raised in the scenario's thread on exit
            log.exception("applying or undoing a fault failed")
            self.error = self.error or exc


def report(faults: FaultsRun, target: str, unsent: dict[str, str], fates: dict[str, Counter[str]] | None = None) -> dict[str, Any]:
    """The report's ``faults`` section (``fates``: what became of each message on its queues)."""
    messages: dict[str, Counter[str]] = defaultdict(Counter)
    for cid, events in (fates or {}).items():
        messages[cid].update(events)
    for lf in faults.live:
        for cid, events in lf.log.messages.items():
            messages[cid].update(events)
    for cid, why in unsent.items():
        messages[cid][f"not published ({why})"] += 1
    return {
        "target": target,
        "injected": [lf.as_dict(target) for lf in faults.live],
        "retries": {op: dict(c) for op, c in sorted(faults.retries.items())},
        "not_published": len(unsent),
        "messages": {cid: dict(ev) for cid, ev in sorted(messages.items())[:200]},
        "windows": faults.windows(),
    }
