"""What a topology change does to delivery paths and to access, from the two topologies alone.

- **Delivery paths**: a subscription is a path from the topic's account/region (``via
  topic:<name>``) to the queue's account/region; a queue producer is a direct path from the
  producer's account, in the queue's region (``via queue:<name>``). Paths are compared by (via,
  sender, queue): *gained*, *lost*, *filter changed* (narrowed, widened or changed) and *kept*.
- **Access**: the access matrix (:func:`harness.access.matrix.access_matrix`) of each topology's
  policies as the Terraform modules render them (:func:`harness.access.static.rendered_policies`,
  logical names standing in for physical ones), compared cell by cell for resources and accounts
  present in both: who *gains* or *loses* publish / subscribe / send / receive / put / read / delete.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.access.deployment import Deployment
from harness.access.matrix import access_matrix
from harness.access.static import rendered_policies
from harness.topology.model import Topology

NARROWED, WIDENED, CHANGED = "narrowed", "widened", "changed"


@dataclass(frozen=True)
class DeliveryPath:
    via: str  # "topic:<name>" | "queue:<name>"
    sender: str  # account name of the publishing / sending client
    from_region: str
    queue: str
    to_account: str
    to_region: str
    filter_policy: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.via, self.sender, self.queue)

    @property
    def topic(self) -> str | None:
        return self.via.split(":", 1)[1] if self.via.startswith("topic:") else None

    @property
    def label(self) -> str:
        return f"{self.sender}/{self.from_region}/{self.via} -> {self.to_account}/{self.to_region}/{self.queue}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": {"account": self.sender, "region": self.from_region, "via": self.via},
            "to": {"account": self.to_account, "region": self.to_region, "queue": self.queue},
            "label": self.label,
        }


def delivery_paths(topology: Topology) -> dict[tuple[str, str, str], DeliveryPath]:
    """Every delivery path of ``topology`` to a queue, by key (a function's are not probed by
    ``harness change``: its probes are read from queues)."""
    paths: dict[tuple[str, str, str], DeliveryPath] = {}
    for sub in topology.queue_subscriptions:
        t, q = topology.topics[sub.topic], topology.queues[sub.queue]
        p = DeliveryPath(f"topic:{sub.topic}", t.account, t.region, sub.queue, q.account, q.region, sub.filter_policy)
        paths[p.key] = p
    for name, q in topology.queues.items():
        for producer in q.producers:
            p = DeliveryPath(f"queue:{name}", producer, q.region, name, q.account, q.region)
            paths[p.key] = p
    return paths


def _plain(policy: Mapping[str, Any]) -> dict[str, set[str]] | None:
    """A filter policy of exact string matches only, as key → allowed values; None otherwise."""
    out: dict[str, set[str]] = {}
    for k, v in policy.items():
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return None
        out[k] = set(v)
    return out


def filter_direction(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str | None:
    """How a subscription's filter policy changed: None (same), narrowed, widened or changed."""
    if before == after:
        return None
    if before is None:
        return NARROWED
    if after is None:
        return WIDENED
    b, a = _plain(before), _plain(after)
    if b is None or a is None:
        return CHANGED
    if set(a) >= set(b) and all(a[k] <= b[k] for k in b):
        return NARROWED
    if set(b) >= set(a) and all(b[k] <= a[k] for k in a):
        return WIDENED
    return CHANGED


@dataclass(frozen=True)
class FilterChange:
    path: DeliveryPath
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    direction: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.path.as_dict(), "before": self.before, "after": self.after, "direction": self.direction}


@dataclass
class PathDiff:
    gained: list[DeliveryPath] = field(default_factory=list)
    lost: list[DeliveryPath] = field(default_factory=list)
    filter_changed: list[FilterChange] = field(default_factory=list)
    kept: list[DeliveryPath] = field(default_factory=list)  # in both (NEW's form): the probe's paths

    def as_dict(self) -> dict[str, Any]:
        return {
            "gained": [p.as_dict() for p in self.gained],
            "lost": [p.as_dict() for p in self.lost],
            "filter_changed": [f.as_dict() for f in self.filter_changed],
            "kept": [p.as_dict() for p in self.kept],
        }


def path_diff(base: Topology, new: Topology) -> PathDiff:
    before, after = delivery_paths(base), delivery_paths(new)
    diff = PathDiff()
    diff.gained = [after[k] for k in sorted(set(after) - set(before))]
    diff.lost = [before[k] for k in sorted(set(before) - set(after))]
    for k in sorted(set(before) & set(after)):
        diff.kept.append(after[k])
        direction = filter_direction(before[k].filter_policy, after[k].filter_policy)
        if direction is not None:
            diff.filter_changed.append(FilterChange(after[k], before[k].filter_policy, after[k].filter_policy, direction))
    return diff


@dataclass(frozen=True)
class AccessChange:
    kind: str  # topic | queue | bucket | delivery
    resource: str  # logical name; deliveries "<topic>-><queue>"
    capability: str  # publish, send, read, ... ("deliver" for SNS → queue)
    account: str  # account name ("sns" for deliveries)
    change: str  # gained | lost

    @property
    def line(self) -> str:
        if self.kind == "delivery":
            return f"SNS delivery {self.resource}: {self.change}"
        return f"{self.account} {'gains' if self.change == 'gained' else 'loses'} {self.capability} on {self.kind} {self.resource}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "resource": self.resource, "capability": self.capability, "account": self.account, "change": self.change}


def _allowed(topology: Topology) -> tuple[dict[tuple[str, str, str, str], bool], dict[str, bool]]:
    matrix = access_matrix(Deployment.from_topology(topology), rendered_policies(topology))
    cells = {(c.kind, c.resource, c.capability, c.account): c.decision.allowed for c in matrix.cells}
    deliveries = {f"{d.topic}->{d.queue}": d.decision.allowed for d in matrix.deliveries}
    return cells, deliveries


def access_diff(base: Topology, new: Topology) -> list[AccessChange]:
    """Cells of the access matrix that flip between BASE and NEW (resources and accounts in both)."""
    b_cells, b_del = _allowed(base)
    n_cells, n_del = _allowed(new)
    out = []
    for key in sorted(set(b_cells) & set(n_cells)):
        if b_cells[key] != n_cells[key]:
            kind, resource, capability, account = key
            out.append(AccessChange(kind, resource, capability, account, "gained" if n_cells[key] else "lost"))
    for path in sorted(set(b_del) & set(n_del)):
        if b_del[path] != n_del[path]:
            out.append(AccessChange("delivery", path, "deliver", "sns", "gained" if n_del[path] else "lost"))
    return out
