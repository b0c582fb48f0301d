"""Sizes (``256KiB+1``, ``sns_limit+1``) and durations (``500ms``) as written in scenario files, and their readers.

Sizes use binary units only (``B``, ``KiB``, ``MiB``, ``GiB``), the units the service limits are
defined in: a decimal unit (``1MB``, ``2 GB``, ``5kb``) is refused with the binary spelling and
the exact byte count offered, because ``1MB`` (1,000,000 bytes) is not the ``1MiB`` (1,048,576
bytes) of ``sqs_limit``, and taking it silently would put a size on the wrong side of a limit.

A size named after a service limit (``sns_limit`` = 256 KiB, ``sqs_limit`` = 1 MiB, optionally
``+``/``-`` a size) is the size of the whole message on the wire — body plus every attribute's name,
type and value, the harness's correlation attribute included — so ``sns_limit`` stays inline and
``sns_limit+1`` goes through S3 (the extended clients offload what is strictly over the limit).
"""

from __future__ import annotations

import re

from harness.payload import wire
from harness.scenario.format.model import Size
from harness.topology.sourced_yaml import Node, quote

MAX_PAYLOAD = 2 * 1024**3  # what the extended clients support
MIN_DURATION = 0.001  # seconds: 1ms
MAX_DURATION = 900.0  # seconds: 15m
MIN_WIRE = 4096  # a named size below this could not hold the attributes beside a body
SIZE_RE = re.compile(r"(\d+)\s*(B|KiB|MiB|GiB)?\s*(?:([+-])\s*(\d+))?")
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m)")
UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
NAMED_RE = re.compile(r"(sns_limit|sqs_limit)\s*(?:([+-])\s*(\d+\s*(?:B|KiB|MiB|GiB)?))?")
# A unit the sizes do not take: decimal (KB, MB, GB, k, M) or a binary one in the wrong case (mib).
OTHER_UNIT_RE = re.compile(r"(\d+)\s*([kmgt])(i?)(b?)\b", re.IGNORECASE)
DECIMAL = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}
LIMITS = {"sns_limit": wire.SNS_MAX_MESSAGE_BYTES, "sqs_limit": wire.SQS_MAX_MESSAGE_BYTES}
SIZE_HINT = "write a size like 1KiB, 5MiB, 256KiB+1, sns_limit, sns_limit+1 or sqs_limit-1 (up to 2GiB)"
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


def parse_named_size(text: str) -> int | None:
    """The wire size a limit name stands for (``sns_limit+1`` → 262145), or None if not one."""
    m = NAMED_RE.fullmatch(text.strip())
    if not m:
        return None
    base = LIMITS[m.group(1)]
    if m.group(2):
        delta = parse_size(m.group(3))
        assert delta is not None  # the pattern only admits sizes
        base = base + delta if m.group(2) == "+" else base - delta
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


def unit_problem(text: str) -> str | None:
    """Why a size written with a unit the sizes do not take is refused, with what to write instead
    (None: no such unit in ``text``)."""
    m = OTHER_UNIT_RE.search(text)
    if m is None or m.group(2).lower() == "t":
        return None
    number, prefix, binary = m.group(1), m.group(2).lower(), m.group(3)
    spelled = f"{number}{prefix.upper() if prefix != 'k' else 'K'}iB"
    fixed = text[: m.start()] + spelled + text[m.end():]
    if binary:
        return f"{quote(text)}: units are case-sensitive; write {fixed}"
    decimal = int(number) * DECIMAL[prefix]
    return (f"{quote(text)} uses a decimal unit ({m.group(0).strip()} = {decimal:,} bytes), but sizes and the service limits "
            f"are binary ({spelled} = {int(number) * UNITS[spelled[len(number):]]:,} bytes); write {fixed}, "
            f"or {text[: m.start()] + str(decimal) + text[m.end():]} for exactly {decimal:,} bytes")


def read_size(node: Node) -> Size | None:
    text = _scalar_text(node, "a size", SIZE_HINT)
    if text is None:
        return None
    named = parse_named_size(text)
    value = named if named is not None else parse_size(text)
    if value is None and (why := unit_problem(text)) is not None:
        node.problem(why)
        return None
    if value is None or value < 0 or value > MAX_PAYLOAD:
        node.problem(f"{quote(text)} is not a payload size between 0 and 2GiB; {SIZE_HINT}")
        return None
    if named is not None and value < MIN_WIRE:
        node.problem(f"{quote(text)} is {value} bytes on the wire, which leaves no room for a body beside the attributes; "
                     f"a named size must be at least {MIN_WIRE} bytes")
        return None
    return Size(text.replace(" ", ""), value, on_wire=named is not None)


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
