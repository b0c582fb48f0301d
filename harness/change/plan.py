"""Terraform's JSON plan (``terraform show -json <saved plan>``) → what happens to each logical resource.

A topology's topic, queue, bucket or subscription is one module call in the rendered root
(:mod:`harness.provision.naming`: ``topic_<ident>``, ``queue_<ident>``, ``bucket_<ident>``,
``sub_<topic>__<queue>``); each module holds one *main* resource (the queue itself) and helpers
(its policy, the bucket's access block). A logical resource is

- **replaced** when its main resource is (``["delete", "create"]`` or ``["create", "delete"]``),
- **created** / **destroyed** when its main resource is,
- **updated** in place when anything else in the module changes (an attribute, a policy),
- left out when nothing in it changes.

Account and region come from the topology that holds the resource (NEW for what exists after the
change, BASE for what is destroyed). A planned change the topology change did not cause — the
module call is the same before and after and refers to nothing that changes — is *drift*
(:func:`split_drift`; e.g. an attribute the emulator reports differently), listed apart.
Pure: no Terraform, no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.errors import TerraformError
from harness.provision.naming import bucket_module, function_module, queue_module, subscription_module, topic_module
from harness.topology.model import Topology

CREATED, UPDATED, REPLACED, DESTROYED = "created", "updated", "replaced", "destroyed"
ORDER = (CREATED, UPDATED, REPLACED, DESTROYED)

# Terraform resource type of each kind's main resource.
MAIN_TYPES = {
    "topic": "aws_sns_topic",
    "queue": "aws_sqs_queue",
    "bucket": "aws_s3_bucket",
    "subscription": "aws_sns_topic_subscription",
}


@dataclass(frozen=True)
class Logical:
    """A topology resource as the summary names it."""

    kind: str  # topic | queue | bucket | subscription
    name: str  # logical name; subscriptions "<topic>-><queue>"
    account: str
    region: str


@dataclass
class ResourceChange:
    """What the plan does to one logical resource."""

    logical: Logical
    action: str  # created | updated | replaced | destroyed
    module: str = ""  # the root's module call
    attributes: list[str] = field(default_factory=list)  # main-resource attributes that change (sorted)
    replaced_by: list[str] = field(default_factory=list)  # attributes forcing the replacement
    helpers: list[str] = field(default_factory=list)  # other resources of the module that change

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.logical.kind,
            "name": self.logical.name,
            "account": self.logical.account,
            "region": self.logical.region,
            "action": self.action,
            "attributes": list(self.attributes),
            "replaced_by": list(self.replaced_by),
            "helpers": list(self.helpers),
        }


def module_index(*topologies: Topology) -> dict[str, Logical]:
    """Module name → logical resource, over every topology given (later ones win: NEW after BASE)."""
    index: dict[str, Logical] = {}
    for topo in topologies:
        for name, t in topo.topics.items():
            index[topic_module(name)] = Logical("topic", name, t.account, t.region)
        for name, q in topo.queues.items():
            index[queue_module(name)] = Logical("queue", name, q.account, q.region)
        for name, b in topo.buckets.items():
            index[bucket_module(name)] = Logical("bucket", name, b.account, b.region)
        for name, f in topo.functions.items():
            index[function_module(name)] = Logical("function", name, f.account, f.region)
        for sub in topo.subscriptions:
            topic = topo.topics[sub.topic]
            index[subscription_module(sub.topic, sub.endpoint)] = Logical("subscription", sub.key, topo.endpoint_account(sub), topic.region)
    return index


def _top_module(address: str | None) -> str | None:
    """``module.queue_b_eu`` (or ``module.queue_b_eu.module.x``) → ``queue_b_eu``."""
    if not address or not address.startswith("module."):
        return None
    return address.split(".")[1]


def _changed_attributes(before: Any, after: Any, unknown: Any) -> list[str]:
    if not isinstance(before, Mapping):
        before = {}
    if not isinstance(after, Mapping):
        after = {}
    unknown = unknown if isinstance(unknown, Mapping) else {}
    keys = set(before) | set(after) | {k for k, v in unknown.items() if v}
    return sorted(k for k in keys if before.get(k) != after.get(k) or unknown.get(k) is True)


def _action(actions: Iterable[str]) -> str | None:
    acts = tuple(actions)
    if acts in (("delete", "create"), ("create", "delete")):
        return REPLACED
    single: dict[tuple[str, ...], str] = {("create",): CREATED, ("update",): UPDATED, ("delete",): DESTROYED}
    return single.get(acts)


def parse_plan(plan: Mapping[str, Any], base: Topology, new: Topology) -> list[ResourceChange]:
    """The logical resources ``plan`` changes, in the order created, updated, replaced, destroyed."""
    if "resource_changes" not in plan and "format_version" not in plan:
        raise TerraformError("terraform show -json gave no plan (no format_version / resource_changes); is the plan file right?")
    index_new, index_base = module_index(base, new), module_index(new, base)
    found: dict[str, ResourceChange] = {}
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") != "managed":
            continue
        module = _top_module(rc.get("module_address"))
        action = _action(rc.get("change", {}).get("actions", []))
        if module is None or action is None:
            continue
        logical = (index_base if action == DESTROYED else index_new).get(module)
        if logical is None:
            raise TerraformError(f"the plan changes {rc.get('address')}, which no topology resource renders; re-render the run")
        change = rc["change"]
        entry = found.setdefault(module, ResourceChange(logical, UPDATED, module))
        if rc.get("type") == MAIN_TYPES[logical.kind]:
            entry.action = action
            entry.attributes = _changed_attributes(change.get("before"), change.get("after"), change.get("after_unknown"))
            entry.replaced_by = sorted({str(p[0]) for p in change.get("replace_paths") or [] if p})
        else:
            entry.helpers.append(f"{rc.get('type')}.{rc.get('name')}")
    return sorted(found.values(), key=lambda c: (ORDER.index(c.action), c.logical.kind, c.logical.name))


_MODULE_REF = re.compile(r"module\.([a-z0-9_]+)\.")


def caused_modules(base_modules: Mapping[str, Any], new_modules: Mapping[str, Any]) -> set[str]:
    """Module calls the change touches: added, removed or with other arguments — and, transitively,
    those referring to one of them (a subscription follows its replaced queue)."""
    touched = {m for m in set(base_modules) | set(new_modules) if base_modules.get(m) != new_modules.get(m)}
    refs = {m: set(_MODULE_REF.findall(json.dumps(call))) for m, call in new_modules.items()}
    grew = True
    while grew:
        more = {m for m, used in refs.items() if used & touched} - touched
        touched |= more
        grew = bool(more)
    return touched


def split_drift(changes: list[ResourceChange], caused: set[str]) -> tuple[list[ResourceChange], list[ResourceChange]]:
    """(caused by the change, drift): a module whose call is the same before and after, and refers
    to nothing that changes, differs only because the live resource drifted from its configuration
    (Terraform would plan the same against BASE)."""
    mine = [c for c in changes if c.module in caused]
    return mine, [c for c in changes if c.module not in caused]


def summary_lines(changes: Iterable[ResourceChange]) -> list[str]:
    """One line per changed resource: ``replaced  queue b-jobs (B/eu-west-1): fifo_queue, name``."""
    lines = []
    for c in changes:
        detail = ", ".join(c.replaced_by or [*c.attributes, *c.helpers])
        where = f"{c.logical.account}/{c.logical.region}"
        lines.append(f"{c.action:<9} {c.logical.kind} {c.logical.name} ({where})" + (f": {detail}" if detail and c.action != CREATED else ""))
    return lines
