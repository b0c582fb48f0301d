"""LocalStack in Docker via ``docker-compose.localstack.yml`` (image pinned there;
``LOCALSTACK_AUTH_TOKEN`` is passed through for images that need one)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from harness.emulator.state import DEFAULT_PORT, START_TIMEOUT, EmulatorState, is_ready, read_state, state_file, write_state
from harness.errors import EmulatorError
from harness.paths import COMPOSE_FILE
from harness.settings import Settings


class DockerEmulator:
    """LocalStack in Docker via docker-compose.localstack.yml."""

    def __init__(self, settings: Settings, compose_file: Path = COMPOSE_FILE):
        self.state_dir = settings.emulator_dir
        self.compose_file = Path(compose_file)
        self.environ = dict(settings.environ)

    def _compose(self, *args: str, port: int | None = None) -> subprocess.CompletedProcess:
        if not shutil.which("docker"):
            raise EmulatorError("docker mode needs the docker CLI; use the default host mode instead.")
        return subprocess.run(
            ["docker", "compose", "-f", str(self.compose_file), *args], capture_output=True, text=True,
            env={**self.environ, **({"LOCALSTACK_PORT": str(port)} if port else {})},
        )

    def start(self, port: int | None = None, timeout: float = START_TIMEOUT) -> EmulatorState:
        port = port or DEFAULT_PORT
        proc = self._compose("up", "-d", "--wait", port=port)
        if proc.returncode != 0:
            raise EmulatorError(
                "docker compose could not start LocalStack (is a Docker engine running? this machine may "
                f"only have the client; use host mode):\n{proc.stderr.strip()[-2000:]}"
            )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_ready(endpoint):
                state = EmulatorState("docker", endpoint, None, port, None, None, time.time())
                write_state(self.state_dir, state)
                return state
            time.sleep(0.5)
        logs = self._compose("logs", "--tail", "25").stdout
        raise EmulatorError(f"LocalStack container not healthy within {timeout:.0f}s. Last log lines:\n{logs}")

    def stop(self) -> bool:
        proc = self._compose("down", "-v")
        state_file(self.state_dir).unlink(missing_ok=True)
        return proc.returncode == 0

    def status(self) -> EmulatorState | None:
        state = read_state(self.state_dir)
        return state if state and state.mode == "docker" and is_ready(state.endpoint_url) else None
