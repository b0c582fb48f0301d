"""How many of a queue's receivers poll at once: a window that adapts to the endpoint, as TCP Vegas
does to a network path.

A receiver takes a place in the window before its ReceiveMessage and gives it back once the batch
is checked and acknowledged (or handed to a verifier). The window starts at the pool's size, its
maximum, and moves by one place at a time. What moves it are the round trips of DeleteMessageBatch
calls: unlike a long poll, they never include time spent waiting for messages.

- ``queued = window * (1 - SLACK * base / rtt)`` (at least 0) estimates how many of the pool's own
  requests wait inside the endpoint instead of being served. ``base`` is the fastest round trip
  seen to this endpoint in this process (the endpoint idle); ``rtt`` is a smoothed recent one.
  So that a pool whose first deletes already meet a saturated endpoint knows it, each pool times
  one ``GetQueueAttributes`` when it starts, before its scenario sends (:meth:`ReceiveWindow.idle`).
  :data:`SLACK` lets a round trip up to twice the fastest count as unqueued: a real network path
  jitters that much (the fastest of many round trips is an outlier), while an emulator saturated
  by a burst answers 10-60 times slower than idle.
- More than :data:`BETA` queued: one place fewer. The endpoint is saturated, so another receiver
  would not fetch messages any sooner. It would only make every response slower, and the messages
  would wait in a response instead of in the queue, where waiting shows as ``sqs_to_first_receive``.
  Measured on LocalStack sharing two cores with a 500-message burst: with 4 receivers a queue, the
  response was written 21 ms after SQS stamped the first receive, while the handler itself was done
  after 2 ms. The burst took equally long with 1, 2 or 4 receivers. A window of two cannot have
  more than two queued, so at least two receivers keep polling: one waits for its response while
  the other checks its batch.
- Fewer than :data:`ALPHA` queued, and the last receive came back full (ten messages, so there is a
  backlog): one place more, up to the pool's size. On AWS the round trip stays flat while receivers
  are added, so the window stays at the pool's size.

The window changes at most once per :attr:`ReceiveWindow.size` round trips, so each change is judged
on round trips taken after the previous one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

ALPHA = 1.5  # fewer of our requests than this waiting in the endpoint: room for another receiver
BETA = 2.0  # more than this waiting: one receiver fewer
SLACK = 2.0  # a round trip up to this many times the fastest counts as jitter, not queueing
SMOOTHING = 0.3  # weight of the newest round trip in the smoothed one
FULL_BATCH = 10  # a receive this full means messages are waiting in the queue

_base_lock = threading.Lock()
_base_rtt: dict[str, float] = {}  # endpoint -> fastest round trip seen (idle GetQueueAttributes, DeleteMessageBatch), s


def base_rtt(endpoint: str) -> float | None:
    with _base_lock:
        return _base_rtt.get(endpoint)


def _observe_base(endpoint: str, rtt: float) -> float:
    with _base_lock:
        best = min(rtt, _base_rtt.get(endpoint, rtt))
        _base_rtt[endpoint] = best
        return best


class ReceiveWindow:
    """Places for up to ``maximum`` concurrent receives to ``endpoint`` (see the module's text)."""

    def __init__(self, maximum: int, endpoint: str, name: str = ""):
        if maximum < 1:
            raise ValueError("a receive window needs at least one place")
        self.maximum, self.endpoint, self.name = maximum, endpoint, name
        self.size = maximum
        self.smallest = maximum  # the smallest the window was (for the log and the tests)
        self._busy = 0
        self._rtt: float | None = None
        self._since_change = 0
        self._backlog = False
        self._cond = threading.Condition()

    def acquire(self, stopped: Callable[[], bool], poll: float = 0.1) -> bool:
        """Wait for a place; False once ``stopped()`` says so (the place is then not taken)."""
        with self._cond:
            while self._busy >= self.size:
                if stopped():
                    return False
                self._cond.wait(poll)
            self._busy += 1
            return True

    def release(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify()

    def received(self, count: int) -> None:
        """A receive returned ``count`` messages (full: a backlog waits in the queue)."""
        with self._cond:
            self._backlog = count >= FULL_BATCH

    def idle(self, seconds: float) -> None:
        """A round trip taken before the pool's scenario loads the endpoint: a candidate fastest one."""
        if seconds > 0:
            _observe_base(self.endpoint, seconds)

    def round_trip(self, seconds: float) -> None:
        """A DeleteMessageBatch round trip: adjust the window (see the module's text)."""
        if seconds <= 0:
            return
        base = _observe_base(self.endpoint, seconds)
        with self._cond:
            self._rtt = seconds if self._rtt is None else SMOOTHING * seconds + (1 - SMOOTHING) * self._rtt
            self._since_change += 1
            if self._since_change < self.size:
                return
            queued = self.size * max(0.0, 1 - SLACK * base / self._rtt)
            if queued > BETA and self.size > 1:
                self._change(self.size - 1, queued, base)
            elif queued < ALPHA and self._backlog and self.size < self.maximum:
                self._change(self.size + 1, queued, base)

    def _change(self, size: int, queued: float, base: float) -> None:
        log.debug(
            "queue %s: receive window %d -> %d (about %.1f requests waiting in the endpoint: round trip %.1f ms, fastest %.1f ms)",
            self.name,
            self.size,
            size,
            queued,
            (self._rtt or 0) * 1000,
            base * 1000,
        )
        self.size = size
        self.smallest = min(self.smallest, size)
        self._since_change = 0
        self._cond.notify_all()
