"""Console progress for long transfers: a bar on a terminal, a line every quarter otherwise (CI logs)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

_lock = threading.Lock()


class TransferProgress:
    """Counts bytes of one transfer and draws ``label [#####-----] 52% 52/100 MiB 310 MB/s``."""

    def __init__(self, label: str, total: int, out: TextIO | None = None, width: int = 24):
        self.label = label
        self.total = max(1, total)
        self.out = out or sys.stderr
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        self._last_quarter = -1
        self._last_draw = 0.0

    def add(self, n: int) -> None:
        with _lock:
            self.done = min(self.total, self.done + n)
            self._draw(final=self.done >= self.total)

    def _line(self) -> str:
        frac = self.done / self.total
        filled = int(frac * self.width)
        rate = self.done / max(1e-6, time.monotonic() - self.started) / 1e6
        return (
            f"    {self.label} [{'#' * filled}{'-' * (self.width - filled)}] {frac * 100:3.0f}% "
            f"{self.done / 1048576:.0f}/{self.total / 1048576:.0f} MiB {rate:.0f} MB/s"
        )

    def _draw(self, final: bool) -> None:
        if self.tty:
            now = time.monotonic()
            if final or now - self._last_draw > 0.2:
                self._last_draw = now
                self.out.write("\r" + self._line() + ("\n" if final else ""))
                self.out.flush()
            return
        quarter = int(self.done * 4 / self.total)
        if quarter > self._last_quarter:
            self._last_quarter = quarter
            self.out.write(self._line() + "\n")
            self.out.flush()


class ProgressSource:
    """Wraps a payload source so that reading it (the upload) advances a :class:`TransferProgress`."""

    def __init__(self, inner, progress: TransferProgress):  # noqa: ANN001 - any PayloadSource
        self.inner = inner
        self.progress = progress

    @property
    def size(self) -> int:
        return self.inner.size

    def read_range(self, offset: int, length: int) -> bytes:
        data = self.inner.read_range(offset, length)
        self.progress.add(len(data))
        return data

    def sha256(self) -> str:
        return self.inner.sha256()

    def is_text(self) -> bool:
        return self.inner.is_text()

    def __getattr__(self, name: str):  # noqa: ANN204 - delegate anything else (e.g. iter_chunks)
        return getattr(self.inner, name)
