"""Generated payloads: deterministic, random access, printable, and pinned by golden vectors."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from harness.payload.generator import ALPHABET, BLOCK_SIZE, SHORT_ALPHABET, SHORT_MAX, GeneratedPayload

VECTORS = json.loads((Path(__file__).parent / "golden" / "generator_vectors.json").read_text())["vectors"]


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: f"seed{v['seed']}-size{v['size']}")
def test_golden_vectors(v: dict) -> None:
    p = GeneratedPayload(v["seed"], v["size"])
    assert p.sha256() == v["sha256"]
    assert p.read_range(0, 48).decode() == v["head"]
    assert p.read_range(max(0, v["size"] - 48), 48).decode() == v["tail"]


def _reference_block(seed: int, k: int) -> bytes:
    """The format as documented in generator.py, written out plainly."""
    r = hashlib.shake_128(b"harness-payload-v1" + seed.to_bytes(8, "little") + k.to_bytes(8, "little")).digest(65536 + 32)
    base = bytes(ALPHABET[b & 63] for b in r[:65536])
    out = b""
    for j in range(16):
        o = int.from_bytes(r[65536 + 2 * j : 65536 + 2 * j + 2], "little")
        out += base[o:] + base[:o]
    return out


def test_a_short_payload_matches_the_documented_format() -> None:
    for size in (1, 256, SHORT_MAX):
        stream = hashlib.shake_128(b"harness-payload-v3-short" + (99).to_bytes(8, "little")).digest(size)
        assert GeneratedPayload(99, size).read_range(0, size) == bytes(SHORT_ALPHABET[b & 63] for b in stream)
    assert GeneratedPayload(99, SHORT_MAX + 1).read_range(0, 10) == _reference_block(99, 0)[:10], "one byte longer: a block"


def test_matches_the_documented_format() -> None:
    p = GeneratedPayload(99, 2 * BLOCK_SIZE + 10)
    expected = _reference_block(99, 0) + _reference_block(99, 1) + _reference_block(99, 2)[:10]
    assert p.read_range(0, p.size) == expected


def test_random_access_equals_sequential() -> None:
    p = GeneratedPayload(5, 3 * BLOCK_SIZE + 12345)
    whole = b"".join(p.iter_chunks(1_000_003))
    assert len(whole) == p.size
    rng = random.Random(1)
    for _ in range(100):
        offset = rng.randrange(p.size + 5)
        length = rng.randrange(2 * BLOCK_SIZE)
        assert p.read_range(offset, length) == whole[offset : offset + length]
    assert p.sha256() == hashlib.sha256(whole).hexdigest()


def test_printable_and_distinct() -> None:
    a = GeneratedPayload(1, 2 * BLOCK_SIZE).read_range(0, 2 * BLOCK_SIZE)
    assert set(a) <= set(ALPHABET)
    assert a[:BLOCK_SIZE] != a[BLOCK_SIZE:], "blocks must differ so reordering is detectable"
    slices = {a[i : i + 65536] for i in range(0, len(a), 65536)}
    assert len(slices) == 32, "every 64 KiB slice differs"
    assert GeneratedPayload(2, 100).text() != GeneratedPayload(1, 100).text()
    assert GeneratedPayload(1, 100).text() == GeneratedPayload(1, 100).text()
    assert GeneratedPayload(1, 100).text() == GeneratedPayload(1, 200).text()[:100]


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        GeneratedPayload(-1, 1)
    with pytest.raises(ValueError):
        GeneratedPayload(1, -1)
    assert GeneratedPayload(1, 10).read_range(10, 5) == b""


def test_a_short_payload_needs_no_escaping_in_a_query_string() -> None:
    """SNS's query protocol sends a body percent-encoded; a short payload is sent as it is (issue 24:
    escaping ``+`` and ``/`` walked every 256-byte body byte by byte, ~10 µs a publish)."""
    from urllib.parse import quote_plus

    for seed in range(50):
        text = GeneratedPayload(seed, 256).text()
        assert quote_plus(text) == text, text
    assert set(GeneratedPayload(7, SHORT_MAX).read_range(0, SHORT_MAX)) <= set(SHORT_ALPHABET)
