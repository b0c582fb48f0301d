"""The faults a scenario may inject, registered in one place (see :mod:`.base` for the protocol).

Each is one class with its ``kind``: the consumer faults of :mod:`.consumer`, the client API faults
of :mod:`.api` and the infrastructure faults of :mod:`.infrastructure`. The scenario's ``faults:``
key (:mod:`harness.scenario.expectations.faults`, itself a registered expectation) reads entries through :func:`by_kind`; the
docs, the schema, the cost estimate and the load planner iterate :func:`registry`. Extensions and
tests may :func:`register` one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from harness.scenario.faults.api import API_FAULTS
from harness.scenario.faults.base import Fault
from harness.scenario.faults.consumer import CONSUMER_FAULTS
from harness.scenario.faults.infrastructure import INFRASTRUCTURE_FAULTS

BUILTIN: tuple[type[Fault], ...] = (*CONSUMER_FAULTS, *API_FAULTS, *INFRASTRUCTURE_FAULTS)
_registry: list[type[Fault]] = list(BUILTIN)


def registry() -> tuple[type[Fault], ...]:
    return tuple(_registry)


def by_kind(kind: str) -> type[Fault] | None:
    return next((k for k in _registry if k.kind == kind), None)


def register(kind: type[Fault]) -> None:
    if by_kind(kind.kind) is not None:
        raise ValueError(f"a fault of kind {kind.kind!r} is registered already")
    _registry.append(kind)


def unregister(kind: type[Fault]) -> None:
    if kind in _registry:
        _registry.remove(kind)


@contextmanager
def registered(kind: type[Fault]) -> Iterator[type[Fault]]:
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind)


__all__ = ["BUILTIN", "Fault", "by_kind", "register", "registered", "registry", "unregister"]
