"""The resource-kind registry: one module per kind of thing a topology declares.

Each kind module (:mod:`.topic`, :mod:`.queue`, :mod:`.bucket`, :mod:`.key`, :mod:`.subscription`) holds its
Terraform module call, the output it maps into a manifest entry and, for the physical kinds, its
exists / run-tag / delete operations for the leftover sweep (:mod:`.base` says what a kind
provides). Render and the sweep iterate :data:`RESOURCE_KINDS`; adding a kind means one module here
(and its Terraform module), registered below.
"""

from __future__ import annotations

from harness.provision.kinds import bucket, key, queue, subscription, topic
from harness.provision.kinds.base import Placed, RenderContext, ResourceKind

# In sweep order: topics first (their subscriptions go with them), then queues, then buckets, then
# the KMS keys that encrypted them.
RESOURCE_KINDS: tuple[ResourceKind, ...] = (topic.KIND, queue.KIND, bucket.KIND, key.KIND)
SUBSCRIPTIONS = subscription.KIND

_BY_NAME = {k.kind: k for k in RESOURCE_KINDS}


def kind_of(name: str) -> ResourceKind:
    """The registered kind called ``name`` (a :class:`Planned`'s ``kind``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown resource kind {name!r}; known: {', '.join(_BY_NAME)}") from None


__all__ = ["RESOURCE_KINDS", "SUBSCRIPTIONS", "Placed", "RenderContext", "ResourceKind", "kind_of"]
