"""A byte budget shared by a scenario's uploads and downloads, so memory stays flat with several
large payloads in flight.

One streamed transfer holds about ``(concurrency + 2) * part_size`` bytes
(:class:`~harness.payload.transfer.TransferSettings`), whatever the payload's size. Senders and
receivers reserve that much (or the payload's size, when smaller) before a transfer and release it
after, so the pools can run many small offloaded payloads side by side but only a few large ones.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from harness.payload.transfer import TransferSettings

MiB = 1 << 20


def transfer_window(settings: TransferSettings | None = None) -> int:
    """Bytes one streamed transfer holds at most."""
    s = settings or TransferSettings()
    return (s.concurrency + 2) * s.part_size


# Two full transfer windows (2 x 48 MiB with the default 8 MiB x 4 parts): with the interpreter and
# allocator slack the process stays well under 256 MiB however many payloads are in flight.
DEFAULT_BUDGET_BYTES = 2 * transfer_window()


class ByteBudget:
    """A counting semaphore over bytes. A reservation larger than the whole budget is clamped to it
    (it then runs alone), so no single transfer can wait forever."""

    def __init__(self, total: int = DEFAULT_BUDGET_BYTES):
        if total <= 0:
            raise ValueError("the byte budget must be positive")
        self.total = total
        self._free = total
        self._cond = threading.Condition()
        self.peak_reserved = 0  # the most ever reserved at once (for tests and the benchmark)

    @contextmanager
    def reserve(self, size: int) -> Iterator[int]:
        """Hold ``min(size, window, total)`` bytes for the block."""
        want = max(0, min(size, transfer_window(), self.total))
        with self._cond:
            self._cond.wait_for(lambda: self._free >= want)
            self._free -= want
            self.peak_reserved = max(self.peak_reserved, self.total - self._free)
        try:
            yield want
        finally:
            with self._cond:
                self._free += want
                self._cond.notify_all()
