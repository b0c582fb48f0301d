"""Deterministic, printable, random-access payloads: ``GeneratedPayload(seed, size)``.

Why: a 2 GiB payload is checked without ever being stored. Producer and consumer (or a test) both
derive the bytes and their sha256 from ``(seed, size)``.

Format (version 3; tests/payload/golden/generator_vectors.json pins it):

- A short payload (at most 64 KiB, :data:`SHORT_MAX`) is ``SHAKE-128(b"harness-payload-v3-short" ||
  seed (8 bytes LE))``'s first ``size`` bytes mapped to the URL-safe base64 alphabet
  (:data:`SHORT_ALPHABET`: A-Z a-z 0-9 - _, low 6 bits of each byte): its cost is its size
  (version 1 derived every payload from a 64 KiB block, ~100 µs per small message — most of what
  generating a scenario's small messages cost). Version 2 mapped it to the alphabet below, whose
  ``+`` and ``/`` SNS's query protocol sends percent-encoded: Python's ``urlencode`` then walks the
  body byte by byte (~10 µs for 256 bytes, against ~1 µs for text it need not escape), and a burst
  of small messages paid it on every publish. The URL-safe alphabet is sent as it is.
- A longer payload is a sequence of 1 MiB blocks (unchanged since version 1); block ``k`` depends only on ``(seed, k)``, so any
  range, hence any multipart part, is produced independently and in parallel.
- Block ``k``: ``r = SHAKE-128(b"harness-payload-v1" || seed (8 bytes LE) || k (8 bytes LE))``
  yields 64 KiB + 32 bytes. The 64 KiB are mapped to the base64 alphabet with ``bytes.translate``
  (low 6 bits of each byte) giving the base ``B``; the 32 bytes give 16 offsets ``o_j`` (16-bit
  LE). The block is the 16 rotations ``B[o_j:] + B[:o_j]``, j = 0..15, concatenated.
- The payload is the first ``size`` bytes of block 0, block 1, ...

Why rotations instead of 1 MiB of SHAKE output: SHAKE runs at ~0.4 GB/s here, rotating a 64 KiB
base is a memcpy, so generation reaches several GB/s and never limits a transfer. The content is
not a cryptographic stream and need not be: every block and every 64 KiB slice of it differs (with
overwhelming probability), so a flipped, lost, duplicated or reordered block changes the sha256.
Both alphabets keep the payload valid SQS/SNS text that JSON never escapes, so the same payload
can travel inline or offloaded and inside an SNS envelope unchanged in size.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterator

ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"  # the blocks (version 1)
SHORT_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"  # short payloads (version 3)
_TABLE = bytes(ALPHABET[i & 63] for i in range(256))
_SHORT_TABLE = bytes(SHORT_ALPHABET[i & 63] for i in range(256))
_DOMAIN = b"harness-payload-v1"  # the blocks of a long payload: as in version 1
_SHORT_DOMAIN = b"harness-payload-v3-short"

BLOCK_SIZE = 1 << 20
_BASE_SIZE = 1 << 16
_ROTATIONS = BLOCK_SIZE // _BASE_SIZE
_HASH_CHUNK = 2 * BLOCK_SIZE  # small: the pre-pass keeps at most 3 chunks alive
SHORT_MAX = _BASE_SIZE  # a payload this size or smaller is one SHAKE stream, not a block


class GeneratedPayload:
    """The payload of ``(seed, size)``; cheap to construct, nothing is generated until asked.

    ``seed`` is an integer in ``[0, 2**64)``. ``sha256()`` is computed once per instance (one
    sequential pass, ~1 GB/s) and cached, so reuse the instance when publishing it repeatedly.
    """

    def __init__(self, seed: int, size: int):
        if not 0 <= seed < 1 << 64:
            raise ValueError("seed must be an integer in [0, 2**64)")
        if size < 0:
            raise ValueError("size must be >= 0")
        self.seed = seed
        self._size = size
        self._prefix = _DOMAIN + seed.to_bytes(8, "little")
        self._sha256: str | None = None
        self._lock = threading.Lock()
        # The last block generated: a payload's sha256 and its parts share one generation.
        # Replaced as one tuple (atomic), so concurrent part readers need no lock.
        self._last_block: tuple[int, list[memoryview]] | None = None
        self._short: bytes | None = None  # a short payload, generated once

    @property
    def size(self) -> int:
        return self._size

    def is_text(self) -> bool:
        return True

    def _block_slices(self, k: int) -> list[memoryview]:
        """Block ``k`` as 16 views of one 128 KiB buffer (no 1 MiB allocation per block)."""
        last = self._last_block
        if last is not None and last[0] == k:
            return last[1]
        raw = hashlib.shake_128(self._prefix + k.to_bytes(8, "little")).digest(_BASE_SIZE + 2 * _ROTATIONS)
        base = raw[:_BASE_SIZE].translate(_TABLE)
        doubled = memoryview(base + base)
        slices = []
        for j in range(_ROTATIONS):
            o = int.from_bytes(raw[_BASE_SIZE + 2 * j : _BASE_SIZE + 2 * j + 2], "little")
            slices.append(doubled[o : o + _BASE_SIZE])
        self._last_block = (k, slices)
        return slices

    def _short_bytes(self) -> bytes:
        short = self._short
        if short is None:
            stream = hashlib.shake_128(_SHORT_DOMAIN + self.seed.to_bytes(8, "little")).digest(self._size)
            short = self._short = stream.translate(_SHORT_TABLE)
        return short

    def read_range(self, offset: int, length: int) -> bytes:
        """Bytes ``[offset, offset + length)`` clipped to the payload, in one allocation."""
        end = min(self._size, offset + max(0, length))
        if offset < 0:
            raise ValueError("offset must be >= 0")
        if offset >= end:
            return b""
        if self._size <= SHORT_MAX:
            return self._short_bytes()[offset:end]
        views: list[memoryview] = []
        pos = offset
        while pos < end:
            k, in_block = divmod(pos, BLOCK_SIZE)
            s, in_slice = divmod(in_block, _BASE_SIZE)
            slices = self._block_slices(k)
            while s < _ROTATIONS and pos < end:
                take = min(_BASE_SIZE - in_slice, end - pos)
                views.append(slices[s][in_slice : in_slice + take])
                pos += take
                s += 1
                in_slice = 0
        return b"".join(views)

    def iter_chunks(self, chunk_size: int = _HASH_CHUNK) -> Iterator[bytes]:
        """The payload in order, ``chunk_size`` bytes at a time."""
        for offset in range(0, self._size, chunk_size):
            yield self.read_range(offset, chunk_size)

    def text(self) -> str:
        """The whole payload as ``str``; only for sizes that go inline (it is held in memory)."""
        return self.read_range(0, self._size).decode("ascii")

    def sha256(self) -> str:
        """Hex sha256; generation and hashing overlap in two threads (hashlib releases the GIL)."""
        with self._lock:
            if self._sha256 is None and self._size <= _HASH_CHUNK:
                # one chunk: no helper thread (its start costs more than hashing a small payload)
                self._sha256 = hashlib.sha256(self.read_range(0, self._size)).hexdigest()
            elif self._sha256 is None:
                self._sha256 = _pipelined_sha256(self.iter_chunks())
            return self._sha256

    def __repr__(self) -> str:
        return f"GeneratedPayload(seed={self.seed}, size={self._size})"


def _pipelined_sha256(chunks: Iterator[bytes]) -> str:
    """sha256 of ``chunks`` with the producer in a helper thread; at most 3 chunks alive."""
    digest = hashlib.sha256()
    handoff: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                handoff.put(chunk)
            handoff.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread, re-raised there
            handoff.put(exc)

    worker = threading.Thread(target=produce, name="payload-sha256", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            digest.update(item)
    finally:
        stop.set()
        while worker.is_alive():
            try:
                handoff.get_nowait()
            except queue.Empty:
                worker.join(0.01)
    return digest.hexdigest()
