"""The resource-kind registry: one package per kind of thing a topology declares, registered here.

A kind is a folder, ``harness/kinds/<name>/``, holding the kind's slice of every stage, one module
per stage it takes part in (a stage it does not concern has no module):

=================  ===========  ==============================================================
module             stage        what it holds
=================  ===========  ==============================================================
``__init__.py``    foundation   a docstring: what the kind is
``spec.py``        topology     the model dataclass, its YAML section reader, its cross-checks,
                                the Terraform and physical names it takes (``PART``: a
                                :class:`harness.topology.kind.KindSpec`)
``provision.py``   provision    its Terraform module call, manifest entry and leftover sweep
                                (``PART``: a :class:`harness.provision.kind.ProvisionKind`)
``access.py``      access       the policy its module writes, how it is read back, the accesses
                                it declares (``PART``: a :class:`harness.access.kind.AccessKind`)
``cost.py``        scenario     what it costs on AWS while it exists (``PART``: a
                                :class:`harness.scenario.cost.KindCost`)
``report.py``      report       how reports draw and list it (``PART``: a
                                :class:`harness.report.kind.ReportKind`)
=================  ===========  ==============================================================

Each stage asks :func:`parts` for its slices and iterates them; no stage branches on a kind's
name. The stage rules hold inside a kind (``tests/unit/test_architecture.py`` maps each module
to its stage by name), so a kind's ``provision.py`` may import its ``spec.py``, never the reverse.

A new kind is one folder, its Terraform module under ``terraform/modules/`` and one line in
:data:`BUILTIN`. Extensions and tests may :func:`register` a kind whose parts are given directly.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

#: A kind's stage modules, in stage order.
STAGE_PARTS = ("spec", "provision", "access", "cost", "report")


@dataclass(frozen=True)
class Kind:
    """One registered kind. ``group`` names its section in a topology file (``queues:``), its key
    in the run manifest and in report.json's ``resources``. ``package`` holds its stage modules
    (each defines ``PART``); ``parts`` gives parts directly (they win over the package's)."""

    name: str
    group: str
    package: str | None = None
    parts: Mapping[str, object] = field(default_factory=dict)


#: The built-in kinds, in the order a topology file's sections are read: keys before what they
#: encrypt, queues and buckets before the functions that poll and read them, topics, queues and
#: functions before the subscriptions that join them.
BUILTIN: tuple[Kind, ...] = (
    Kind("key", "keys", "harness.kinds.key"),
    Kind("topic", "topics", "harness.kinds.topic"),
    Kind("queue", "queues", "harness.kinds.queue"),
    Kind("bucket", "buckets", "harness.kinds.bucket"),
    Kind("function", "functions", "harness.kinds.function"),
    Kind("subscription", "subscriptions", "harness.kinds.subscription"),
)

_registry: dict[str, Kind] = {k.name: k for k in BUILTIN}
_loaded: dict[tuple[str, str], object | None] = {}


def kinds() -> tuple[Kind, ...]:
    """Every registered kind, in registration order."""
    return tuple(_registry.values())


def get(name: str) -> Kind:
    """The kind called ``name``; a ValueError names the known ones."""
    try:
        return _registry[name]
    except KeyError:
        raise ValueError(f"unknown resource kind {name!r}; known: {', '.join(_registry)}") from None


def part(kind: Kind, stage: str) -> object | None:
    """``kind``'s slice of ``stage`` (one of :data:`STAGE_PARTS`), or None when it has none."""
    if stage not in STAGE_PARTS:
        raise ValueError(f"unknown stage part {stage!r}; use one of {', '.join(STAGE_PARTS)}")
    if stage in kind.parts:
        return kind.parts[stage]
    if kind.package is None:
        return None
    key = (kind.package, stage)
    if key not in _loaded:
        module_name = f"{kind.package}.{stage}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # the module exists but one of its imports does not
                raise
            _loaded[key] = None
        else:
            _loaded[key] = module.PART
    return _loaded[key]


def parts(stage: str) -> list[tuple[Kind, object]]:
    """(kind, its part) for every registered kind that takes part in ``stage``, in order."""
    found = [(k, part(k, stage)) for k in _registry.values()]
    return [(k, p) for k, p in found if p is not None]


def register(kind: Kind) -> Kind:
    """Add ``kind`` after the others (an extension's kind, or a test's)."""
    if kind.name in _registry:
        raise ValueError(f"a kind named {kind.name!r} is registered already")
    if any(k.group == kind.group for k in _registry.values()):
        raise ValueError(f"group {kind.group!r} belongs to another kind already")
    _registry[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    kind = _registry.pop(name, None)
    if kind is not None and kind.package is not None:
        for stage in STAGE_PARTS:
            _loaded.pop((kind.package, stage), None)


@contextmanager
def registered(kind: Kind) -> Iterator[Kind]:
    """``kind`` registered for the block (tests: a toy kind through the registry only)."""
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind.name)
