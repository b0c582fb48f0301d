"""Inline SVG plots and number formatting shared by the HTML and Markdown reports."""

from __future__ import annotations

import html
import math


def latency_svg(distribution: list[list[float] | tuple[float, int]], width: int = 480, height: int = 180,
                bounds: dict[str, float] | None = None) -> str:
    """Cumulative latency distribution (percent of messages at or below x ms) as inline SVG, with a
    dashed vertical line at each latency objective's bound (``bounds``: ``{"p99": 500.0}``, ms)."""
    points = [(float(ms), int(n)) for ms, n in distribution if n]
    if not points:
        return '<svg width="480" height="24"><text x="4" y="16" font-size="12">no latency samples</text></svg>'
    total = sum(n for _, n in points)
    bounds = bounds or {}
    lo, hi = 0.0, max([ms for ms, _ in points] + [b * 1.05 for b in bounds.values()]) or 1.0
    pad_l, pad_b, pad_t, pad_r = 44, 30, 10, 36
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b

    def x(ms: float) -> float:
        return pad_l + (ms - lo) / (hi - lo) * pw

    def y(frac: float) -> float:
        return pad_t + (1 - frac) * ph

    acc = 0
    coords = [f"{x(0):.1f},{y(0):.1f}"]
    for ms, n in sorted(points):
        coords.append(f"{x(ms):.1f},{y(acc / total):.1f}")
        acc += n
        coords.append(f"{x(ms):.1f},{y(acc / total):.1f}")
    grid = "".join(
        f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(f):.1f}" y2="{y(f):.1f}" stroke="#ddd"/>'
        f'<text x="{pad_l - 4}" y="{y(f) + 4:.1f}" font-size="10" text-anchor="end">{int(f * 100)}%</text>'
        for f in (0.5, 0.9, 0.99)
    )
    ticks = "".join(
        f'<text x="{x(hi * t):.1f}" y="{height - 8}" font-size="10" text-anchor="middle">{hi * t:.1f}</text>' for t in (0, 0.25, 0.5, 0.75, 1)
    )
    marks = "".join(
        f'<line x1="{x(b):.1f}" x2="{x(b):.1f}" y1="{pad_t}" y2="{y(0):.1f}" stroke="#cf222e" stroke-dasharray="4,3"/>'
        f'<text x="{x(b) - 3:.1f}" y="{pad_t + 10 + 11 * i}" font-size="10" fill="#cf222e" text-anchor="end">{html.escape(name)} ≤ {b:g} ms</text>'
        for i, (name, b) in enumerate(sorted(bounds.items(), key=lambda kv: kv[1]))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="cumulative latency distribution">{grid}{ticks}{marks}'
        f'<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="{" ".join(coords)}"/>'
        f'<text x="{width - 4}" y="{y(0) + 4:.1f}" font-size="10" text-anchor="end">ms</text></svg>'
    )


def fmt(v: float | int | None) -> str:
    return "–" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))


def carried(path: dict) -> str:
    """How a path's messages travelled: ``"2 inline, 2 through S3 (s3://bucket 2)"``."""
    c = path.get("carried")
    if not c:
        return "–"
    parts = []
    if c["inline"] or not c["s3"]:
        parts.append(f"{c['inline']} inline")
    if c["s3"]:
        buckets = ", ".join(f"s3://{b} {n}" for b, n in sorted(c["buckets"].items()))
        parts.append(f"{c['s3']} through S3 ({buckets})")
    return ", ".join(parts)


def requests_text(path: dict) -> str:
    """What a path cost in API requests: ``"50 publish (shared by its fan-out), 112 receive + delete (3 empty), 0 S3"``."""
    r = path.get("requests")
    if not r:
        return "–"
    return (f"{r['publish']} publish (shared by its fan-out), {r['receive']} receive + delete ({r['empty_receives']} empty), "
            f"{r['s3']} S3 (shared)")


PALETTE = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#1b7c83", "#bc4c00", "#4d2d00", "#6e7781", "#e85aad")


def _log_ticks(lo: float, hi: float) -> list[float]:
    ticks, decade = [], 10 ** math.floor(math.log10(lo))
    while decade <= hi:
        ticks += [decade * m for m in (1, 2, 5) if lo <= decade * m <= hi]
        decade *= 10
    return ticks


def latency_overlay_svg(series: list[tuple[str, list[list[float] | tuple[float, int]]]], width: int = 900, plot_h: int = 260) -> str:
    """Every path's cumulative latency distribution on one shared, logarithmic millisecond axis,
    so paths can be compared at a glance; a legend row per path (``series``: (label, distribution))."""
    curves = [(label, sorted((float(ms), int(n)) for ms, n in dist if n)) for label, dist in series]
    curves = [(label, pts) for label, pts in curves if pts]
    if not curves:
        return '<svg width="480" height="24"><text x="4" y="16" font-size="12">no latency samples</text></svg>'
    every = [ms for _, pts in curves for ms, _ in pts]
    lo = 10 ** math.floor(math.log10(max(min(every), 0.001)))
    hi = 10 ** math.ceil(math.log10(max(max(every), lo * 10)))
    pad_l, pad_r, pad_t, pad_b = 44, 16, 10, 30
    pw, ph = width - pad_l - pad_r, plot_h - pad_t - pad_b

    def x(ms: float) -> float:
        return pad_l + (math.log10(max(ms, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * pw

    def y(frac: float) -> float:
        return pad_t + (1 - frac) * ph

    parts = [
        f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(f):.1f}" y2="{y(f):.1f}" stroke="#ddd"/>'
        f'<text x="{pad_l - 4}" y="{y(f) + 4:.1f}" font-size="10" text-anchor="end">{int(f * 100)}%</text>'
        for f in (0.0, 0.5, 0.9, 0.99)
    ]
    for t in _log_ticks(lo, hi):
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{pad_t}" y2="{pad_t + ph}" stroke="#eee"/>'
                     f'<text x="{x(t):.1f}" y="{plot_h - 14}" font-size="10" text-anchor="middle">{t:g}</text>')
    parts.append(f'<text x="{width - pad_r}" y="{plot_h - 2}" font-size="10" text-anchor="end">ms (log scale)</text>')
    legend_y = plot_h + 6
    for i, (label, pts) in enumerate(curves):
        colour, dash = PALETTE[i % len(PALETTE)], "" if i < len(PALETTE) else ' stroke-dasharray="6,3"'
        total, acc = sum(n for _, n in pts), 0
        coords = [f"{x(pts[0][0]):.1f},{y(0):.1f}"]
        for ms, n in pts:
            coords.append(f"{x(ms):.1f},{y(acc / total):.1f}")
            acc += n
            coords.append(f"{x(ms):.1f},{y(acc / total):.1f}")
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5"{dash} points="{" ".join(coords)}"><title>{html.escape(label)}</title></polyline>')
        ly = legend_y + i * 16
        parts.append(f'<line x1="{pad_l}" x2="{pad_l + 24}" y1="{ly + 8}" y2="{ly + 8}" stroke="{colour}" stroke-width="2"{dash}/>'
                     f'<text x="{pad_l + 30}" y="{ly + 12}" font-size="11">{html.escape(label)}</text>')
    height = legend_y + len(curves) * 16 + 6
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="latency distributions of every path on one axis">{"".join(parts)}</svg>')
