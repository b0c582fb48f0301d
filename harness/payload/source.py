"""What a publisher can send: a sized, random-access byte source with a known sha256.

Why random access: multipart uploads produce parts in parallel, and a payload of gigabytes must
never be held in memory, so a source hands out ``read_range(offset, length)`` slices on demand.
"""

from __future__ import annotations

import hashlib
from typing import Protocol, runtime_checkable


@runtime_checkable
class PayloadSource(Protocol):
    """A payload the harness can publish."""

    @property
    def size(self) -> int:
        """Length in bytes."""
        ...

    def read_range(self, offset: int, length: int) -> bytes:
        """Bytes ``[offset, offset + length)``, clipped to the payload."""
        ...

    def sha256(self) -> str:
        """Hex sha256 of the whole payload (may be computed once and cached)."""
        ...

    def is_text(self) -> bool:
        """True when the bytes are valid UTF-8 (only such payloads may be sent inline)."""
        ...


class BytesPayload:
    """A payload already in memory, e.g. a fixed test message or a captured body."""

    def __init__(self, data: bytes | str):
        self._data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        self._sha256: str | None = None

    @property
    def size(self) -> int:
        return len(self._data)

    def read_range(self, offset: int, length: int) -> bytes:
        return self._data[offset : offset + length]

    def sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self._data).hexdigest()
        return self._sha256

    def is_text(self) -> bool:
        try:
            self._data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    def __repr__(self) -> str:
        return f"BytesPayload(size={self.size})"
