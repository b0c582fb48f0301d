"""Hazards of a topology change: what it costs traffic, each with the token that acknowledges it.

| cause | token | cost |
| --- | --- | --- |
| queue replaced (a FIFO switch always is) | ``replace:<queue>`` | messages in it are lost; URL and ARN change |
| queue destroyed | ``destroy:<queue>`` | messages in it are lost |
| topic replaced | ``replace:<topic>`` | its subscriptions are recreated; what is published meanwhile is not delivered |
| topic destroyed | ``destroy:<topic>`` | every path through it stops |
| bucket replaced or destroyed | ``replace:`` / ``destroy:<bucket>`` | payloads in flight become unreadable |
| subscription removed | ``unsubscribe:<topic>-><queue>`` | the delivery path stops |
| subscription recreated | ``resubscribe:<topic>-><queue>`` | what is published meanwhile is not delivered |
| filter narrowed / changed | ``filter:<topic>-><queue>`` | messages it delivered before are newly filtered out |
| access lost | ``revoke:<resource>:<capability>:<account>`` | that account's calls are refused (a reader: offloaded payloads unreadable) |

``harness change --allow TOKEN`` acknowledges one hazard; an unacknowledged hazard fails the change.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from harness.change.diff import NARROWED, AccessChange, PathDiff
from harness.change.plan import DESTROYED, REPLACED, ResourceChange


@dataclass(frozen=True)
class Hazard:
    token: str  # what --allow takes
    subject: str  # "queue b-jobs (B/eu-west-1)"
    cost: str  # what it costs traffic

    @property
    def line(self) -> str:
        return f"{self.subject}: {self.cost} (acknowledge with --allow {self.token})"

    def as_dict(self, allowed: Collection[str] = ()) -> dict[str, object]:
        return {"token": self.token, "subject": self.subject, "cost": self.cost, "acknowledged": self.token in allowed}


def _where(c: ResourceChange) -> str:
    return f"{c.logical.kind} {c.logical.name} ({c.logical.account}/{c.logical.region})"


def _resource_hazard(c: ResourceChange) -> Hazard | None:
    kind, name, verb = c.logical.kind, c.logical.name, "replace" if c.action == REPLACED else "destroy"
    if c.action not in (REPLACED, DESTROYED):
        return None
    if kind == "queue":
        why = " (a FIFO switch forces the replacement)" if "fifo_queue" in c.replaced_by else ""
        cost = f"messages in it are lost{why}" + ("; its URL and ARN change" if c.action == REPLACED else "")
    elif kind == "topic":
        cost = (
            "its subscriptions are recreated: messages published meanwhile are not delivered"
            if c.action == REPLACED
            else "every delivery path through it stops"
        )
    elif kind == "bucket":
        cost = "offloaded payloads in flight become unreadable"
    else:
        return None  # subscriptions: judged from the path diff and below
    return Hazard(f"{verb}:{name}", _where(c), cost)


def hazards(changes: Iterable[ResourceChange], paths: PathDiff, access: Iterable[AccessChange]) -> list[Hazard]:
    """Every hazard of the change, resources first, then paths, then access."""
    changes = list(changes)
    found: list[Hazard] = [h for c in changes if (h := _resource_hazard(c)) is not None]
    replaced = {c.logical.name for c in changes if c.action == REPLACED and c.logical.kind in ("topic", "queue")}
    for c in changes:
        if c.logical.kind != "subscription" or c.action != REPLACED:
            continue
        topic, queue = c.logical.name.split("->", 1)
        if topic not in replaced and queue not in replaced:  # otherwise the topic's / queue's hazard says it
            found.append(Hazard(f"resubscribe:{c.logical.name}", _where(c), "recreated: messages published meanwhile are not delivered"))
    for p in paths.lost:
        if p.topic is not None:
            found.append(Hazard(f"unsubscribe:{p.topic}->{p.queue}", f"path {p.label}", "removed: the delivery path stops"))
    for f in paths.filter_changed:
        if f.direction != "widened":
            what = "narrowed" if f.direction == NARROWED else "changed"
            found.append(
                Hazard(f"filter:{f.path.topic}->{f.path.queue}", f"path {f.path.label}", f"filter policy {what}: messages it delivered before are newly filtered out")
            )
    for a in access:
        if a.change == "lost" and a.kind != "delivery":
            cost = "offloaded payloads become unreadable for it" if a.capability == "read" else "its calls are refused"
            found.append(Hazard(f"revoke:{a.resource}:{a.capability}:{a.account}", f"{a.account} loses {a.capability} on {a.kind} {a.resource}", cost))
    return found


def unacknowledged(found: Iterable[Hazard], allowed: Collection[str]) -> list[Hazard]:
    return [h for h in found if h.token not in allowed]
