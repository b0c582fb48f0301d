"""What a resource kind provides to provisioning (its ``provision.py``), and what render hands it.

A kind is one Terraform module plus everything the harness knows about it, in the style of moto's
per-service backends: its module call (render), the output it maps into a manifest entry and how
that entry is stored in the run record, and — for a :class:`SweptKind`, a physical resource the run
names in advance — how the leftover sweep sees, reads the run tag of, and deletes one. Render, the
manifest and the sweep iterate the registry (:func:`provision_kinds`) and never branch on a kind.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, TypedDict, cast

from harness import kinds as registry
from harness.provision.manifest import Manifest, Planned, ResourceEntry
from harness.provision.naming import provider_alias
from harness.provision.provider import ProviderProfile
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.topology.model import Topology
from harness.topology.regions import partition_of


def ref(module: str, attribute: str) -> str:
    """A Terraform reference to a module output: ``${module.<module>.<attribute>}``."""
    return f"${{module.{module}.{attribute}}}"


@dataclass
class RenderContext:
    """The run-wide facts every module call needs; collects the providers the calls use."""

    topology: Topology
    target: Target
    profile: ProviderProfile
    run_id: str
    tags: dict[str, str]
    root_dir: Path
    modules_dir: Path
    providers: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (account, region)

    def provider_for(self, account: str, region: str) -> str:
        """``aws.<alias>`` of the (account, region) provider, declaring it on first use."""
        alias = provider_alias(account, region)
        seen = self.providers.setdefault(alias, (account, region))
        if seen != (account, region):  # the topology loader refuses such accounts; a defensive check
            raise ValueError(f"provider alias clash: {seen} and {(account, region)} both map to {alias}")
        return f"aws.{alias}"

    def source(self, module_dir: str) -> str:
        """The module's ``source``, relative to the root directory."""
        rel = os.path.relpath(self.modules_dir / module_dir, self.root_dir)
        return rel if rel.startswith(".") else f"./{rel}"

    def account_ids(self, accounts: Iterable[str]) -> list[str]:
        return [self.topology.account_id(a) for a in accounts]


@dataclass(frozen=True)
class Placed:
    """One entry as render placed it, before Terraform reports its outputs: what the manifest
    entry needs besides them (``facts``, the kind's own)."""

    kind: ProvisionKind
    key: str
    facts: Mapping[str, Any]


class ProvisionKind(ABC):
    """One kind's part of provisioning: a module call per entry and the manifest entries."""

    kind: ClassVar[str]  # the registered kind's name: "queue"
    group: ClassVar[str]  # key in the root's ``resources`` output and in the manifest: "queues"
    module_dir: ClassVar[str]  # the Terraform module under terraform/modules/
    output_fields: ClassVar[tuple[str, ...]] = ("arn", "name")
    entry_type: ClassVar[type] = ResourceEntry

    def specs(self, topology: Topology) -> Mapping[str, Any]:
        """The topology's entries of this kind, key -> model entry."""
        return topology.of(self.group)

    @abstractmethod
    def module_name(self, key: str, spec: Any) -> str: ...

    @abstractmethod
    def module_call(self, ctx: RenderContext, key: str, spec: Any) -> dict[str, Any]:
        """The root's ``module "<module_name>"`` block for one entry."""

    def output(self, key: str, spec: Any) -> dict[str, str]:
        """What the root's ``resources`` output reports for one entry."""
        module = self.module_name(key, spec)
        return {name: ref(module, name) for name in self.output_fields}

    def place(self, ctx: RenderContext, key: str, spec: Any) -> Placed:
        """What :meth:`entry` will need: by default the entry's account, region, FIFO-ness and key."""
        account = str(spec.account)
        return Placed(self, key, {
            "account": account, "account_id": ctx.topology.account_id(account), "region": spec.region,
            "fifo": bool(getattr(spec, "fifo", False)), "kms_key": getattr(spec, "kms_key", None) or "",
        })

    def entry(self, placed: Placed, value: Mapping[str, str]) -> Any:
        """The manifest entry from :meth:`place`'s facts and the reported ``value`` of :meth:`output`."""
        f = placed.facts
        return ResourceEntry(f["account"], f["account_id"], f["region"], value["arn"], value["name"], value.get("url", ""), f["fifo"], f["kms_key"])

    def refuse(self, topology: Topology, target: Target, profile: ProviderProfile) -> None:
        """Raise a :class:`harness.errors.TargetError` when this kind's entries of ``topology``
        cannot be applied to ``target`` with ``profile`` (``up`` asks before anything is rendered)."""
        return None

    def after_apply(self, manifest: Manifest, topology: Topology, sessions: Sessions) -> list[str]:
        """Set what the provider cannot, once the apply finished (one line per thing done, for the
        user): :func:`harness.provision.after_apply.complete` calls it on every kind. Nothing by default."""
        return []

    # -- the run record ---------------------------------------------------------------------------
    def dump(self, entries: Mapping[str, Any]) -> Any:
        """This group's entries as JSON for the manifest."""
        return {k: asdict(e) for k, e in entries.items()}

    def load(self, data: Any) -> dict[str, Any]:
        """This group's entries from the manifest's JSON."""
        return {k: self.entry_type(**v) for k, v in (data or {}).items()}


class SweptKind(ProvisionKind):
    """A kind of physical resource with a run-scoped name: planned before the apply, probed for
    names taken already, and swept after a destroy when Terraform's state lost it."""

    sweep_rank: ClassVar[int]  # sweep order, lowest first: a topic goes before the queues it feeds
    missing_codes: ClassVar[frozenset[str]]  # error codes meaning "no such resource"
    # The provider tags topics and queues in the create call, so an untagged one is not provably
    # the run's; a bucket is tagged only after it exists, so an untagged bucket may be the run's.
    tagged_at_create: ClassVar[bool] = True

    @abstractmethod
    def physical_name(self, ctx: RenderContext, key: str, spec: Any) -> str: ...

    def planned(self, ctx: RenderContext, key: str, spec: Any) -> Planned:
        account = str(spec.account)
        name = self.physical_name(ctx, key, spec)
        return Planned(self.kind, account, ctx.topology.account_id(account), spec.region, name, partition_of(spec.region) or "aws")

    @abstractmethod
    def discover(self, sessions: Sessions, account: str, region: str) -> Iterator[tuple[str, float | None, str]]:
        """The kit's resources of this kind in one account and region (``harness sweep``), whoever
        created them: (physical name, creation time in epoch seconds or None, a detail for the user)."""

    @abstractmethod
    def exists(self, sessions: Sessions, item: Planned) -> None:
        """Ask for ``item``; a ClientError with one of :attr:`missing_codes` means it is absent."""

    @abstractmethod
    def run_tag(self, sessions: Sessions, item: Planned, tag_key: str) -> str | None:
        """The value of ``tag_key`` on ``item``, or None when it has no such tag."""

    def prepare_delete(self, sessions: Sessions, item: Planned) -> list[str]:
        """Clear what blocks deleting ``item`` but Terraform's destroy does not handle; one line
        per thing done (for the user). Nothing by default; a missing ``item`` needs nothing."""
        return []

    @abstractmethod
    def delete(self, sessions: Sessions, item: Planned) -> None:
        """Delete ``item`` (and what goes with it). Raises ClientError when it is gone."""


def provision_kinds() -> list[ProvisionKind]:
    """The registered kinds' provisioning parts, in registry order."""
    # A kind's provision.py defines PART as its ProvisionKind (the registry's contract, harness/kinds).
    return [cast(ProvisionKind, p) for _, p in registry.parts("provision")]


def swept_kinds() -> list[SweptKind]:
    """The kinds the leftover sweep knows, in sweep order."""
    return sorted((k for k in provision_kinds() if isinstance(k, SweptKind)), key=lambda k: k.sweep_rank)


def swept_kind(name: str) -> SweptKind:
    """The sweep kind called ``name`` (a :class:`Planned`'s ``kind``)."""
    for k in swept_kinds():
        if k.kind == name:
            return k
    raise ValueError(f"unknown resource kind {name!r}; known: {', '.join(k.kind for k in swept_kinds())}")


class Tag(TypedDict):
    """One entry of an AWS tag list (the shape S3's and SNS's tag calls share)."""

    Key: str
    Value: str


def tag_value(tags: Iterable[Tag], key: str) -> str | None:
    """The value for ``key`` in an AWS ``[{"Key": …, "Value": …}]`` tag list."""
    return next((t["Value"] for t in tags if t["Key"] == key), None)


def epoch(value: datetime | str | float | int | None) -> float | None:
    """A creation time as AWS reports it (datetime, epoch seconds as text or number) → epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)
