"""Counting the API requests a run's clients make, per operation and per resource, so a report can say
what each path cost in requests (and a user can price the nightly from real counts).

Every client :class:`~harness.provision.sessions.Sessions` hands out is attached to the sessions'
:class:`RequestCounter` (botocore's ``before-parameter-build`` event, once per API call: botocore's
own retries are off, so each of the kit's bounded retries is one more call, billed as AWS bills it).
The resource of a call is its ``QueueUrl``, ``TopicArn`` or ``Bucket``; a ``ReceiveMessage`` that
returned nothing is counted apart (``after-call``), as the long polls that wait for messages.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

RESOURCE_PARAMS = ("QueueUrl", "TopicArn", "Bucket")


@dataclass(frozen=True)
class Count:
    """One snapshot of a counter: requests per (``service.Operation``, resource), and empty receives
    per queue URL."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    empty_receives: Counter[str] = field(default_factory=Counter)

    def __sub__(self, earlier: Count) -> Count:
        return Count(self.calls - earlier.calls, self.empty_receives - earlier.empty_receives)

    def by_operation(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (operation, _), n in self.calls.items():
            out[operation] += n
        return dict(sorted(out.items()))

    def on(self, resource: str, operations: tuple[str, ...] = ()) -> int:
        """Requests on ``resource`` (of ``operations``, or all)."""
        return sum(n for (op, res), n in self.calls.items() if res == resource and (not operations or op in operations))


class RequestCounter:
    """Thread-safe counts of every attached client's calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str]] = Counter()
        self._empty: Counter[str] = Counter()

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_name

        def count(params: Any, model: Any, context: Any, **_: Any) -> None:
            resource = next((str(params[p]) for p in RESOURCE_PARAMS if p in params), "") if isinstance(params, dict) else ""
            context["harness_resource"] = resource
            with self._lock:
                self._calls[(f"{service}.{model.name}", resource)] += 1

        def after_receive(parsed: Any, context: Any, **_: Any) -> None:
            if isinstance(parsed, dict) and not parsed.get("Messages"):
                with self._lock:
                    self._empty[str(context.get("harness_resource", ""))] += 1

        client.meta.events.register(f"before-parameter-build.{service}", count)
        if service == "sqs":
            client.meta.events.register("after-call.sqs.ReceiveMessage", after_receive)

    def snapshot(self) -> Count:
        with self._lock:
            return Count(Counter(self._calls), Counter(self._empty))
