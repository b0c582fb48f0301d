"""LocalStack's ``RuntimeExecutor`` for one execution environment, as a process on the host.

LocalStack creates one executor per execution environment and calls ``start`` (environment
variables of the function), then ``invoke`` once per invocation (never two at a time), then ``stop``
(function deleted or updated, idle for ``LAMBDA_KEEPALIVE_MS``, LocalStack shutting down).

The environment is one handler process (:class:`.handler_process.HandlerProcess`) running AWS's
Runtime Interface Client against this executor's Runtime API (:mod:`.runtime_api`). What AWS does
around it is done here as far as sensible on a host:

- **timeout**: the invocation is given the function's timeout; past it the process is killed and
  the result is AWS's ``Sandbox.Timedout`` error; the next invocation starts a new process (a new
  init, as after a timeout on AWS);
- **memory**: the process's resident set is held to the function's memory size (``Runtime.OutOfMemory``);
- **crash**: a process that exits during an invocation gives ``Runtime.ExitError``, and the next
  invocation starts a new one;
- **init error** (the handler module does not import, the handler is missing): the invocation gets
  the Runtime Interface Client's own error document (``Runtime.ImportModuleError`` …);
- **logs**: START, the handler's output, END and REPORT (duration, memory, init duration) are returned
  with every invocation, so LocalStack stores them in CloudWatch Logs (``/aws/lambda/<function>``)
  when its ``logs`` service runs, and prints them with ``DEBUG=1``.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

from harness_lambda_executor import PLUGIN_NAME, PROCESS_MARKER, processes, runtime_site
from harness_lambda_executor.handler_process import HandlerProcess, describe_exit
from harness_lambda_executor.runtime_api import InitError, Invocation, RuntimeApi

LOG = logging.getLogger(__name__)

BOOTSTRAP = str(Path(__file__).resolve().with_name("bootstrap.py"))
STOP_GRACE = 2.0  # seconds between SIGTERM and SIGKILL when an environment stops
ENVIRONMENT_LOG_LINES = 2000  # what get_logs() keeps of an environment's output
#: ``HARNESS_LAMBDA_MEMORY_LIMIT=off`` (in LocalStack's environment) only reports memory, never kills.
ENFORCE_MEMORY = os.environ.get("HARNESS_LAMBDA_MEMORY_LIMIT", "enforce").strip().lower() != "off"

_warned: set[str] = set()


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        LOG.warning(message, *args)


def _gateway_host() -> str:
    """How a handler process reaches LocalStack's gateway: its listen address, or loopback for a wildcard."""
    host = config.GATEWAY_LISTEN[0].host
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host


class HostPythonRuntimeExecutor(RuntimeExecutor):
    """One execution environment: a local process of LocalStack's Python running the function's handler."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self._name = f"{function_version.id.function_name}:{function_version.id.qualifier}/{id[:8]}"
        self._env: dict[str, str] = {}
        self._dir = Path(tempfile.gettempdir()) / "harness-lambda" / "environments" / id
        self._process: HandlerProcess | None = None
        self._boot_lock = threading.Lock()
        self._stopped = threading.Event()
        self._log: collections.deque[str] = collections.deque(maxlen=ENVIRONMENT_LOG_LINES)
        self._init_ms: float | None = None  # reported once, by the first invocation after an init

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self._env = self._environment(env_vars)
        with self._boot_lock:
            init_error = self._boot()
        if init_error is not None:
            # LocalStack turns this into the invocation's error result (as its init binary's
            # status/error does): on AWS too an init failure is returned by the invoke that caused it.
            raise StatusErrorException("Environment startup failed", payload=init_error.payload)

    def stop(self) -> None:
        self._stopped.set()
        process = self._process
        if process is not None:
            process.api.fail_pending("Runtime.Stopped", "RequestId: {request_id} Error: the execution environment was stopped")
            process.end("stop", grace=STOP_GRACE)
            LOG.info("Lambda %s: environment stopped; handler process pid %d ended (%s)",
                     self._name, process.pid, describe_exit(process.returncode))
        shutil.rmtree(self._dir, ignore_errors=True)

    def _boot(self) -> InitError | None:
        """Start a handler process and wait for it to initialise. Returns its init error, if it
        reported one; raises if it could not start at all. The caller holds ``_boot_lock``."""
        if self._stopped.is_set():
            raise LambdaRuntimeException(f"execution environment {self.id} is stopped")
        timeout = float(config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT)
        api = RuntimeApi(self._name, int(config.LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES))
        handler = self.function_version.config.handler
        argv = [sys.executable, "-S", BOOTSTRAP, PROCESS_MARKER, str(os.getpid()), self.id, str(processes.lifeline_fd()), handler]
        memory = int(self.function_version.config.memory_size)
        try:
            process = HandlerProcess(self._name, argv, {**self._env, "AWS_LAMBDA_RUNTIME_API": api.address},
                                     self._env["LAMBDA_TASK_ROOT"], api, memory if ENFORCE_MEMORY else None, self._log)
        except OSError as exc:
            api.close()
            raise LambdaRuntimeException(f"could not start a handler process with {sys.executable}: {exc}") from exc
        self._process = process
        LOG.info("Lambda %s: handler process pid %d started (handler %s, runtime API %s)",
                 self._name, process.pid, handler, api.address)
        if self._stopped.is_set():  # stop() ran while we spawned: it may not have seen this process
            process.end("stop", grace=0.0)
            raise LambdaRuntimeException(f"execution environment {self.id} stopped during start-up")
        outcome = api.wait_initialised(timeout, lambda: process.gone.is_set() or self._stopped.is_set())
        if outcome is True:
            self._init_ms = (time.monotonic() - process.started) * 1000
            return None
        if isinstance(outcome, InitError):
            process.end("init error", grace=0.5)
            LOG.info("Lambda %s: init failed (%s); the invocation returns that error", self._name, outcome.error_type)
            return outcome
        if self._stopped.is_set():
            raise LambdaRuntimeException(f"execution environment {self.id} stopped during start-up")
        if process.gone.is_set():
            output = process.take_output()[-4000:]
            raise LambdaRuntimeException(
                f"handler process pid {process.pid} of {self._name} exited during start-up ({describe_exit(process.returncode)}) "
                f"before reaching the Runtime API. Its output:\n{output}"
            )
        process.end("init timeout", grace=0.0)
        raise LambdaRuntimeException(
            f"handler process pid {process.pid} of {self._name} did not initialise within {timeout:.0f}s; "
            "if its module is slow to import, raise LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT"
        )

    # --- invocations ----------------------------------------------------------------------------

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        qualifier = self.function_version.id.qualifier
        with self._boot_lock:
            process = self._process
            if process is None or process.gone.is_set():  # after a timeout, crash or OOM: a new init
                init_error = self._boot()
                if init_error is not None:
                    return InvocationResult(request_id, init_error.payload, is_error=True, logs=self._take_init_logs())
                process = self._process
        assert process is not None
        timeout = float(self.function_version.config.timeout)
        start_lines = process.take_output()  # init output, or what ran after the last invocation
        invocation = Invocation(
            request_id=request_id,
            payload=payload["payload"].encode(),
            function_arn=payload["invoked-function-arn"],
            trace_id=payload.get("trace-id", ""),
            deadline_ms=int((time.time() + timeout) * 1000),
        )
        started = time.monotonic()
        process.api.submit(invocation)
        finished = invocation.done.wait(timeout)
        duration_ms = (time.monotonic() - started) * 1000
        status = ""
        if not finished:
            LOG.info("Lambda %s: request %s timed out after %.2fs; killing handler process pid %d",
                     self._name, request_id, timeout, process.pid)
            process.end("timeout", grace=0.0)
            message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
            invocation.finish(json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode(), True, "Sandbox.Timedout")
            status = "timeout"
        elif invocation.error_type in ("Runtime.OutOfMemory", "Runtime.ExitError"):
            status = "error"
        if self._stopped.is_set() and invocation.error_type == "Runtime.Stopped":
            raise LambdaRuntimeException(f"execution environment {self.id} was stopped during request {request_id}")
        output = process.take_output()
        lines = [start_lines, f"START RequestId: {request_id} Version: {qualifier}\n", output]
        if status == "timeout":
            lines.append(f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())}Z {request_id} Task timed out after {timeout:.2f} seconds\n")
        elif status == "error":
            lines.append(f"{json.loads(invocation.result)['errorMessage']} ({invocation.error_type})\n")
        lines.append(f"END RequestId: {request_id}\n")
        report = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {math.ceil(duration_ms)} ms\t"
                  f"Memory Size: {self.function_version.config.memory_size} MB\tMax Memory Used: {process.peak_memory_mb()} MB")
        if self._init_ms is not None:
            report += f"\tInit Duration: {self._init_ms:.2f} ms"
            self._init_ms = None
        if status:
            report += f"\tStatus: {status}"
        lines.append(report + "\n")
        return InvocationResult(request_id, invocation.result, is_error=invocation.is_error, logs="".join(lines))

    def _take_init_logs(self) -> str:
        process = self._process
        return process.take_output() if process is not None else ""

    def get_logs(self) -> str:
        return "".join(self._log)

    # --- addresses --------------------------------------------------------------------------------

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return _gateway_host()

    def get_runtime_endpoint(self) -> str:
        return f"http://{_gateway_host()}:{config.GATEWAY_LISTEN[0].port}/_localstack_lambda/{self.id}"

    # --- the process's environment ----------------------------------------------------------------

    def _environment(self, env_vars: dict[str, str]) -> dict[str, str]:
        """LocalStack's environment of the function (its reserved variables, credentials of the role,
        AWS_ENDPOINT_URL, then the function's own variables), adapted to a host process."""
        tmp, home = self._dir / "tmp", self._dir / "home"
        tmp.mkdir(parents=True, exist_ok=True)
        home.mkdir(parents=True, exist_ok=True)
        env = {key: str(value) for key, value in env_vars.items()}
        # Managed-instance multi-concurrency would switch the runtime client into a mode it cannot run here.
        env.pop("AWS_LAMBDA_MAX_CONCURRENCY", None)
        # Reserved on AWS (a function cannot set them): where the code and the runtime are on this host.
        env["LAMBDA_TASK_ROOT"] = str(self.function_version.config.code.get_unzipped_code_location())
        env["LAMBDA_RUNTIME_DIR"] = str(runtime_site.runtime_dir())
        env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{self.function_version.config.runtime}"
        # What a process needs on a host; the handler's own HOME, TMPDIR, and no AWS config files of
        # the host's user (the role's credentials come from the variables above).
        env.setdefault("PATH", os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"))
        env.setdefault("LANG", "C.UTF-8")
        env.setdefault("HOME", str(home))
        env.setdefault("TMPDIR", str(tmp))
        env.setdefault("AWS_CONFIG_FILE", os.devnull)
        env.setdefault("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")  # /var/task is read-only on AWS
        return env

    # --- per function version -------------------------------------------------------------------------

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        """Unpack the code and check that this executor can run the function at all. An exception
        here puts the function in state Failed with the message as its StateReason."""
        fn = function_version.id.function_name
        cfg = function_version.config
        if cfg.package_type != PackageType.Zip:
            raise LambdaRuntimeException(
                f"{fn}: container-image functions need Docker; the {PLUGIN_NAME} executor runs only .zip Python functions"
            )
        runtime = str(cfg.runtime or "")
        if not runtime.startswith("python"):
            raise LambdaRuntimeException(
                f"{fn}: runtime {runtime or '(none)'} is not Python; the {PLUGIN_NAME} executor runs only Python "
                "handlers (LAMBDA_RUNTIME_EXECUTOR=docker runs the others, with Docker)"
            )
        here = f"python{sys.version_info.major}.{sys.version_info.minor}"
        if runtime != here:
            _warn_once(f"runtime:{runtime}", "Lambda runtime %s is run by this host's %s (%s): the handler runs, "
                       "but language features and the standard library are %s's", runtime, here, sys.executable, here)
        if cfg.layers:
            _warn_once(f"layers:{fn}", "Lambda %s has layers; the %s executor does not put layers on the handler's path",
                       fn, PLUGIN_NAME)
        if cfg.code:
            cfg.code.prepare_for_execution()
        runtime_site.runtime_dir()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing per version: the unpacked code is LocalStack's (deleted with the function)."""

    @classmethod
    def validate_environment(cls) -> bool:
        if importlib.util.find_spec("awslambdaric") is None:
            LOG.error("Lambda runtime executor %s: awslambdaric is not installed in LocalStack's virtualenv; run `make setup`",
                      PLUGIN_NAME)
            return False
        LOG.info(
            "Lambda runtime executor %s: functions run as local processes of %s (Python %s), not in Docker or AWS's "
            "runtime image; handlers import their code, boto3 and the standard library",
            PLUGIN_NAME, sys.executable, sys.version.split()[0],
        )
        if not sys.platform.startswith("linux"):
            LOG.warning("Lambda runtime executor %s: no PR_SET_PDEATHSIG on %s; a handler process notices LocalStack's "
                        "death only through its lifeline pipe", PLUGIN_NAME, sys.platform)
        return True
