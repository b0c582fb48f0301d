"""``harness up`` / ``harness down``: apply a topology for one run and destroy it again.

``up`` validates the topology, renders the root into ``.harness/runs/<run-id>/terraform``, records
a manifest *before* applying (so an interrupted run can still be found and destroyed), applies with
per-resource progress, and completes the manifest from Terraform's outputs. If the apply fails or
is interrupted, whatever was created is destroyed before the error is raised.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from harness import emulator
from harness.errors import CleanupError, EmulatorError, HarnessError, TerraformError
from harness.provision import leftovers, retarget, runlock
from harness.provision.after_apply import complete as complete_apply
from harness.provision.kind import provision_kinds, swept_kind
from harness.provision.manifest import (
    STATUS_APPLIED,
    STATUS_APPLYING,
    STATUS_DESTROYED,
    STATUS_FAILED,
    STATUS_GONE,
    Manifest,
)
from harness.provision.naming import TAG_RUN_ID
from harness.provision.provider import ProviderProfile, current_profile, write_cli_config
from harness.provision.render import render_root
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.provision.terraform import Event, Terraform
from harness.settings import Settings
from harness.topology.loader import load_topology
from harness.topology.model import Topology

log = logging.getLogger(__name__)


# What a second interrupt means (README: "Interrupting the harness"). The first Ctrl-C (or SIGTERM)
# stops Terraform gracefully and destroys what the run created. A second one, during that cleanup,
# stops the cleanup the same graceful way: Terraform saves what it destroyed so far, the run stays
# recorded as `failed`, and `harness down --run-id` finishes the job. Further interrupts while
# Terraform saves its state are ignored (it is killed after a grace period).
SECOND_INTERRUPT = (
    "run {run_id}: second interrupt: cleanup stopped; what Terraform destroyed so far is recorded, the rest "
    "remains (run recorded as failed). `harness down --run-id {run_id}` destroys it."
)
DOWN_INTERRUPTED = (
    "run {run_id}: destroy interrupted; what Terraform destroyed so far is recorded, the rest remains. "
    "`harness down --run-id {run_id}` finishes it."
)


def describe(exc: BaseException) -> str:
    """An exception as a reason for the user: its message, never an empty string."""
    text = str(exc).strip()
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted ({text})" if text else "interrupted"
    return text or type(exc).__name__


def new_run_id() -> str:
    return secrets.token_hex(4)


def terraform_dir(run_id: str, settings: Settings) -> Path:
    return settings.run_dir(run_id) / "terraform"


class Progress:
    """Prints one line per resource as Terraform creates or destroys it: ``[ 3/21] created …``."""

    def __init__(self, verb: str, out: TextIO | None = None):
        self.verb = verb
        self.out = out or sys.stderr
        self.total = 0
        self.done = 0
        self.started = time.monotonic()

    def __call__(self, event: Event) -> None:
        kind = event.get("type")
        hook = event.get("hook", {})
        if kind == "planned_change":
            self.total += 1
        elif kind == "apply_complete":
            if hook.get("action") == "read":  # a data source read, not a resource created or destroyed
                return
            self.done += 1
            addr = hook.get("resource", {}).get("addr", "?")
            secs = hook.get("elapsed_seconds", 0)
            width = len(str(self.total or 1))
            self._print(f"[{self.done:>{width}}/{self.total or '?'}] {self.verb} {addr} ({secs}s)")
        elif kind == "apply_errored":
            self._print(f"failed: {hook.get('resource', {}).get('addr', '?')}")
        elif kind == "diagnostic" and event.get("diagnostic", {}).get("severity") == "error":
            self._print(f"error: {event['diagnostic'].get('summary', '')}")

    def _print(self, text: str) -> None:
        print(f"  {text}", file=self.out, flush=True)


@dataclass
class UpResult:
    manifest: Manifest
    manifest_path: Path


def _terraform_for(run_id: str, settings: Settings) -> Terraform:
    profile = current_profile(settings)
    return Terraform(terraform_dir(run_id, settings), write_cli_config(profile, settings), settings)


RUN_ID_PATTERN = re.compile(r"[a-z0-9]{1,16}")


def check_run_id(run_id: str) -> str:
    """Run ids are lowercase letters and digits: names are ``hx-<run-id>-<logical>`` and logical
    names contain hyphens, so a hyphen in a run id could make two runs' names collide."""
    if not RUN_ID_PATTERN.fullmatch(run_id):
        raise HarnessError(
            f"run id {run_id!r} is not valid: use 1 to 16 lowercase letters and digits (e.g. ci42), "
            "or omit --run-id for a random one."
        )
    return run_id


def _check_names_free(manifest: Manifest, settings: Settings) -> None:
    """Refuse to apply over existing names: Terraform would adopt an identical topic or queue (the
    create calls are idempotent) and destroy it later. Records the check for the leftover sweep."""
    try:
        manifest.preexisting = leftovers.probe(Sessions.for_manifest(manifest), manifest.planned)
    except (HarnessError, ClientError, BotoCoreError) as exc:
        log.warning("could not check that the run's names are free (%s); leftovers will only be reported", exc)
        manifest.preexisting = None
    manifest.save(settings)
    if manifest.preexisting:
        raise HarnessError(
            f"run {manifest.run_id}: these names exist already, so this run would take them over: "
            f"{', '.join(manifest.preexisting)}. Omit --run-id (or choose an unused one). Nothing was "
            "created; if those are leftovers of an earlier run that nobody owns, delete them by hand."
        )


def up(
    topology_file: Path,
    target: Target,
    settings: Settings,
    run_id: str | None = None,
    out: TextIO | None = None,
) -> UpResult:
    """Apply ``topology_file`` to ``target`` as run ``run_id`` (default: a new random id)."""
    out = out or sys.stderr
    topology = load_topology(topology_file)
    profile = current_profile(settings)
    run_id = check_run_id(run_id) if run_id else new_run_id()
    # Claimed before anything is written: a second `up` with this id refuses here, untouched.
    with runlock.claim(run_id, settings.run_dir(run_id), "up", out):
        return _up(topology_file, topology, profile, target, settings, run_id, out)


def _refuse_live_run(run_id: str, settings: Settings) -> None:
    """``up --run-id X`` where run X may still own resources: refuse, and leave X's record alone
    (rewriting it would make `down` believe X is destroyed while its resources live on)."""
    if not Manifest.path_for(run_id, settings).exists():
        return  # a new run id
    existing = Manifest.load(run_id, settings)  # an unreadable record is refused with what to do about it
    if existing.status in (STATUS_DESTROYED, STATUS_GONE):
        return
    raise HarnessError(
        f"run {run_id} is {existing.status} (topology '{existing.topology}', {Manifest.path_for(run_id, settings)}); "
        f"`harness up` leaves it as it is. Use it (`harness run --run-id {run_id} FILE`), destroy it "
        f"(`harness down --run-id {run_id}`), or omit --run-id for a new run."
    )


def _up(
    topology_file: Path, topology: Topology, profile: ProviderProfile, target: Target, settings: Settings, run_id: str, out: TextIO
) -> UpResult:
    _refuse_live_run(run_id, settings)
    for kind in provision_kinds():  # what this target and provider cannot apply, before anything is written
        kind.refuse(topology, target, profile)
    tf_dir = terraform_dir(run_id, settings)
    rendered = render_root(topology, target, profile, run_id, tf_dir)
    rendered.write(tf_dir)
    manifest = Manifest(
        run_id=run_id,
        target=target.name,
        endpoint_url=target.endpoint_url,
        topology=topology.name,
        topology_file=str(Path(topology_file).resolve()),
        status=STATUS_APPLYING,
        provider_version=profile.version,
        accounts={n: a.id for n, a in topology.accounts.items()},
        aws_access={n: asdict(a.aws) for n, a in topology.accounts.items()},
        planned=rendered.planned,
    )
    manifest.record_topology(topology)
    manifest_path = manifest.save(settings)
    print(
        f"run {run_id}: applying topology '{topology.name}' to {target.name}"
        + (f" at {target.endpoint_url}" if target.endpoint_url else "")
        + f" ({len(rendered.providers)} account/region providers, hashicorp/aws {profile.version})",
        file=out,
        flush=True,
    )
    tf = Terraform(tf_dir, write_cli_config(profile, settings), settings)
    try:
        _check_names_free(manifest, settings)
    except BaseException as exc:  # nothing was created yet: nothing to destroy
        manifest.transition(STATUS_DESTROYED, settings, str(exc)[:4000] or type(exc).__name__)
        raise
    try:
        tf.init()
        result = tf.apply(Progress("created", out))
        if result.returncode != 0:
            raise TerraformError(
                f"apply of run {run_id} failed:\n" + "\n".join(result.diagnostics())
            )
        manifest.resources = rendered.outputs.read(tf.output())
        complete_apply(manifest, out)  # what provider 3.39 cannot set (filter_policy_scope, response types, topic sizes)
        manifest.transition(STATUS_APPLIED, settings)
    except (Exception, KeyboardInterrupt) as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        manifest.transition(STATUS_FAILED, settings, describe(exc)[:4000])
        print(
            f"run {run_id}: apply {'interrupted' if interrupted else 'failed'}; destroying what was created…"
            + (" (interrupt again to stop the cleanup)" if interrupted else ""),
            file=out,
            flush=True,
        )
        try:
            _destroy(tf, manifest, settings, out)
        except KeyboardInterrupt:
            if not interrupted:  # the first interrupt, during the cleanup of a failed apply
                print(DOWN_INTERRUPTED.format(run_id=run_id), file=out, flush=True)
                raise
            print(SECOND_INTERRUPT.format(run_id=run_id), file=out, flush=True)
        except Exception as cleanup_exc:  # noqa: BLE001 - any cleanup failure is reported; the original is raised
            print(
                f"run {run_id}: cleanup failed too ({describe(cleanup_exc)}); retry with `harness down --run-id {run_id}`",
                file=out,
                flush=True,
            )
        if isinstance(exc, (HarnessError, KeyboardInterrupt)):
            raise
        raise HarnessError(
            f"run {run_id}: unexpected {type(exc).__name__} while applying ({exc}); what was created has been "
            "destroyed. Please report this with the output of `harness -v up …`."
        ) from exc
    print(f"run {run_id}: applied; manifest {manifest_path}", file=out, flush=True)
    return UpResult(manifest, manifest_path)


def _prepare_deletes(manifest: Manifest, out: TextIO) -> None:
    """Before the destroy: clear what blocks a delete but Terraform's destroy does not handle, such as
    a bucket's unfinished multipart uploads (a payload upload killed mid-way; on AWS neither
    DeleteBucket nor force_destroy aborts them)."""
    sessions = Sessions.for_manifest(manifest)
    for item in manifest.planned:
        try:
            done = swept_kind(item.kind).prepare_delete(sessions, item)
        except (ClientError, BotoCoreError, HarnessError) as exc:
            print(f"  could not prepare {item.label} for deletion ({exc}); deleting it may fail", file=out, flush=True)
            continue
        for line in done:
            print(f"  {line}", file=out, flush=True)


def _destroy(tf: Terraform, manifest: Manifest, settings: Settings, out: TextIO) -> None:
    """Destroy the run (status destroyed), or find it gone with its emulator (status gone)."""
    if not retarget.ensure_live_endpoint(manifest, tf.workdir, settings, out):
        return
    _prepare_deletes(manifest, out)
    # Always (re-)init: init is idempotent, and an `up` killed during its init leaves `.terraform/`
    # without the dependency lock file or the provider, which the destroy would refuse.
    try:
        tf.init()
    except TerraformError:
        if not (tf.workdir / "terraform.tfstate").exists():
            _sweep_leftovers(manifest, out)
            manifest.transition(STATUS_DESTROYED, settings, manifest.error)
            return
        raise
    result = tf.destroy(Progress("destroyed", out))
    if result.returncode != 0:
        if manifest.endpoint_url and not emulator.is_ready(manifest.endpoint_url):  # an emulator (or a rehearsal on one)
            raise EmulatorError(
                f"LocalStack at {manifest.endpoint_url} stopped answering during the destroy of run {manifest.run_id}. "
                f"`harness down --run-id {manifest.run_id}` re-targets a live emulator, or marks the run gone if its "
                "resources died with this one."
            )
        raise TerraformError(
            f"destroy of run {manifest.run_id} failed; resources may remain. Fix the cause and run "
            f"`harness down --run-id {manifest.run_id}` again:\n" + "\n".join(result.diagnostics())
        )
    _sweep_leftovers(manifest, out)
    manifest.transition(STATUS_DESTROYED, settings, manifest.error)
    shutil.rmtree(tf.workdir / ".terraform", ignore_errors=True)


def _sweep_leftovers(manifest: Manifest, out: TextIO) -> None:
    """After a destroy: delete what the run created that Terraform's state never recorded."""
    if not manifest.planned:
        print(f"  run {manifest.run_id} predates the leftover sweep: only Terraform's state was destroyed", file=out, flush=True)
        return
    result = leftovers.sweep(
        Sessions.for_manifest(manifest), manifest.planned, manifest.preexisting, (TAG_RUN_ID, manifest.run_id)
    )
    for label in result.deleted:
        print(f"  swept {label}: it was created but never recorded in Terraform's state", file=out, flush=True)
    for line in result.prepared:
        print(f"  {line}", file=out, flush=True)
    for item in result.left_alone:
        print(f"  left alone {item} (delete it by hand if it is this run's)", file=out, flush=True)
    if result.failed:
        raise CleanupError(
            f"run {manifest.run_id}: destroyed, but these leftovers could not be deleted; fix the cause and run "
            f"`harness down --run-id {manifest.run_id}` again:\n" + "\n".join(result.failed)
        )


def down(run_id: str, settings: Settings, out: TextIO | None = None) -> Manifest:
    """Destroy run ``run_id`` and sweep what Terraform's state lost; return its final manifest."""
    out = out or sys.stderr
    Manifest.load(run_id, settings)  # an unknown run id fails here, before a lock is created for it
    with runlock.claim(run_id, settings.run_dir(run_id), "down", out):
        return _down(run_id, settings, out)


def _down(run_id: str, settings: Settings, out: TextIO) -> Manifest:
    manifest = Manifest.load(run_id, settings)  # again: as left by whoever held the run before
    if manifest.status in (STATUS_DESTROYED, STATUS_GONE):
        print(f"run {run_id}: already {manifest.status}", file=out)
        return manifest
    print(f"run {run_id}: destroying topology '{manifest.topology}' on {manifest.target}", file=out, flush=True)
    tf = _terraform_for(run_id, settings)
    try:
        _destroy(tf, manifest, settings, out)
    except KeyboardInterrupt:
        print(DOWN_INTERRUPTED.format(run_id=run_id), file=out, flush=True)
        raise
    if manifest.status == STATUS_DESTROYED:
        print(f"run {run_id}: destroyed", file=out, flush=True)
    return manifest


def restore(manifest: Manifest, settings: Settings, out: TextIO, why: str) -> None:
    """Put applied run ``manifest`` back as its topology says: Terraform applies the run's root again
    (a policy or a filter set back, a key enabled, a deleted queue recreated — what a killed process
    left changed, :mod:`harness.provision.fault_journal`), then the after-apply steps."""
    run_id = manifest.run_id
    with runlock.claim(run_id, settings.run_dir(run_id), "restore", out):
        print(f"run {run_id}: {why}; applying its topology again to put it back…", file=out, flush=True)
        tf = _terraform_for(run_id, settings)
        tf.init()
        result = tf.apply(Progress("restored", out))
        if result.returncode != 0:
            raise TerraformError(f"run {run_id}: putting it back failed; `harness down --run-id {run_id}` and a new run are the way out:\n"
                                 + "\n".join(result.diagnostics()))
        complete_apply(manifest, out)
        print(f"run {run_id}: back as its topology says", file=out, flush=True)


def forget(run_id: str, settings: Settings, reason: str) -> Manifest:
    """Record that run ``run_id``'s resources are gone without a destroy (the emulator that held
    them went away with them), so no later `run` or `down` picks it as a live run."""
    manifest = Manifest.load(run_id, settings)
    manifest.transition(STATUS_GONE, settings, reason)
    shutil.rmtree(terraform_dir(run_id, settings) / ".terraform", ignore_errors=True)
    return manifest
