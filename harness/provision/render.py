"""Topology → one Terraform root module (JSON syntax) for one run.

The root has one aliased ``aws`` provider per (account, region) in use and one module call per
topic, queue, bucket and subscription, each wired to its provider; the calls come from the
resource-kind registry (:mod:`harness.provision.kinds`), the names from
:mod:`harness.provision.naming`. Physical names carry the run id (``hx-<run-id>-<logical>``) so
parallel runs never collide, and everything taggable is tagged with the run id and topology name.

Render is the single source of the run's plan: besides the root document it returns every physical
resource the run will create (:class:`~harness.provision.manifest.Planned`, for the pre-apply
name check and the leftover sweep) and a typed reader of the root's one output, ``resources``,
which turns Terraform's outputs into the manifest's entries (:class:`RootOutputs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from harness import paths
from harness.provision.kinds import RESOURCE_KINDS, SUBSCRIPTIONS, Placed, RenderContext
from harness.provision.kinds.subscription import PlacedSubscription
from harness.provision.manifest import Planned, ResourceEntry, SubscriptionEntry
from harness.provision.naming import run_tags
from harness.provision.provider import VERSION_CONSTRAINT, ProviderProfile
from harness.provision.targets import Target
from harness.topology.model import Topology
from harness.topology.regions import partition_of


@dataclass
class AppliedResources:
    """The manifest's resource entries, read from an applied root's outputs."""

    resources: dict[str, dict[str, ResourceEntry]] = field(default_factory=dict)  # group -> logical -> entry
    subscriptions: list[SubscriptionEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RootOutputs:
    """Reads the rendered root's ``resources`` output (``terraform output -json``) as manifest entries."""

    placed: tuple[Placed, ...]
    subscriptions: tuple[PlacedSubscription, ...]

    def read(self, outputs: dict) -> AppliedResources:
        reported = outputs["resources"]
        applied = AppliedResources({kind.group: {} for kind in RESOURCE_KINDS})
        for p in self.placed:
            applied.resources[p.kind.group][p.logical] = p.kind.entry(p, reported[p.kind.group][p.logical])
        applied.subscriptions = [SUBSCRIPTIONS.entry(s, reported[SUBSCRIPTIONS.group]) for s in self.subscriptions]
        return applied


@dataclass(frozen=True)
class RenderedRoot:
    document: dict
    providers: dict[str, tuple[str, str]]  # alias -> (account name, region)
    planned: list[Planned]  # every physical topic, queue and bucket the run creates, exact names
    outputs: RootOutputs

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "main.tf.json"
        path.write_text(json.dumps(self.document, indent=2, sort_keys=False) + "\n")
        return path


def render_root(
    topology: Topology,
    target: Target,
    profile: ProviderProfile,
    run_id: str,
    root_dir: Path,
    modules_dir: Path = paths.MODULES_DIR,
) -> RenderedRoot:
    ctx = RenderContext(topology, target, profile, run_id, run_tags(run_id, topology.name), root_dir, modules_dir)
    modules: dict[str, dict] = {}
    output: dict[str, dict] = {}
    planned: list[Planned] = []
    placed: list[Placed] = []

    for kind in RESOURCE_KINDS:
        output[kind.group] = {}
        for logical, spec in kind.specs(topology).items():
            account_id = topology.account_id(spec.account)
            name = kind.physical_name(ctx, logical, spec)
            planned.append(Planned(kind.kind, spec.account, account_id, spec.region, name, partition_of(spec.region) or "aws"))
            placed.append(Placed(kind, logical, spec.account, account_id, spec.region, kind.fifo(spec), getattr(spec, "kms_key", None) or ""))
            modules[kind.module_name(logical)] = kind.module_call(ctx, logical, spec)
            output[kind.group][logical] = kind.output(logical)

    placed_subs: list[PlacedSubscription] = []
    output[SUBSCRIPTIONS.group] = {}
    for sub in topology.subscriptions:
        where = SUBSCRIPTIONS.place(ctx, sub)
        placed_subs.append(where)
        modules[SUBSCRIPTIONS.module_name(sub)] = SUBSCRIPTIONS.module_call(ctx, sub, where)
        output[SUBSCRIPTIONS.group][sub.key] = SUBSCRIPTIONS.output(sub)

    provider_blocks = [
        target.provider_block(alias, topology.accounts[account], region, profile, run_id)
        for alias, (account, region) in sorted(ctx.providers.items())
    ]
    version = f"= {profile.version}" if profile.source == "mirror" else VERSION_CONSTRAINT
    document = {
        "terraform": {
            "required_version": ">= 1.3",
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": version}},
        },
        "provider": {"aws": provider_blocks},
        "module": modules,
        "output": {"resources": {"value": output}},
    }
    return RenderedRoot(document, ctx.providers, planned, RootOutputs(tuple(placed), tuple(placed_subs)))
