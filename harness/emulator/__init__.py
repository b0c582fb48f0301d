"""Stage 2 — the emulator: LocalStack started, found, health-checked and stopped.

Takes :class:`~harness.settings.Settings` (where state lives, which LocalStack virtualenv) and
hands on an endpoint URL for the :class:`~harness.provision.targets.Target` of a run. Modes:

- ``host`` (default, :mod:`.host`): LocalStack core from its own virtualenv, no Docker;
- ``docker`` (:mod:`.docker`): ``docker compose -f docker-compose.localstack.yml``;
- ``external``: an endpoint someone else runs (``--endpoint-url`` / ``HARNESS_ENDPOINT_URL``);
  start/stop only record it.
"""

from __future__ import annotations

import time

from harness.emulator.docker import DockerEmulator
from harness.emulator.host import HostEmulator
from harness.emulator.state import (
    DEFAULT_PORT,
    SERVICES,
    EmulatorState,
    choose_port,
    ephemeral_port,
    health,
    is_ready,
    pid_alive,
    read_state,
    write_state,
)
from harness.errors import EmulatorError
from harness.settings import Settings

__all__ = [
    "DEFAULT_PORT",
    "DockerEmulator",
    "EmulatorState",
    "HostEmulator",
    "choose_port",
    "current_endpoint",
    "ephemeral_port",
    "health",
    "is_ready",
    "pid_alive",
    "read_state",
    "use_external",
]


def use_external(settings: Settings, endpoint_url: str) -> EmulatorState:
    """Record an endpoint someone else runs as this state directory's emulator."""
    if not is_ready(endpoint_url):
        raise EmulatorError(
            f"nothing healthy answers at {endpoint_url}/_localstack/health with {SERVICES} available; "
            "start LocalStack there or check the URL."
        )
    state = EmulatorState("external", endpoint_url.rstrip("/"), started_at=time.time())
    write_state(settings.emulator_dir, state)
    return state


def current_endpoint(settings: Settings) -> str:
    """The endpoint to use: ``settings.endpoint_url`` (HARNESS_ENDPOINT_URL), else the emulator
    recorded in the state directory, checked to be alive."""
    if settings.endpoint_url:
        return settings.endpoint_url
    state = read_state(settings.emulator_dir)
    if state is None:
        raise EmulatorError("no emulator is running: `harness emulator start` (or pass --endpoint-url).")
    if not is_ready(state.endpoint_url):
        raise EmulatorError(
            f"the emulator recorded at {state.endpoint_url} does not answer; `harness emulator stop` then `start`."
        )
    return state.endpoint_url
