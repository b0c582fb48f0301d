"""Client API faults, injected inside botocore: a ``before-send`` handler on every client of the
scenario's :class:`~harness.provision.sessions.Sessions` answers chosen operations with what AWS
sends when it throttles or fails (an HTTP response in the service's own protocol, parsed by botocore
as usual into a ``ClientError``), raises the timeout or connection reset botocore raises, or
delays the request. The call then meets the kit's retry policy (:mod:`harness.retry`) exactly as a
real error would; the same code runs against the emulator and AWS because nothing leaves the
process.

Every injected response carries the header ``x-harness-fault`` and every injected exception is an
:class:`Injected`: a failed publish can be told apart from a real one (:func:`injected`).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore import exceptions as bce
from botocore.awsrequest import AWSResponse, HTTPHeaders

FAULT_HEADER = "x-harness-fault"

#: Operations a fault may name, and the service each belongs to.
OPERATIONS: dict[str, str] = {
    "Publish": "sns", "PublishBatch": "sns",
    "SendMessage": "sqs", "SendMessageBatch": "sqs", "ReceiveMessage": "sqs", "DeleteMessage": "sqs",
    "DeleteMessageBatch": "sqs", "ChangeMessageVisibility": "sqs",
    "PutObject": "s3", "CreateMultipartUpload": "s3", "UploadPart": "s3", "CompleteMultipartUpload": "s3",
    "GetObject": "s3", "HeadObject": "s3", "DeleteObject": "s3",
}
PUBLISHING = ("Publish", "PublishBatch", "SendMessage", "SendMessageBatch")

#: (status, error code per protocol, message): what AWS answers.
ERRORS: dict[str, tuple[int, dict[str, str], str]] = {
    "throttling": (400, {"query": "Throttling", "json": "RequestThrottled", "rest-xml": "SlowDown"}, "Rate exceeded"),
    "internal_error": (500, {"query": "InternalError", "json": "InternalError", "rest-xml": "InternalError"},
                       "We encountered an internal error. Please try again."),
    "service_unavailable": (503, {"query": "ServiceUnavailable", "json": "ServiceUnavailable", "rest-xml": "ServiceUnavailable"},
                            "Service is unable to handle request."),
}


class Injected:
    """Marks an exception raised by an injected fault."""


class InjectedReadTimeout(bce.ReadTimeoutError, Injected):
    pass


class InjectedConnectionReset(bce.ConnectionClosedError, Injected):
    pass


class InjectedCrash(bce.BotoCoreError, Injected):
    """The calling process 'died': this call and every later one of the same thread fail, until the
    scenario takes note (:meth:`Injector.recovered`). Not retried: nothing is left to retry it."""

    fmt = "the publishing process crashed before this call (an injected fault: {detail})"


def injected(error: BaseException | None) -> bool:
    """Whether ``error`` (or an error it was raised from) came from an injected fault."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, Injected):
            return True
        if isinstance(error, bce.ClientError):
            headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
            if FAULT_HEADER in headers:
                return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_response(url: str, protocol: str, error: str, fault: str) -> AWSResponse:
    """The HTTP answer AWS gives for ``error`` (a key of :data:`ERRORS`) in ``protocol``."""
    status, codes, message = ERRORS[error]
    code = codes.get(protocol, codes["query"])
    request_id = str(uuid.uuid4())
    headers = {FAULT_HEADER: fault, "x-amzn-requestid": request_id, "x-amz-request-id": request_id}
    side = "Sender" if status < 500 else "Receiver"
    if protocol == "json":
        body = f'{{"__type": "com.amazonaws.sqs#{code}", "message": "{message}"}}'
        headers.update({"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{code};{side}"})
    elif protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        headers["Content-Type"] = "application/xml"
    else:
        body = (f"<ErrorResponse><Error><Type>{side}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        headers["Content-Type"] = "text/xml"
    return AWSResponse(url, status, HTTPHeaders.from_dict(headers), _Raw(body.encode()))


@dataclass(frozen=True)
class Effect:
    """What a struck fault does to one call: answer ``error`` (a key of :data:`ERRORS`), raise
    ``raise_`` ("timeout", "reset", "crash") after ``delay`` seconds, or only wait ``delay``."""

    error: str | None = None
    raise_: str | None = None
    delay: float = 0.0


#: Decides one call: (service, operation, correlation ids in the request) -> effect or None, and
#: who hears of it (the fault's log).
Rule = Callable[[str, str, list[str]], Effect | None]


class Injector:
    """Installs :class:`Rule` s on clients (``before-send``) and undoes it; counts what it injected."""

    def __init__(self, token: str, sleep: Callable[[float], None] = time.sleep):
        self.rules: list[Rule] = []
        self._cid = re.compile(re.escape(token) + r"(?:\.[0-9]+)+")
        self._sleep = sleep
        self._installed: list[tuple[Any, str]] = []
        self._lock = threading.Lock()
        self._crashed = threading.local()

    def install(self, service: str, account: str, region: str, client: Any) -> None:
        """A :data:`harness.provision.sessions.ClientHook`: handle this client's calls."""
        unique = f"harness-fault-{id(self)}-{id(client)}"
        protocol = str(client.meta.service_model.protocol)

        def handler(request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
            return self._before_send(service, protocol, request, event_name.rsplit(".", 1)[-1])

        client.meta.events.register("before-send", handler, unique_id=unique)
        with self._lock:
            self._installed.append((client, unique))

    def uninstall(self) -> None:
        with self._lock:
            installed, self._installed = self._installed, []
        for client, unique in installed:
            client.meta.events.unregister("before-send", unique_id=unique)

    def recovered(self) -> None:
        """The thread that 'crashed' is a new process now (its failed publish was counted)."""
        self._crashed.detail = None

    def _before_send(self, service: str, protocol: str, request: Any, operation: str) -> AWSResponse | None:
        crashed = getattr(self._crashed, "detail", None)
        if crashed:
            raise InjectedCrash(detail=crashed)
        body = request.body if isinstance(request.body, (bytes, str)) else b""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        cids = sorted(set(self._cid.findall(text))) if operation in PUBLISHING else []
        for rule in list(self.rules):
            effect = rule(service, operation, cids)
            if effect is None:
                continue
            if effect.delay:
                self._sleep(effect.delay)
            if effect.error is not None:
                return error_response(str(request.url), protocol, effect.error, effect.error)
            if effect.raise_ == "timeout":
                raise InjectedReadTimeout(endpoint_url=str(request.url))
            if effect.raise_ == "reset":
                raise InjectedConnectionReset(endpoint_url=str(request.url))
            if effect.raise_ == "crash":
                self._crashed.detail = f"{service}.{operation} never sent"
                raise InjectedCrash(detail=self._crashed.detail)
        return None
