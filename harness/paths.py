"""Where the checkout keeps its fixed pieces. One place, so nothing else hard-codes a path.

Places that a user may move (the state directory, tools, reports, the LocalStack virtualenv) are
:class:`~harness.settings.Settings` fields, read from the environment once at the edge.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULES_DIR = REPO_ROOT / "terraform" / "modules"
SCENARIOS_DIR = REPO_ROOT / "scenarios"
REFERENCE_TOPOLOGY = SCENARIOS_DIR / "reference.topology.yaml"
COMPOSE_FILE = REPO_ROOT / "docker-compose.localstack.yml"
