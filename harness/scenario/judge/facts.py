"""The facts a scenario run gathers, as plain values: what the harness sent and what its consumers
received. :mod:`harness.scenario.execute.send` produces :class:`Sent`, :mod:`harness.scenario.execute.watch`
produces :class:`Delivery`, :mod:`harness.scenario.judge.verdicts` judges them. No I/O here.

Both are values that nothing changes once made, yet not frozen dataclasses: one of each is made per
message of a burst, and a frozen dataclass's ``__init__`` sets every field through
``object.__setattr__`` (about twice the cost).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.payload.message import MessageTimestamps
from harness.payload.outcome import Outcome


@dataclass(slots=True)
class Sent:
    """One message the harness published (confirmed by SendMessage / Publish returning)."""

    seq: int
    correlation_id: str
    size: int
    sha256: str
    group: str | None
    t_send: float  # harness clock (epoch seconds), just before the publish call
    warmup: bool
    pointer: tuple[str, str] | None = None  # (bucket, key) when offloaded
    t_intended: float | None = None  # harness clock (epoch seconds): when the rate's schedule meant it to go

    @property
    def t_origin(self) -> float:
        """Where its end-to-end latency starts: the intended send time when a rate paced the sends
        (so a sender that fell behind cannot hide the delay: no coordinated omission), else the
        moment just before the publish call."""
        return self.t_intended if self.t_intended is not None else self.t_send


@dataclass(slots=True)
class Delivery:
    """One message of the scenario that a consumer received, verified and acknowledged — the
    harness's, or a function's (from its receipt: then ``t_recv`` is when the function was done
    with it, on its clock, and ``invoked_at`` when its invocation started)."""

    correlation_id: str
    t_recv: float  # harness clock (epoch seconds) once the consumer holds the verified payload
    outcome: Outcome
    detail: str
    timestamps: MessageTimestamps | None = None  # server-side times, for the per-hop figures
    invoked_at: float | None = None  # a function's delivery: when its invocation started (epoch seconds)
    receive_count: int | None = None  # SQS's ApproximateReceiveCount: > 1 is a redelivery
