"""Inline SVG plots and number formatting shared by the HTML and Markdown reports."""

from __future__ import annotations


def latency_svg(distribution: list[list[float] | tuple[float, int]], width: int = 480, height: int = 180) -> str:
    """Cumulative latency distribution (percent of messages at or below x ms) as inline SVG."""
    points = [(float(ms), int(n)) for ms, n in distribution if n]
    if not points:
        return '<svg width="480" height="24"><text x="4" y="16" font-size="12">no latency samples</text></svg>'
    total = sum(n for _, n in points)
    lo, hi = 0.0, max(ms for ms, _ in points) or 1.0
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
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="cumulative latency distribution">{grid}{ticks}'
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
