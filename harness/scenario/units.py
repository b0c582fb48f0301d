"""Sizes (``256KiB+1``) and durations (``500ms``) as written in scenario files, and their readers."""

from __future__ import annotations

import re

from harness.scenario.model import Size
from harness.topology.sourced_yaml import Node, quote

MAX_PAYLOAD = 2 * 1024**3  # what the extended clients support
MIN_DURATION = 0.001  # seconds: 1ms
MAX_DURATION = 900.0  # seconds: 15m
SIZE_RE = re.compile(r"(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*(?:([+-])\s*(\d+))?")
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m)")
UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "KB": 1000, "MB": 1000**2, "GB": 1000**3}
SIZE_HINT = "write a size like 1KiB, 5MiB, 256KiB+1 or 1MiB-1 (up to 2GiB)"
DURATION_HINT = "write a duration like 500ms, 10s or 2m"


def parse_size(text: str) -> int | None:
    m = SIZE_RE.fullmatch(text.strip())
    if not m:
        return None
    base = int(m.group(1)) * UNITS[m.group(2)]
    if m.group(3):
        delta = int(m.group(4))
        base = base + delta if m.group(3) == "+" else base - delta
    return base


def parse_duration(text: str) -> float | None:
    """Seconds, or ``None`` if ``text`` is not a duration (the range is the reader's business)."""
    m = DURATION_RE.fullmatch(text.strip())
    if not m:
        return None
    value = float(m.group(1))
    return {"ms": value / 1000.0, "s": value, "m": value * 60.0}[m.group(2)]


def _scalar_text(node: Node, what: str, hint: str) -> str | None:
    """Sizes/durations may be written as bare numbers (``0``) or text (``5MiB``)."""
    if node.kind == "scalar" and not node.is_null and node.raw is not None:
        return str(node.raw)
    node.problem(f"expected {what} but found {node.describe()}; {hint}")
    return None


def read_size(node: Node) -> Size | None:
    text = _scalar_text(node, "a size", SIZE_HINT)
    if text is None:
        return None
    value = parse_size(text)
    if value is None or value < 0 or value > MAX_PAYLOAD:
        node.problem(f"{quote(text)} is not a payload size between 0 and 2GiB; {SIZE_HINT}")
        return None
    return Size(text.replace(" ", ""), value)


def read_duration(node: Node) -> float | None:
    """Seconds, from 1ms to 15m (what the message for a bad value promises)."""
    text = _scalar_text(node, "a duration", DURATION_HINT)
    if text is None:
        return None
    value = parse_duration(text)
    if value is None or value < MIN_DURATION or value > MAX_DURATION:
        node.problem(f"{quote(text)} is not a duration between 1ms and 15m; {DURATION_HINT}")
        return None
    return value
