"""After an apply: set what provider hashicorp/aws 3.39 cannot, then record the run as applied.

Each kind does its own part (:meth:`harness.provision.kind.ProvisionKind.after_apply`): a
function's event source mapping gets ``FunctionResponseTypes`` (partial batch responses), a topic
its ``MaximumMessageSize`` (on AWS; the emulator keeps 256 KiB). Message-body filter policies are
:mod:`harness.provision.body_filters`. Runs after ``harness up`` and after ``harness change``
applies; every call goes through :mod:`harness.retry` with the target's after-apply policy.
"""

from __future__ import annotations

from typing import TextIO

from harness.provision.body_filters import set_body_filters
from harness.provision.kind import provision_kinds
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions


def complete(manifest: Manifest, out: TextIO | None = None, sessions: Sessions | None = None) -> list[str]:
    """Everything the provider left to do for ``manifest``'s run; returns the lines it printed."""
    sessions = sessions or Sessions.for_manifest(manifest)
    set_body_filters(manifest, out, sessions)
    topology = manifest.applied_topology()
    lines = [f"run {manifest.run_id}: {line}" for kind in provision_kinds() for line in kind.after_apply(manifest, topology, sessions)]
    if out is not None:
        for line in lines:
            print(line, file=out, flush=True)
    return lines
