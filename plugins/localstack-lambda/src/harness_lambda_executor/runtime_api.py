"""The Lambda Runtime API (version 2018-06-01) for one handler process, on 127.0.0.1 and a free port.

In LocalStack's Docker executor this is the job of its init binary inside the container; here the
executor serves it from LocalStack's own process, one server per handler process (a restarted
process gets a new server, so nothing of a killed process can take the next invocation). The Runtime
Interface Client in the handler process is its only client:

- ``GET  /2018-06-01/runtime/invocation/next`` — long poll; the first one means init is done;
- ``POST /2018-06-01/runtime/invocation/<request id>/response`` and ``.../error``;
- ``POST /2018-06-01/runtime/init/error`` — the handler could not be loaded (e.g. an import error).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = logging.getLogger(__name__)

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


@dataclass
class Invocation:
    """One invocation handed to the handler process, and what came back."""

    request_id: str
    payload: bytes
    function_arn: str
    trace_id: str
    deadline_ms: int
    done: threading.Event = field(default_factory=threading.Event)
    result: bytes = b""
    is_error: bool = False
    error_type: str | None = None
    delivered_at: float | None = None  # monotonic time the handler process received it

    def finish(self, result: bytes, is_error: bool, error_type: str | None = None) -> bool:
        """Record the outcome once; later outcomes (a crash after a response, say) are ignored."""
        if self.done.is_set():
            return False
        self.result, self.is_error, self.error_type = result, is_error, error_type
        self.done.set()
        return True


@dataclass
class InitError:
    payload: bytes
    error_type: str


class RuntimeApi:
    """Runtime API state of one handler process, and its HTTP server."""

    def __init__(self, name: str, max_response_bytes: int) -> None:
        self.name = name
        self.max_response_bytes = max_response_bytes
        self._cond = threading.Condition()
        self._queued: Invocation | None = None  # waiting for the next GET .../next
        self._current: Invocation | None = None  # handed out, waiting for its response or error
        self._polling = False  # a GET .../next is waiting: the process is initialised and idle
        self._init_error: InitError | None = None
        self._closed = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"lambda-runtime-api-{name}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        """``host:port``, the value of ``AWS_LAMBDA_RUNTIME_API``."""
        port = self._server.server_address[1]
        return f"127.0.0.1:{port}"

    # --- executor side -------------------------------------------------------------------------

    def wait_initialised(self, timeout: float, abandon: Callable[[], bool]) -> InitError | bool:
        """Wait until the handler process polls for its first invocation (True), reports an init
        error (that error), or ``abandon()`` turns true (the process died, the environment stops) or
        ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._init_error is not None:
                    return self._init_error
                if self._polling:
                    return True
                remaining = deadline - time.monotonic()
                if abandon() or remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))

    def submit(self, invocation: Invocation) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError(f"runtime API {self.name} is closed")
            if self._queued is not None or self._current is not None:
                raise RuntimeError(f"runtime API {self.name} already has an invocation in flight")
            self._queued = invocation
            self._cond.notify_all()

    def fail_pending(self, error_type: str, message: str) -> None:
        """End the invocation in flight (if any) with an error: the process died, was killed or stopped.
        ``message`` may contain ``{request_id}``."""
        with self._cond:
            for invocation in (self._current, self._queued):
                if invocation is not None:
                    payload = {"errorType": error_type, "errorMessage": message.format(request_id=invocation.request_id)}
                    invocation.finish(json.dumps(payload).encode(), True, error_type)
            self._current = self._queued = None
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- handler-process side (called by _Handler) -------------------------------------------------

    def next_invocation(self) -> Invocation | None:
        """Block until an invocation is submitted; None once the API is closed (the long poll lasts
        as long as the process is idle; ``close`` ends it)."""
        with self._cond:
            self._polling = True
            self._cond.notify_all()
            try:
                while self._queued is None and not self._closed:
                    self._cond.wait(0.5)
                if self._closed:
                    return None
                invocation, self._queued = self._queued, None
                assert invocation is not None
                self._current = invocation
                invocation.delivered_at = time.monotonic()
                return invocation
            finally:
                self._polling = False

    def complete(self, request_id: str, body: bytes, error_type: str | None) -> HTTPStatus:
        with self._cond:
            invocation = self._current
            if invocation is None or invocation.request_id != request_id:
                return HTTPStatus.BAD_REQUEST
            self._current = None
        if error_type is None and len(body) > self.max_response_bytes:
            payload = json.dumps({
                "errorMessage": f"Response payload size ({len(body)} bytes) exceeded maximum allowed payload size "
                                f"({self.max_response_bytes} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }).encode()
            invocation.finish(payload, True, "Function.ResponseSizeTooLarge")
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        invocation.finish(body, error_type is not None, error_type)
        return HTTPStatus.ACCEPTED

    def report_init_error(self, body: bytes, error_type: str) -> None:
        with self._cond:
            self._init_error = InitError(body, error_type)
            self._cond.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    api: RuntimeApi

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """A handler process killed mid-request (timeout, stop) breaks its connection: not worth a
        traceback on LocalStack's stderr; anything else is logged with one."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            LOG.debug("runtime API %s: connection from %s ended: %s", self.api.name, client_address, exc)
        else:
            LOG.warning("runtime API %s: request from %s failed", self.api.name, client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and Expect: 100-continue for large bodies
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        LOG.debug("runtime API %s: " + format, self.server.api.name, *args)

    def _reply(self, status: HTTPStatus, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._reply(status, json.dumps({"errorMessage": message, "errorType": status.phrase}).encode(),
                    {"Content-Type": "application/json"})

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._error(HTTPStatus.NOT_FOUND, f"not part of this Runtime API: GET {self.path}")
            return
        invocation = self.server.api.next_invocation()
        if invocation is None:
            self._error(HTTPStatus.GONE, "the execution environment is shutting down")
            self.close_connection = True
            return
        self._reply(HTTPStatus.OK, invocation.payload, {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
        })

    def do_POST(self) -> None:
        body = self._body()
        api = self.server.api
        if self.path == f"{PREFIX}/init/error":
            api.report_init_error(body, self.headers.get(ERROR_TYPE_HEADER) or "Runtime.Unknown")
            self._reply(HTTPStatus.ACCEPTED, b'{"status":"OK"}', {"Content-Type": "application/json"})
            return
        parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
        if not self.path.startswith(f"{PREFIX}/invocation/") or len(parts) != 2 or parts[1] not in ("response", "error"):
            self._error(HTTPStatus.NOT_FOUND, f"not part of this Runtime API: POST {self.path}")
            return
        request_id, kind = parts
        error_type = (self.headers.get(ERROR_TYPE_HEADER) or "Unhandled") if kind == "error" else None
        status = api.complete(request_id, body, error_type)
        if status == HTTPStatus.BAD_REQUEST:
            self._error(status, f"request id {request_id} is not the invocation in flight")
        elif status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            self._error(status, "response payload too large")
        else:
            self._reply(status, b'{"status":"OK"}', {"Content-Type": "application/json"})
