"""A payload as a file-like stream that hashes what it hands out and knows its verdict at the end.

Why a stream: an offloaded payload may be gigabytes; the consumer never holds it, it passes parts
through (to a sink, a comparison, or nowhere) while sha256 and the byte count accumulate. Problems
met while reading (object deleted, access denied, object replaced) end the stream early and become
the verdict; they are never raised to the reader.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from typing import Any

from harness.payload.outcome import Verdict
from harness.payload.transfer import FetchProblem

Finish = Callable[[int, str], Verdict]
OnProblem = Callable[[FetchProblem, int], Verdict]


class PayloadStream(io.RawIOBase):
    """File-like (``read``/``readinto``) or chunk-wise (:meth:`iter_chunks`, ``for chunk in stream``)
    access to one payload.

    :attr:`verdict` is None until the stream has been read to its end (or failed); :meth:`drain`
    reads it to the end and returns the verdict. Closing early leaves the verdict None and stops
    outstanding downloads.
    """

    def __init__(
        self,
        chunks: Iterator[bytes] | None,
        finish: Finish,
        on_problem: OnProblem,
        verdict: Verdict | None = None,
    ):
        super().__init__()
        self._chunks = chunks
        self._finish = finish
        self._on_problem = on_problem
        self._verdict = verdict
        self._sha = hashlib.sha256()
        self._count = 0
        self._buffer = memoryview(b"")

    @property
    def verdict(self) -> Verdict | None:
        return self._verdict

    @property
    def bytes_read(self) -> int:
        """Bytes pulled from the source so far (hashed), including any not yet handed out."""
        return self._count

    def readable(self) -> bool:
        return True

    def _pull(self) -> bytes | None:
        """Next chunk from the source, hashed and counted; None at the end (verdict then set)."""
        if self._chunks is None or self._verdict is not None:
            return None
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._chunks = None
            self._verdict = self._finish(self._count, self._sha.hexdigest())
            return None
        except FetchProblem as problem:
            self._stop_source()
            self._verdict = self._on_problem(problem, self._count)
            return None
        self._sha.update(chunk)
        self._count += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        while not self._buffer:
            chunk = self._pull()
            if chunk is None:
                return 0
            self._buffer = memoryview(chunk)
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def __iter__(self) -> Iterator[bytes]:
        """Chunks, not lines: line iteration would build one payload-sized "line" in memory."""
        return self.iter_chunks()

    def __next__(self) -> bytes:
        if self._buffer:
            rest, self._buffer = bytes(self._buffer), memoryview(b"")
            return rest
        chunk = self._pull()
        if chunk is None:
            raise StopIteration
        return chunk

    def iter_chunks(self) -> Iterator[bytes]:
        """The remaining bytes in source-sized chunks (up to one part each)."""
        if self._buffer:
            rest, self._buffer = bytes(self._buffer), memoryview(b"")
            yield rest
        while True:
            chunk = self._pull()
            if chunk is None:
                return
            yield chunk

    def drain(self, sink: Callable[[bytes], Any] | None = None) -> Verdict:
        """Read to the end, passing each chunk to ``sink`` (e.g. ``file.write``); the verdict."""
        for chunk in self.iter_chunks():
            if sink is not None:
                sink(chunk)
        assert self._verdict is not None
        return self._verdict

    def _stop_source(self) -> None:
        chunks, self._chunks = self._chunks, None
        close = getattr(chunks, "close", None)
        if close is not None:
            close()

    def close(self) -> None:
        self._stop_source()
        self._buffer = memoryview(b"")
        super().close()
