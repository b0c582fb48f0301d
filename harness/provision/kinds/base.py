"""What a resource kind provides, and what render hands it.

A kind is one Terraform module plus everything the harness knows about it, in the style of moto's
per-service backends: its module call (render), the output it maps into a manifest entry, and — for
physical resources a run names in advance — how the leftover sweep sees, reads the run tag of, and
deletes one. Render and the sweep iterate the registry (:mod:`harness.provision.kinds`) and never
branch on a kind.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from harness.provision.manifest import Planned, ResourceEntry
from harness.provision.naming import provider_alias
from harness.provision.provider import ProviderProfile
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.topology.model import Topology


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
    """One logical resource as render placed it, before Terraform reports its ARN."""

    kind: ResourceKind
    logical: str
    account: str
    account_id: str
    region: str
    fifo: bool = False
    kms_key: str = ""  # logical name of the key that encrypts it (topics, queues, buckets)


class ResourceKind(ABC):
    """A kind of physical resource with a run-scoped name: topic, queue, bucket."""

    kind: ClassVar[str]  # Planned.kind and the sweep's labels: "topic"
    group: ClassVar[str]  # key in the root's ``resources`` output and in the manifest: "topics"
    module_dir: ClassVar[str]  # the Terraform module under terraform/modules/
    output_fields: ClassVar[tuple[str, ...]] = ("arn", "name")
    missing_codes: ClassVar[frozenset[str]]  # error codes meaning "no such resource"
    # The provider tags topics and queues in the create call, so an untagged one is not provably
    # the run's; a bucket is tagged only after it exists, so an untagged bucket may be the run's.
    tagged_at_create: ClassVar[bool] = True

    # -- render ---------------------------------------------------------------------------------
    @abstractmethod
    def specs(self, topology: Topology) -> Mapping[str, Any]:
        """The topology's resources of this kind, logical name -> model object."""

    @abstractmethod
    def module_name(self, logical: str) -> str: ...

    @abstractmethod
    def physical_name(self, ctx: RenderContext, logical: str, spec: Any) -> str: ...

    @abstractmethod
    def module_call(self, ctx: RenderContext, logical: str, spec: Any) -> dict:
        """The root's ``module "<module_name>"`` block for one resource."""

    def fifo(self, spec: Any) -> bool:
        return bool(getattr(spec, "fifo", False))

    # -- output → manifest ------------------------------------------------------------------------
    def output(self, logical: str) -> dict[str, str]:
        """What the root's ``resources`` output reports for one resource."""
        module = self.module_name(logical)
        return {name: ref(module, name) for name in self.output_fields}

    def entry(self, placed: Placed, value: Mapping[str, str]) -> ResourceEntry:
        """The manifest entry from the reported ``value`` of :meth:`output`."""
        return ResourceEntry(
            placed.account, placed.account_id, placed.region, value["arn"], value["name"], value.get("url", ""), placed.fifo, placed.kms_key
        )

    # -- leftover sweep ---------------------------------------------------------------------------
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


def tag_value(tags: Iterable[Mapping[str, str]], key: str) -> str | None:
    """The value for ``key`` in an AWS ``[{"Key": …, "Value": …}]`` tag list."""
    return next((t["Value"] for t in tags if t["Key"] == key), None)
