"""Topology → one Terraform root module (JSON syntax) for one run.

The root has one aliased ``aws`` provider per (account, region) in use and one module call per
entry of every registered kind (topic, queue, bucket, key, subscription, ...), each wired to its
provider; the calls come from each kind's ``provision.py`` (:mod:`harness.provision.kind`), the names from
:mod:`harness.provision.naming`. Physical names carry the run id (``hx-<run-id>-<logical>``) so
parallel runs never collide, and everything taggable is tagged with the run id and topology name.

Render is the single source of the run's plan: besides the root document it returns every physical
resource the run will create (:class:`~harness.provision.manifest.Planned`, for the pre-apply
name check and the leftover sweep) and a typed reader of the root's one output, ``resources``,
which turns Terraform's outputs into the manifest's entries (:class:`RootOutputs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import paths
from harness.provision.kind import Placed, RenderContext, SweptKind, provision_kinds
from harness.provision.manifest import Planned
from harness.provision.naming import run_tags
from harness.provision.provider import VERSION_CONSTRAINT, ProviderProfile
from harness.provision.targets import Target
from harness.topology.model import Topology


@dataclass(frozen=True)
class RootOutputs:
    """Reads the rendered root's ``resources`` output (``terraform output -json``) as manifest entries."""

    placed: tuple[Placed, ...]

    def read(self, outputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """group -> key -> manifest entry, for every registered kind (empty groups included)."""
        reported = outputs["resources"]
        applied: dict[str, dict[str, Any]] = {kind.group: {} for kind in provision_kinds()}
        for p in self.placed:
            applied[p.kind.group][p.key] = p.kind.entry(p, reported[p.kind.group][p.key])
        return applied


@dataclass(frozen=True)
class RenderedRoot:
    document: dict[str, Any]
    providers: dict[str, tuple[str, str]]  # alias -> (account name, region)
    planned: list[Planned]  # every physical resource the run creates, exact names
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
    modules: dict[str, dict[str, Any]] = {}
    output: dict[str, dict[str, Any]] = {}
    planned: list[Planned] = []
    placed: list[Placed] = []
    for kind in provision_kinds():
        output[kind.group] = {}
        for key, spec in kind.specs(topology).items():
            if isinstance(kind, SweptKind):
                planned.append(kind.planned(ctx, key, spec))
            placed.append(kind.place(ctx, key, spec))
            modules[kind.module_name(key, spec)] = kind.module_call(ctx, key, spec)
            output[kind.group][key] = kind.output(key, spec)

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
    return RenderedRoot(document, ctx.providers, planned, RootOutputs(tuple(placed)))
