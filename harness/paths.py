"""Where the harness keeps things on disk. One place, so nothing else hard-codes a path.

Everything the harness writes lives under the state directory (``.harness/`` in the checkout, or
``$HARNESS_STATE_DIR``): the offline provider mirror and Terraform CLI config (``tools/``), the
emulator's PID, log and S3 storage (``emulator/``), and one folder per run (``runs/<run-id>/``).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULES_DIR = REPO_ROOT / "terraform" / "modules"
SCENARIOS_DIR = REPO_ROOT / "scenarios"
REFERENCE_TOPOLOGY = SCENARIOS_DIR / "reference.topology.yaml"
COMPOSE_FILE = REPO_ROOT / "docker-compose.localstack.yml"
LOCALSTACK_VENV = Path(os.environ.get("HARNESS_LOCALSTACK_VENV", REPO_ROOT / ".venv-localstack"))


def state_dir() -> Path:
    return Path(os.environ.get("HARNESS_STATE_DIR", REPO_ROOT / ".harness")).resolve()


def emulator_dir() -> Path:
    return state_dir() / "emulator"


def reports_dir() -> Path:
    return Path(os.environ.get("HARNESS_REPORTS_DIR", REPO_ROOT / "reports")).resolve()
