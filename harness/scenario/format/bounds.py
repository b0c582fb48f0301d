"""Readers of the objectives a scenario file states beside its sends and expectations:
``throughput: {min: 95%}`` (a share of the requested rate) or ``{min: 400/s}`` (messages per
second), and ``lag: {max: 1s}`` (how late a send may be behind its schedule)."""

from __future__ import annotations

import re

from harness.scenario.format.model import RateBound
from harness.scenario.format.units import read_duration
from harness.topology.sourced_yaml import Node, quote

DEFAULT_SEND_RATE_SHARE = 0.95  # a paced send must reach 95 % of its requested rate (unless it says otherwise)
DEFAULT_SEND_LAG_SECONDS = 1.0  # and no send may be more than 1 s behind its schedule
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_PER_SECOND = re.compile(r"(\d+(?:\.\d+)?)\s*(?:/s|msg/s)?")
THROUGHPUT_HINT = "write throughput: {min: 95%} (a share of the requested rate) or {min: 400/s} (messages per second)"


def read_throughput(node: Node, requested: float | None) -> RateBound | None:
    """``throughput: {min: …}``; a share needs ``requested`` (the rate the send asks for)."""
    f = node.mapping(allowed=("min",), required=("min",), hint=THROUGHPUT_HINT)
    if f is None or "min" not in f:
        return None
    value = f["min"]
    text = value.raw if value.kind == "scalar" and value.raw is not None else None
    if text is None:
        value.problem(f"expected a rate such as 95% or 400/s; {THROUGHPUT_HINT}")
        return None
    share, per_second = _SHARE.fullmatch(text.strip()), _PER_SECOND.fullmatch(text.strip())
    if share:
        fraction = float(share.group(1)) / 100
        if not 0 < fraction <= 1:
            value.problem(f"{quote(text)} is not a share between 0% and 100%; e.g. min: 95%")
            return None
        if requested is None:
            value.problem("a share of the requested rate needs a rate: add rate: <msg/s> to the send, or write min: <n>/s")
            return None
        return RateBound(share=fraction, line=value.line)
    if per_second and float(per_second.group(1)) > 0:
        return RateBound(per_second=float(per_second.group(1)), line=value.line)
    value.problem(f"{quote(text)} is not a rate; {THROUGHPUT_HINT}")
    return None


def read_lag(node: Node) -> float | None:
    """``lag: {max: 1s}``: seconds."""
    f = node.mapping(allowed=("max",), required=("max",), hint="write lag: {max: 1s} (how late a send may be behind its schedule)")
    if f is None or "max" not in f:
        return None
    return read_duration(f["max"])
