"""What a resource kind provides to the reports (its ``report.py``): how the delivery diagram draws
its entries and how report.json's ``resources`` (and the reports' resource tables) describe them.

The reports iterate :func:`report_kinds`; the diagram's producer node is the reports' own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from harness import kinds as registry


@dataclass(frozen=True)
class NodeLook:
    """How a node of the delivery diagram looks: its Mermaid shape (``{}`` is the label), fill and
    stroke colours, and its column in the SVG (``producer``, ``middle``, ``end`` where paths end in
    queues, or ``consumer``: a function, right of the queues it polls)."""

    shape: str
    fill: str
    stroke: str
    column: str


PRODUCER = NodeLook('(["{}"])', "#f6f8fa", "#57606a", "producer")


class ReportKind:
    """One kind's part of the reports. The default describes an entry by where it lives and what
    it is called, and does not draw it."""

    kind: ClassVar[str]
    group: ClassVar[str]
    look: ClassVar[NodeLook | None] = None  # None: not a node of the delivery diagram

    def describe(self, name: str, entry: Any) -> dict[str, Any]:
        """The entry as report.json's ``resources`` lists it."""
        return {"account": entry.account, "region": entry.region, "name": entry.name}


def report_kinds() -> list[ReportKind]:
    """The registered kinds' report parts, in registry order."""
    return [cast(ReportKind, p) for _, p in registry.parts("report")]


def looks() -> dict[str, NodeLook]:
    """Node kind → look, for every kind the diagram draws (the producer included)."""
    return {"producer": PRODUCER, **{k.kind: k.look for k in report_kinds() if k.look is not None}}


def describe_all(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """group → name → description, for every kind with a report part (a run record's entries)."""
    return {k.group: {n: k.describe(n, e) for n, e in resources.get(k.group, {}).items()} for k in report_kinds()}
