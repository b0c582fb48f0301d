"""What a report says about how it was made: the kit's version and git commit (when it runs from a
checkout), the provider, the emulator's version and the applied topology's sha256 (report.json's
``meta``, shown in every report)."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from pathlib import Path

from harness import emulator, paths
from harness.provision.manifest import Manifest


def run_meta(manifest: Manifest) -> dict[str, str]:
    """What a report says about how it was made: the kit's version and git commit (when it runs
    from a checkout), the emulator's version, the provider, and the applied topology's sha256."""
    meta = {"kit": kit_version(), "commit": git_commit(paths.REPO_ROOT), "provider": f"hashicorp/aws {manifest.provider_version}",
            "topology_sha256": manifest.topology_sha256, "python": platform.python_version()}
    if manifest.endpoint_url:
        doc = emulator.health(manifest.endpoint_url) or {}
        meta["emulator"] = f"LocalStack {doc['version']}" if doc.get("version") else ""
    return {k: v for k, v in meta.items() if v}


def kit_version() -> str:
    try:
        return importlib.metadata.version("messaging-e2e-harness")
    except importlib.metadata.PackageNotFoundError:
        return ""


def git_commit(root: Path) -> str:
    """The checkout's commit (short), with ``+dirty`` for uncommitted changes; "" outside git."""
    if not (root / ".git").exists():
        return ""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    if head.returncode != 0:
        return ""
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
