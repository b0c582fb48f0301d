"""The real ``harness`` entry point in a subprocess, with its own state and reports directories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOPOLOGY = REPO / "scenarios" / "reference.topology.yaml"


def harness(state: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    full_env.update(HARNESS_STATE_DIR=str(state), HARNESS_REPORTS_DIR=str(state / "reports"), **env)
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, env=full_env, timeout=120)
