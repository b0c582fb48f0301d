"""LocalStack management: ``harness emulator start|stop|status``.

Modes:
- ``host`` (default): LocalStack core from its own virtualenv (``.venv-localstack``), no Docker,
  listening on 127.0.0.1:4566 or the next free port. The process is detached (it outlives the
  ``harness`` command that started it); its PID, port and log live in the state directory. Its S3
  object storage is redirected from LocalStack's hard-coded /tmp/localstack-s3-storage into the
  state directory, so two instances never share it, and it is deleted on stop.
- ``docker``: ``docker compose -f docker-compose.localstack.yml`` (image pinned there;
  ``LOCALSTACK_AUTH_TOKEN`` is passed through for images that need one).
- ``external``: an endpoint someone else runs (``--endpoint-url``); start/stop only record it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from harness import paths
from harness.errors import EmulatorError

log = logging.getLogger(__name__)

SERVICES = "sqs,sns,s3,sts,iam"
DEFAULT_PORT = 4566
START_TIMEOUT = 90.0
LEGACY_S3_DIR = Path("/tmp/localstack-s3-storage")

# Runs inside the LocalStack virtualenv. LocalStack hard-codes its S3 storage directory as a module
# constant; point it into our state directory before the runtime starts.
_LAUNCHER = (
    "import sys\n"
    "try:\n"
    "    import localstack.services.s3.provider as s3p\n"
    "    s3p.DEFAULT_S3_TMP_DIR = sys.argv[1]\n"
    "except Exception as exc:  # a LocalStack that moved it: storage stays in /tmp\n"
    "    print(f'harness: could not redirect S3 storage: {exc}', flush=True)\n"
    "from localstack.runtime.main import main\n"
    "main()\n"
)


@dataclass
class EmulatorState:
    mode: str
    endpoint_url: str
    pid: int | None = None
    port: int | None = None
    log_file: str | None = None
    s3_dir: str | None = None
    started_at: float | None = None


def _state_file(state_dir: Path) -> Path:
    return state_dir / "state.json"


def read_state(state_dir: Path | None = None) -> EmulatorState | None:
    f = _state_file(state_dir or paths.emulator_dir())
    if not f.is_file():
        return None
    try:
        return EmulatorState(**json.loads(f.read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise EmulatorError(
            f"{f} is unreadable ({type(exc).__name__}: {exc}). Stop any LocalStack it pointed to "
            "(`pgrep -af localstack.runtime.main`), delete the file, and start again."
        ) from exc


def _write_state(state_dir: Path, state: EmulatorState) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = _state_file(state_dir).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2))
    tmp.replace(_state_file(state_dir))


def _port_free(port: int) -> bool:
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
    return preferred if _port_free(preferred) else ephemeral_port()


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class HostEmulator:
    """LocalStack core as a plain host process."""

    def __init__(self, state_dir: Path | None = None, venv: Path | None = None):
        self.state_dir = Path(state_dir or paths.emulator_dir())
        self.venv = Path(venv or paths.LOCALSTACK_VENV)
        self.launched = False  # whether the last start() launched a process (so its caller owns it)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def status(self) -> EmulatorState | None:
        state = read_state(self.state_dir)
        if state and state.mode == "host" and state.pid and _pid_alive(state.pid):
            return state
        return None

    def start(self, port: int | None = None, timeout: float = START_TIMEOUT) -> EmulatorState:
        self.launched = False
        running = self.status()
        if running and self._await_ready(running, timeout):
            log.info("LocalStack already running at %s (pid %s)", running.endpoint_url, running.pid)
            return running
        if running:  # alive but still not answering: replace it rather than orphan it
            log.warning("LocalStack pid %s at %s does not answer; stopping it before starting a new one",
                        running.pid, running.endpoint_url)
            self.stop()
        if not self.python.exists():
            raise EmulatorError(f"LocalStack's virtualenv is missing ({self.venv}); run `make setup` first.")
        port = port or choose_port()
        if not _port_free(port):
            raise EmulatorError(f"port {port} is taken; stop what runs there or omit --port to pick a free one.")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        instance = self.state_dir / f"instance-{port}"
        if instance.exists():
            shutil.rmtree(instance)
        s3_dir = instance / "s3-storage"
        tmp_dir = instance / "tmp"
        s3_dir.mkdir(parents=True)
        tmp_dir.mkdir(parents=True)
        log_file = self.state_dir / f"localstack-{port}.log"
        endpoint = f"http://127.0.0.1:{port}"
        env = dict(os.environ)
        for var in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
            env.pop(var, None)
        env.update(
            {
                "GATEWAY_LISTEN": f"127.0.0.1:{port}",
                "LOCALSTACK_HOST": f"127.0.0.1:{port}",
                # Provider 3.39 only parses queue URLs of the form <endpoint>/<account>/<name>, which
                # is what strategy "off" returns ("path" adds /queue/<region>/ and breaks it).
                "SQS_ENDPOINT_STRATEGY": "off",
                "SERVICES": SERVICES,
                "DNS_ADDRESS": "0",
                "EAGER_SERVICE_LOADING": "1",
                "DISABLE_EVENTS": "1",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "TMPDIR": str(tmp_dir),
            }
        )
        with open(log_file, "w") as out:
            proc = subprocess.Popen(
                [str(self.python), "-c", _LAUNCHER, str(s3_dir)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(instance),
                start_new_session=True,  # detached: survives the CLI, not hit by the CLI's Ctrl-C
            )
        self.launched = True
        state = EmulatorState("host", endpoint, proc.pid, port, str(log_file), str(instance), time.time())
        _write_state(self.state_dir, state)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise EmulatorError(
                        f"LocalStack exited during start-up (code {proc.returncode}). Last lines of {log_file}:\n"
                        f"{_tail(log_file)}"
                    )
                if is_ready(endpoint):
                    log.info("LocalStack ready at %s (pid %d)", endpoint, proc.pid)
                    return state
                time.sleep(0.25)
            raise EmulatorError(
                f"LocalStack did not become healthy within {timeout:.0f}s at {endpoint}. Last lines of {log_file}:\n"
                f"{_tail(log_file)}"
            )
        except BaseException:  # crash, timeout or Ctrl-C: leave no process and no storage behind
            if proc.poll() is None:
                self._terminate(proc.pid)
            shutil.rmtree(instance, ignore_errors=True)
            self._forget(proc.pid)
            self.launched = False
            raise

    @staticmethod
    def _await_ready(state: EmulatorState, timeout: float) -> bool:
        """Whether a recorded, live instance answers: one still starting (maybe another harness
        process's) gets the rest of its start-up time; an older one a few seconds of retries."""
        deadline = max((state.started_at or 0.0) + timeout, time.time() + 3.0)
        while time.time() < deadline:
            if is_ready(state.endpoint_url):
                return True
            if not (state.pid and _pid_alive(state.pid)):
                return False
            time.sleep(0.5)
        return False

    def _forget(self, pid: int) -> None:
        """Remove the state file if it still describes process ``pid`` (and not a newer instance)."""
        try:
            current = read_state(self.state_dir)
        except EmulatorError:
            current = None
        if current is None or current.pid == pid:
            _state_file(self.state_dir).unlink(missing_ok=True)

    @staticmethod
    def _terminate(pid: int, grace: float = 15.0) -> None:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    return
            except ChildProcessError:
                if not _pid_alive(pid):
                    return
            time.sleep(0.1)
        log.warning("LocalStack (pid %d) ignored SIGTERM for %.0fs; killing it", pid, grace)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self) -> bool:
        """Stop the instance and delete its S3 storage. Returns False if none was running."""
        state = read_state(self.state_dir)
        if state is None or state.mode != "host":
            return False
        if state.pid and _pid_alive(state.pid):
            self._terminate(state.pid)
        if state.s3_dir:
            shutil.rmtree(state.s3_dir, ignore_errors=True)
        _clean_legacy_s3_dir()
        _state_file(self.state_dir).unlink(missing_ok=True)
        return True


def _clean_legacy_s3_dir() -> None:
    """If LocalStack ignored the redirect it wrote to /tmp/localstack-s3-storage; clean that, but only
    when no other LocalStack host process is alive to use it."""
    if not LEGACY_S3_DIR.exists():
        return
    others = subprocess.run(["pgrep", "-f", "localstack.runtime.main"], capture_output=True, text=True).stdout.split()
    if not others:
        shutil.rmtree(LEGACY_S3_DIR, ignore_errors=True)


class DockerEmulator:
    """LocalStack in Docker via docker-compose.localstack.yml."""

    def __init__(self, state_dir: Path | None = None, compose_file: Path | None = None):
        self.state_dir = Path(state_dir or paths.emulator_dir())
        self.compose_file = Path(compose_file or paths.COMPOSE_FILE)

    def _compose(self, *args: str) -> subprocess.CompletedProcess:
        if not shutil.which("docker"):
            raise EmulatorError("docker mode needs the docker CLI; use the default host mode instead.")
        return subprocess.run(
            ["docker", "compose", "-f", str(self.compose_file), *args], capture_output=True, text=True
        )

    def start(self, port: int | None = None, timeout: float = START_TIMEOUT) -> EmulatorState:
        port = port or DEFAULT_PORT
        env_port = {"LOCALSTACK_PORT": str(port)}
        os.environ.update(env_port)
        proc = self._compose("up", "-d", "--wait")
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
                _write_state(self.state_dir, state)
                return state
            time.sleep(0.5)
        logs = self._compose("logs", "--tail", "25").stdout
        raise EmulatorError(f"LocalStack container not healthy within {timeout:.0f}s. Last log lines:\n{logs}")

    def stop(self) -> bool:
        proc = self._compose("down", "-v")
        _state_file(self.state_dir).unlink(missing_ok=True)
        return proc.returncode == 0

    def status(self) -> EmulatorState | None:
        state = read_state(self.state_dir)
        return state if state and state.mode == "docker" and is_ready(state.endpoint_url) else None


def use_external(endpoint_url: str, state_dir: Path | None = None) -> EmulatorState:
    if not is_ready(endpoint_url):
        raise EmulatorError(
            f"nothing healthy answers at {endpoint_url}/_localstack/health with {SERVICES} available; "
            "start LocalStack there or check the URL."
        )
    state = EmulatorState("external", endpoint_url.rstrip("/"), started_at=time.time())
    _write_state(Path(state_dir or paths.emulator_dir()), state)
    return state


def current_endpoint(state_dir: Path | None = None) -> str:
    """The endpoint of the emulator recorded in the state dir, checked to be alive."""
    env_url = os.environ.get("HARNESS_ENDPOINT_URL")
    if env_url:
        return env_url.rstrip("/")
    state = read_state(state_dir)
    if state is None:
        raise EmulatorError("no emulator is running: `harness emulator start` (or pass --endpoint-url).")
    if not is_ready(state.endpoint_url):
        raise EmulatorError(
            f"the emulator recorded at {state.endpoint_url} does not answer; `harness emulator stop` then `start`."
        )
    return state.endpoint_url
