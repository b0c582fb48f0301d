"""The static check (:mod:`harness.access.static`) as a topology *file* check: ``file:line: field:``.

Topology validation is an earlier stage than access, so the check cannot run inside
:func:`harness.topology.loader.load_topology`; the places that drive validation call
:func:`check_topology_access` right after loading: ``harness validate`` / ``harness up`` (cli),
the scenario loader (so ``harness run`` and the pytest plugin refuse too) and the driver before it
applies (:mod:`harness.run`). The field of each problem (``subscriptions[orders->b-eu]``,
``buckets.payloads.readers``, ...) is mapped back to its line in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.access.static import raise_if_unauthorised
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, load_yaml

_SUBSCRIPTION = re.compile(r"^subscriptions\[(?P<topic>[^\]]+?)->(?P<queue>[^\]]+)\](?:\.(?P<rest>.+))?$")


def _child(node: Node | None, key: str) -> Node | None:
    if node is None:
        return None
    for name, _, value in node.entries() or []:
        if name == key:
            return value
    return None


def _scalar(node: Node | None) -> str | None:
    return node.raw if node is not None and node.kind == "scalar" else None


def line_resolver(root: Node) -> Callable[[str], int]:
    """``field → line`` for the fields :mod:`harness.access.static` reports (the nearest existing
    node's line; 1 when nothing matches)."""

    def line_of(field: str) -> int:
        sub = _SUBSCRIPTION.match(field)
        if sub:
            subs = _child(root, "subscriptions")
            for item in (subs.items() if subs is not None and subs.kind == "list" else None) or []:
                if _scalar(_child(item, "topic")) == sub["topic"] and _scalar(_child(item, "queue")) == sub["queue"]:
                    deeper = _child(item, sub["rest"]) if sub["rest"] else None
                    return (deeper or item).line
            return 1
        node, line = root, 1
        for part in field.split("."):
            node = _child(node, part)
            if node is None:
                break
            line = node.line
        return line

    return line_of


def check_topology_access(topology: Topology) -> None:
    """Raise :class:`~harness.errors.InputFileError` (``file:line: field: message``) when the
    topology declares a subscription, publisher, producer or reader its own modules' policies
    would refuse; nothing when every declared access is authorised."""
    root: Node | None = None

    def line_of(field: str) -> int:
        nonlocal root
        if root is None:
            root = load_yaml(topology.source)
        return line_resolver(root)(field)

    raise_if_unauthorised(topology, line_of)
