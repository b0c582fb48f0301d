"""The expectations a scenario may state, registered in one place.

Each is one class implementing :class:`~.base.Expectation` (its YAML key, reader, watches, judging,
cost, load support): :mod:`.expect`, :mod:`.expect_not`, :mod:`.dead_letter`,
:mod:`.subscription_dead_letter`, :mod:`.payloads_deleted`, :mod:`.expect_denied`, the scenario's
``faults:`` (:mod:`.faults`), the outcomes of :mod:`.outcomes` (``lost``,
``duplicates``, ``redelivered``, ``dead_lettered``), :mod:`.recovery` and the payload accounting of
:mod:`.payload_accounting` (``orphaned_payloads``, ``dangling_pointers``; implied where a scenario
offloads). The loader,
runner, cost estimate, load planner and reports iterate :func:`registry` in this order (a reader
may look at what an earlier one read: ``expect_not`` refuses a queue ``expect`` names). A new
expectation is one module and one line in :data:`BUILTIN`; extensions and tests may
:func:`register` one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from harness.scenario.expectations.base import SUPPORTED, Arrival, Expectation, ReadContext, RunContext, Watch
from harness.scenario.expectations.dead_letter import DeadLetterCheck
from harness.scenario.expectations.expect import Expect, Latency
from harness.scenario.expectations.expect_denied import ExpectDenied
from harness.scenario.expectations.expect_not import ExpectNot
from harness.scenario.expectations.faults import FaultsSection
from harness.scenario.expectations.outcomes import DeadLettered, Duplicates, Lost, Redelivered
from harness.scenario.expectations.payload_accounting import DanglingPointers, OrphanedPayloads
from harness.scenario.expectations.payloads_deleted import PayloadsDeleted
from harness.scenario.expectations.recovery import Recovery
from harness.scenario.expectations.subscription_dead_letter import SubscriptionDeadLetterCheck

# The faults are judged after the outcome expectations (their report says what became of each
# message, dead-letter queues polled to the end included), the payload accounting last (it lists
# what every other step left in the bucket).
BUILTIN: tuple[type[Expectation], ...] = (
    Expect, ExpectNot, DeadLetterCheck, SubscriptionDeadLetterCheck, PayloadsDeleted, ExpectDenied,
    Lost, Duplicates, Redelivered, DeadLettered, Recovery, FaultsSection, OrphanedPayloads, DanglingPointers,
)
_registry: list[type[Expectation]] = list(BUILTIN)


def registry() -> tuple[type[Expectation], ...]:
    return tuple(_registry)


def register(kind: type[Expectation]) -> None:
    if any(k.key == kind.key for k in _registry):
        raise ValueError(f"an expectation with the key {kind.key!r} is registered already")
    _registry.append(kind)


def unregister(kind: type[Expectation]) -> None:
    if kind in _registry:
        _registry.remove(kind)


@contextmanager
def registered(kind: type[Expectation]) -> Iterator[type[Expectation]]:
    """``kind`` registered for the block (tests: a toy expectation through the registry only)."""
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind)


__all__ = [
    "SUPPORTED",
    "Arrival",
    "DeadLetterCheck",
    "Expect",
    "ExpectDenied",
    "ExpectNot",
    "Expectation",
    "Latency",
    "PayloadsDeleted",
    "ReadContext",
    "RunContext",
    "SubscriptionDeadLetterCheck",
    "Watch",
    "register",
    "registered",
    "registry",
    "unregister",
]
