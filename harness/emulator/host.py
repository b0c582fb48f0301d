"""LocalStack core as a plain host process (no Docker), from its own virtualenv.

It listens on 127.0.0.1:4566 or the next free port. The process is detached (it outlives the
``harness`` command that started it); its PID, port and log live in the state directory. Its S3
object storage is redirected from LocalStack's hard-coded /tmp/localstack-s3-storage into the
state directory, so two instances never share it, and it is deleted on stop.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from harness.emulator.state import (
    SERVICES,
    START_TIMEOUT,
    EmulatorState,
    choose_port,
    is_ready,
    pid_alive,
    port_free,
    read_state,
    state_file,
    tail,
    write_state,
)
from harness.errors import EmulatorError
from harness.settings import Settings

log = logging.getLogger(__name__)

LEGACY_S3_DIR = Path("/tmp/localstack-s3-storage")
# The Lambda runtime executor `make setup` installs into LocalStack's virtualenv (entry point name).
LAMBDA_EXECUTOR = "harness-host-python"

# Runs inside the LocalStack virtualenv. LocalStack hard-codes its S3 storage directory as a module
# constant; point it into our state directory before the runtime starts.
# LocalStack 4.13's KMS derives key-material ids with uuid.uuid5(namespace, <bytes>), which only
# Python >= 3.12 accepts; on the 3.11 virtualenv every CreateKey failed with "encoding without a
# string argument". The shim is Python 3.12's own uuid5 for a bytes name (sha1 of namespace + name),
# so the ids are what LocalStack computes on 3.12; a str name goes to the original unchanged.
_LAUNCHER = (
    "import hashlib, os, shutil, signal, sys, threading, time, uuid\n"
    "if sys.version_info < (3, 12):\n"
    "    _uuid5 = uuid.uuid5\n"
    "    def _uuid5_bytes(namespace, name):\n"
    "        if isinstance(name, (bytes, bytearray)):\n"
    "            return uuid.UUID(bytes=hashlib.sha1(namespace.bytes + bytes(name)).digest()[:16], version=5)\n"
    "        return _uuid5(namespace, name)\n"
    "    uuid.uuid5 = _uuid5_bytes\n"
    "try:\n"
    "    import localstack.services.s3.provider as s3p\n"
    "    s3p.DEFAULT_S3_TMP_DIR = sys.argv[1]\n"
    "except Exception as exc:  # a LocalStack that moved it: storage stays in /tmp\n"
    "    print(f'harness: could not redirect S3 storage: {exc}', flush=True)\n"
    "tied_to, orphaned = int(sys.argv[2]), []\n"
    "def watch():\n"
    "    while True:\n"
    "        time.sleep(1.0)\n"
    "        try:\n"
    "            os.kill(tied_to, 0)\n"
    "        except ProcessLookupError:\n"
    "            print(f'harness: process {tied_to} that launched this LocalStack is gone; stopping', flush=True)\n"
    "            orphaned.append(True)\n"
    "            os.kill(os.getpid(), signal.SIGTERM)\n"
    "            return\n"
    "        except PermissionError:\n"
    "            pass\n"
    "if tied_to:\n"
    "    threading.Thread(target=watch, daemon=True).start()\n"
    "from localstack.runtime.main import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    if orphaned:  # nobody is left to stop us and delete our storage\n"
    "        shutil.rmtree(os.path.dirname(sys.argv[1]), ignore_errors=True)\n"
)


class HostEmulator:
    """LocalStack core as a plain host process."""

    def __init__(self, settings: Settings):
        self.state_dir = settings.emulator_dir
        self.venv = settings.localstack_venv
        self.environ = dict(settings.environ)  # what the LocalStack process inherits
        self.launched = False  # whether the last start() launched a process (so its caller owns it)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def status(self) -> EmulatorState | None:
        state = read_state(self.state_dir)
        if state and state.mode == "host" and state.pid and pid_alive(state.pid):
            return state
        return None

    def start(self, port: int | None = None, timeout: float = START_TIMEOUT, tied_to: int | None = None) -> EmulatorState:
        """Start LocalStack (or return the healthy instance already recorded in the state directory).

        ``tied_to``: a process id; a LocalStack launched by this call stops itself (and deletes its
        storage) once that process is gone, so a caller killed with SIGKILL leaves no emulator behind.
        Without it the instance is detached and lives until `stop`."""
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
        if not port_free(port):
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
        env = dict(self.environ)
        for var in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
            env.pop(var, None)
        env.update(
            {
                "GATEWAY_LISTEN": f"127.0.0.1:{port}",
                "LOCALSTACK_HOST": f"127.0.0.1:{port}",
                # Provider 3.39 only parses queue URLs of the form <endpoint>/<account>/<name>, which
                # is what strategy "off" returns ("path" adds /queue/<region>/ and breaks it).
                "SQS_ENDPOINT_STRATEGY": "off",
                # lambda: functions run by the kit's executor (plugins/localstack-lambda) as host
                # processes, no Docker; logs: their START/END/REPORT and output in /aws/lambda/<name>.
                "SERVICES": f"{SERVICES},lambda,logs",
                "LAMBDA_RUNTIME_EXECUTOR": LAMBDA_EXECUTOR,
                # An event source mapping on AWS long-polls its queue all the time; LocalStack's
                # backs off up to 10 s after an empty poll, which would add seconds to the first
                # message after a pause. Its pollers wait at most 1 s instead.
                "LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC": "1",
                "DNS_ADDRESS": "0",
                "EAGER_SERVICE_LOADING": "1",
                "DISABLE_EVENTS": "1",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "TMPDIR": str(tmp_dir),
                # LocalStack's certificate cache is otherwise shared by every instance on the machine
                # (/var/lib/localstack/cache): parallel starts raced writing it.
                "CUSTOM_SSL_CERT_PATH": str(instance / "server.test.pem"),
            }
        )
        with open(log_file, "w") as out:
            proc = subprocess.Popen(
                [str(self.python), "-c", _LAUNCHER, str(s3_dir), str(tied_to or 0)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(instance),
                start_new_session=True,  # detached: survives the CLI, not hit by the CLI's Ctrl-C
            )
        self.launched = True
        state = EmulatorState("host", endpoint, proc.pid, port, str(log_file), str(instance), time.time())
        write_state(self.state_dir, state)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise EmulatorError(
                        f"LocalStack exited during start-up (code {proc.returncode}). Last lines of {log_file}:\n"
                        f"{tail(log_file)}"
                    )
                if is_ready(endpoint):
                    log.info("LocalStack ready at %s (pid %d)", endpoint, proc.pid)
                    return state
                time.sleep(0.25)
            raise EmulatorError(
                f"LocalStack did not become healthy within {timeout:.0f}s at {endpoint}. Last lines of {log_file}:\n"
                f"{tail(log_file)}"
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
            if not (state.pid and pid_alive(state.pid)):
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
            state_file(self.state_dir).unlink(missing_ok=True)

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
                if not pid_alive(pid):
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
        if state.pid and pid_alive(state.pid):
            self._terminate(state.pid)
        if state.s3_dir:
            shutil.rmtree(state.s3_dir, ignore_errors=True)
        _clean_legacy_s3_dir()
        state_file(self.state_dir).unlink(missing_ok=True)
        return True


def _clean_legacy_s3_dir() -> None:
    """If LocalStack ignored the redirect it wrote to /tmp/localstack-s3-storage; clean that, but only
    when no other LocalStack host process is alive to use it."""
    if not LEGACY_S3_DIR.exists():
        return
    others = subprocess.run(["pgrep", "-f", "localstack.runtime.main"], capture_output=True, text=True).stdout.split()
    if not others:
        shutil.rmtree(LEGACY_S3_DIR, ignore_errors=True)
