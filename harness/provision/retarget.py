"""A run whose emulator stopped answering: destroy it on a live one, or record that it is gone.

A run applied on LocalStack records its endpoint in the manifest and in the rendered Terraform
root. When that emulator dies, its resources die with it (LocalStack keeps them in memory), but the
run stays ``applied``: ``down`` would fail on "connection refused" forever, and plain ``run`` and
``down`` would keep choosing it. Before a destroy, :func:`ensure_live_endpoint`:

- the recorded endpoint answers: nothing to do;
- another emulator answers (``HARNESS_ENDPOINT_URL``, or the one ``harness emulator start``
  recorded): if it holds any of the run's planned names, the run is re-targeted there (manifest
  and rendered root) and destroyed as usual; if it holds none, the run is marked ``gone``;
- nothing answers, and the emulator recorded in the state directory was this very endpoint and its
  process is dead: the run is marked ``gone``;
- otherwise the user is told to start an emulator and run ``down`` again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from harness import emulator
from harness.errors import EmulatorError, HarnessError
from harness.provision import leftovers
from harness.provision.manifest import STATUS_GONE, Manifest
from harness.provision.sessions import Sessions
from harness.settings import Settings

log = logging.getLogger(__name__)


def _live_endpoint(settings: Settings) -> str | None:
    """HARNESS_ENDPOINT_URL, else the recorded emulator, if it answers."""
    try:
        url = emulator.current_endpoint(settings)
    except EmulatorError as exc:
        log.debug("no live emulator: %s", exc)
        return None
    return url if emulator.is_ready(url) else None


def _recorded_dead(endpoint: str, settings: Settings) -> bool:
    """Whether the emulator this state directory recorded at ``endpoint`` is a host process that ended."""
    try:
        state = emulator.read_state(settings.emulator_dir)
    except EmulatorError:
        return False
    return bool(
        state is not None and state.mode == "host" and state.endpoint_url.rstrip("/") == endpoint
        and state.pid and not emulator.pid_alive(state.pid)
    )


def mark_gone(manifest: Manifest, why: str, tf_dir: Path, settings: Settings, out: TextIO) -> None:
    """Record the run as gone and drop its Terraform working files (providers), as a destroy does."""
    manifest.transition(STATUS_GONE, settings, why)
    shutil.rmtree(tf_dir / ".terraform", ignore_errors=True)
    print(f"run {manifest.run_id}: gone — {why}; nothing left to destroy", file=out, flush=True)


def retarget_root(tf_dir: Path, old: str, new: str) -> None:
    """Point every provider block of the rendered root at ``new`` instead of ``old``."""
    path = tf_dir / "main.tf.json"
    document = json.loads(path.read_text())
    for block in document.get("provider", {}).get("aws", []):
        for endpoints in block.get("endpoints", []):
            for service, url in endpoints.items():
                if str(url).rstrip("/") == old:
                    endpoints[service] = new
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(path)


def ensure_live_endpoint(manifest: Manifest, tf_dir: Path, settings: Settings, out: TextIO) -> bool:
    """Make the run destroyable on a live endpoint. False: the run is gone (and so marked)."""
    if not manifest.endpoint_url:  # real AWS: no emulator to lose
        return True
    old = manifest.endpoint_url.rstrip("/")
    if emulator.is_ready(old):
        return True
    live = _live_endpoint(settings)
    if live is None or live == old:
        if _recorded_dead(old, settings):
            mark_gone(manifest, f"the LocalStack at {old} that held its resources has ended, and they with it", tf_dir, settings, out)
            return False
        raise EmulatorError(
            f"run {manifest.run_id} was applied on LocalStack at {old}, which does not answer, and no other "
            "emulator is running. Start one (`harness emulator start`, or set HARNESS_ENDPOINT_URL) and run "
            f"`harness down --run-id {manifest.run_id}` again: the run is destroyed there, or marked gone if its "
            "resources died with the old emulator."
        )
    try:
        present = leftovers.probe(Sessions.for_manifest(dataclasses.replace(manifest, endpoint_url=live)), manifest.planned)
    except (ClientError, BotoCoreError, HarnessError) as exc:
        raise EmulatorError(
            f"run {manifest.run_id}: its LocalStack at {old} does not answer, and the one at {live} could not be "
            f"checked for its resources ({exc}); fix that and run `harness down --run-id {manifest.run_id}` again."
        ) from exc
    if not present:
        mark_gone(manifest, f"its LocalStack at {old} no longer answers and none of its resources exist at {live}", tf_dir, settings, out)
        return False
    retarget_root(tf_dir, old, live)
    manifest.endpoint_url = live
    manifest.save(settings)
    print(
        f"run {manifest.run_id}: LocalStack at {old} no longer answers; {len(present)} of its resources live at "
        f"{live}: destroying there",
        file=out,
        flush=True,
    )
    return True
