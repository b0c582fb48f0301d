"""What the emulator stage records and asks: the state file of a started LocalStack, its health,
free ports. Shared by the host and Docker modes."""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.errors import EmulatorError

SERVICES = "sqs,sns,s3,sts,iam,kms"  # kms: customer-managed keys of topics, queues and payload buckets
DEFAULT_PORT = 4566
START_TIMEOUT = 90.0


@dataclass
class EmulatorState:
    mode: str
    endpoint_url: str
    pid: int | None = None
    port: int | None = None
    log_file: str | None = None
    s3_dir: str | None = None
    started_at: float | None = None


def state_file(state_dir: Path) -> Path:
    return state_dir / "state.json"


def read_state(state_dir: Path) -> EmulatorState | None:
    f = state_file(state_dir)
    if not f.is_file():
        return None
    try:
        return EmulatorState(**json.loads(f.read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise EmulatorError(
            f"{f} is unreadable ({type(exc).__name__}: {exc}). Stop any LocalStack it pointed to "
            "(`pgrep -af localstack.runtime.main`), delete the file, and start again."
        ) from exc


def write_state(state_dir: Path, state: EmulatorState) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_file(state_dir).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2))
    tmp.replace(state_file(state_dir))


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ephemeral_port() -> int:
    """A free port chosen by the kernel (unlikely to be chosen by a concurrent caller too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def choose_port(preferred: int = DEFAULT_PORT) -> int:
    return preferred if port_free(preferred) else ephemeral_port()


def health(endpoint_url: str, timeout: float = 2.0) -> dict | None:
    """LocalStack's health document, or None when nothing answers."""
    try:
        with urllib.request.urlopen(f"{endpoint_url}/_localstack/health", timeout=timeout) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def is_ready(endpoint_url: str) -> bool:
    doc = health(endpoint_url)
    if not doc:
        return False
    services = doc.get("services", {})
    return all(services.get(s) in ("available", "running") for s in SERVICES.split(","))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
