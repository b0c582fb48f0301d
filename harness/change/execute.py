"""Change an applied run to a new topology: render, plan, summarise, apply under probe traffic.

:func:`change` renders NEW into the run's own Terraform root (same run id, same state), saves a
plan and reads it back as JSON (:mod:`~harness.change.plan`), works out the path and access diffs
and the hazards, prints the summary, and — unless ``plan_only`` — applies exactly that plan while
:class:`~harness.change.probe.Probe` traffic flows on every path that survives. The manifest then
describes NEW. Scenarios are the driver's business (:mod:`harness.run`), which adds their results.

Cleanup guarantees: the rendered root always configures the providers of BASE *and* NEW, so a
state that is half BASE and half NEW after an interrupt can still be destroyed, and the manifest's
``planned`` names cover both, so the leftover sweep of ``harness down`` covers both. When the plan
fails or the change is refused before applying, BASE's root is put back.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from harness.change.diff import access_diff as compute_access_diff
from harness.change.diff import delivery_paths, path_diff
from harness.change.hazards import hazards as find_hazards
from harness.change.outcome import ChangeOutcome
from harness.change.plan import caused_modules, parse_plan, split_drift, summary_lines
from harness.change.probe import Probe, ProbedPath, ProbeSettings
from harness.change.select import probed_paths
from harness.errors import HarnessError, TerraformError
from harness.provision import leftovers
from harness.provision.after_apply import complete as complete_apply
from harness.provision.lifecycle import Progress, terraform_dir
from harness.provision.manifest import STATUS_APPLIED, STATUS_APPLYING, STATUS_FAILED, Manifest
from harness.provision.provider import current_profile, write_cli_config
from harness.provision.render import RenderedRoot, render_root
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.provision.terraform import Terraform
from harness.settings import Settings
from harness.topology.loader import load_topology
from harness.topology.model import Topology

PLAN_FILE = "change.tfplan"


def _root_with_base_providers(new: RenderedRoot, base: RenderedRoot) -> dict:
    """NEW's root document, also configuring BASE's providers it no longer uses."""
    doc = dict(new.document)
    blocks = list(doc["provider"]["aws"])
    have = {b["alias"] for b in blocks}
    blocks += [b for b in base.document["provider"]["aws"] if b["alias"] not in have]
    doc["provider"] = {"aws": blocks}
    return doc


def _say(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)


def _sessions(manifest: Manifest, base: Topology, new: Topology) -> Sessions:
    """Clients for every account either topology names (NEW's settings win for one in both)."""
    return Sessions(Target(manifest.target, manifest.endpoint_url), {**base.accounts, **new.accounts}, manifest.run_id)


def change(
    manifest: Manifest,
    new_file: Path,
    settings: Settings,
    allow: frozenset[str] = frozenset(),
    probe: ProbeSettings | None = None,
    plan_only: bool = False,
    out: TextIO | None = None,
) -> ChangeOutcome:
    """Change applied run ``manifest`` to the topology in ``new_file``; the manifest is updated in
    place (and saved) once the change is applied."""
    out = out or sys.stderr
    if manifest.status != STATUS_APPLIED:
        raise HarnessError(f"run {manifest.run_id} is {manifest.status}, not applied; `harness up` a topology first, then change it.")
    drift = manifest.topology_drift()
    if drift:  # BASE is what was applied, whatever happened to its file since
        _say(out, f"note: {drift}")
    base, new = manifest.applied_topology(), load_topology(new_file)
    outcome = ChangeOutcome(
        manifest.run_id,
        manifest.target,
        {"name": base.name, "file": manifest.topology_file},
        {"name": new.name, "file": str(Path(new_file).resolve())},
        allowed=frozenset(allow),
    )
    target, profile = Target(manifest.target, manifest.endpoint_url), current_profile(settings)
    tf_dir = terraform_dir(manifest.run_id, settings)
    root_file = tf_dir / "main.tf.json"
    base_text = root_file.read_text()
    rendered_base = render_root(base, target, profile, manifest.run_id, tf_dir)
    rendered = render_root(new, target, profile, manifest.run_id, tf_dir)
    root_file.write_text(json.dumps(_root_with_base_providers(rendered, rendered_base), indent=2) + "\n")
    tf = Terraform(tf_dir, write_cli_config(profile, settings), settings)
    _say(out, f"run {manifest.run_id}: planning the change from {manifest.topology_file} to {outcome.new['file']}")
    try:
        tf.init()
        result = tf.plan(PLAN_FILE)
        if result.returncode != 0:
            raise TerraformError(f"plan of the change of run {manifest.run_id} failed:\n" + "\n".join(result.diagnostics()))
        planned = parse_plan(tf.show_plan(PLAN_FILE), base, new)
        caused = caused_modules(rendered_base.document["module"], rendered.document["module"])
        outcome.changes, outcome.drift = split_drift(planned, caused)
    except (Exception, KeyboardInterrupt):
        root_file.write_text(base_text)
        raise
    outcome.paths = path_diff(base, new)
    outcome.access = compute_access_diff(base, new)
    outcome.hazards = find_hazards(outcome.changes, outcome.paths, outcome.access)
    _print_summary(outcome, out)
    if plan_only:
        root_file.write_text(base_text)
        return outcome
    if not planned:  # nothing to apply: the run already is NEW
        _adopt_new(manifest, new, rendered, tf, settings, Path(new_file))
        outcome.applied = True
        return outcome
    _check_new_names_free(manifest, _sessions(manifest, base, new), rendered, base_text, root_file)
    manifest.planned = list({p.name: p for p in [*manifest.planned, *rendered.planned]}.values())
    manifest.transition(STATUS_APPLYING, settings, f"changing to {new_file}")
    paths, outcome.unprobed = probed_paths(outcome.paths.kept, delivery_paths(base), base, new)
    _apply_under_probe(manifest, base, new, rendered, tf, settings, Path(new_file), paths, probe or ProbeSettings(), outcome, out)
    return outcome


def _print_summary(outcome: ChangeOutcome, out: TextIO) -> None:
    counts = ", ".join(f"{n} {a}" for a, n in outcome.counts().items())
    _say(out, f"change: {counts}")
    for line in summary_lines(outcome.changes):
        _say(out, f"  {line}")
    for line in summary_lines(outcome.drift):
        _say(out, f"  drift (not this change's; Terraform re-applies it): {line}")
    for p in outcome.paths.gained:
        _say(out, f"  path gained   {p.label}")
    for p in outcome.paths.lost:
        _say(out, f"  path lost     {p.label}")
    for f in outcome.paths.filter_changed:
        _say(out, f"  path filter {f.direction}: {f.path.label}")
    for a in outcome.access:
        _say(out, f"  access: {a.line}")
    for h in outcome.hazards:
        mark = "acknowledged" if h.token in outcome.allowed else "HAZARD"
        _say(out, f"  {mark}: {h.line}")


def _check_new_names_free(manifest: Manifest, sessions: Sessions, rendered: RenderedRoot, base_text: str, root_file: Path) -> None:
    """Refuse when a name only NEW uses exists already: Terraform would adopt it and destroy it later."""
    known = {p.name for p in manifest.planned}
    fresh = [p for p in rendered.planned if p.name not in known]
    taken = leftovers.probe(sessions, fresh) if fresh else []
    if taken:
        root_file.write_text(base_text)
        raise HarnessError(
            f"run {manifest.run_id}: the change would take over names that exist already: {', '.join(taken)}; "
            "delete them (or apply the change to a fresh run)."
        )


def _adopt_new(manifest: Manifest, new: Topology, rendered: RenderedRoot, tf: Terraform, settings: Settings, new_file: Path) -> None:
    """The manifest now describes NEW: its resources, from the applied root's outputs."""
    manifest.resources = rendered.outputs.read(tf.output())
    manifest.accounts = {**manifest.accounts, **{n: a.id for n, a in new.accounts.items()}}
    manifest.aws_access = {**manifest.aws_access, **{n: asdict(a.aws) for n, a in new.accounts.items()}}
    manifest.record_topology(new)  # first: each kind's after-apply step reads the applied topology, NEW's
    complete_apply(manifest)  # what provider 3.39 cannot set (filter_policy_scope, response types, topic sizes, expiry)
    manifest.topology_file = str(new_file.resolve())
    manifest.transition(STATUS_APPLIED, settings)


def _apply_under_probe(
    manifest: Manifest,
    base: Topology,
    new: Topology,
    rendered: RenderedRoot,
    tf: Terraform,
    settings: Settings,
    new_file: Path,
    paths: list[ProbedPath],
    probe_settings: ProbeSettings,
    outcome: ChangeOutcome,
    out: TextIO,
) -> None:
    probe = Probe(manifest, _sessions(manifest, base, new), paths, probe_settings)
    _say(out, f"run {manifest.run_id}: probing {len(paths)} surviving path(s) at {probe_settings.rate:g} msg/s each; applying")
    try:
        probe.start()
        time.sleep(probe_settings.warmup_seconds)
        started = time.monotonic()
        result = tf.apply_plan(PLAN_FILE, Progress("changed", out))
        outcome.apply_seconds = time.monotonic() - started
        if result.returncode != 0:
            raise TerraformError(
                f"apply of the change of run {manifest.run_id} failed; `harness down --run-id {manifest.run_id}` destroys "
                "what there is:\n" + "\n".join(result.diagnostics())
            )
        _adopt_new(manifest, new, rendered, tf, settings, new_file)
        outcome.applied = True
        probe.retarget(manifest)
        time.sleep(probe_settings.settle_seconds)
        probe.stop_sending()
        probe.drain()
    except (Exception, KeyboardInterrupt) as exc:
        if not outcome.applied:
            manifest.transition(STATUS_FAILED, settings, str(exc)[:4000] or type(exc).__name__)
        raise
    finally:
        probe.stop()
    outcome.probe = probe.results()
    for r in outcome.probe:
        _say(out, f"  probe {r.path.label}: " + (f"({r.note}) " if r.note else "") + f"sent {r.sent}, received {r.received}, lost {r.lost}, "
                  f"duplicated {r.duplicated}, corrupted {r.corrupted}, longest gap {r.longest_gap_s:.2f}s"
                  + (f", send errors {r.send_errors}" if r.send_errors else ""))
