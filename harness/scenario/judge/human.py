"""Figures in the units a person reads: ``1m48s``, ``12.3 ms``, ``1.2 GiB``, ``243.8 msg/s``.

Used by the objectives' lines and by every report, so a figure reads the same in the console,
report.md, report.html and junit.xml.
"""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """``850 µs``, ``12.3 ms``, ``2.40 s``, ``1m48s``, ``2h05m``."""
    if seconds is None:
        return "–"
    s = abs(seconds)
    sign = "-" if seconds < 0 else ""
    if s == 0:
        return "0 s"
    if s < 0.001:
        return f"{sign}{s * 1e6:.0f} µs"
    if s < 1:
        ms = s * 1000
        return f"{sign}{ms:.1f} ms" if ms < 100 else f"{sign}{ms:.0f} ms"
    if s < 60:
        return f"{sign}{s:.2f} s" if s < 10 else f"{sign}{s:.1f} s"
    minutes, rest = divmod(int(round(s)), 60)
    if minutes < 60:
        return f"{sign}{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours}h{minutes:02d}m"


def millis(ms: float | None) -> str:
    """A latency given in milliseconds, in the units of :func:`duration`."""
    return "–" if ms is None else duration(ms / 1000.0)


def size(nbytes: float | None) -> str:
    """``512 B``, ``1.0 KiB``, ``5.0 MiB``, ``1.2 GiB`` (binary units, as the scenario files write them)."""
    if nbytes is None:
        return "–"
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def rate(per_second: float | None) -> str:
    return "–" if per_second is None else f"{per_second:.1f} msg/s"


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
