"""A path over time, as inline SVG for report.html: messages sent and delivered per second (the
requested rate as a dashed line), and the mean and max end-to-end latency of what was delivered in
each interval (a latency objective's bound as a dashed line; a scenario's fault windows shaded and
its recovery point marked). Input: a path's ``timeline`` from
report.json; no script, no CDN."""

from __future__ import annotations

import html
from typing import Any

from harness.scenario.judge import human

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 900, 150, 56, 16, 12, 26
SENT, DELIVERED, MEAN, MAX, BOUND, FAULT = "#8c959f", "#0969da", "#1a7f37", "#bc4c00", "#cf222e", "#8250df"


def _axis(values: list[float], extra: list[float]) -> float:
    top = max([v for v in values if v is not None] + extra + [1e-9])
    return top * 1.1


def _polyline(xs: list[float], ys: list[float | None], colour: str, dash: str = "") -> str:
    runs: list[list[str]] = []
    current: list[str] = []
    for x, y in zip(xs, ys):
        if y is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(f"{x:.1f},{y:.1f}")
    if current:
        runs.append(current)
    style = f' stroke-dasharray="{dash}"' if dash else ""
    return "".join(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5"{style} points="{" ".join(r)}"/>' for r in runs if len(r) > 1) + "".join(
        f'<circle cx="{r[0].split(",")[0]}" cy="{r[0].split(",")[1]}" r="2" fill="{colour}"/>' for r in runs if len(r) == 1
    )


def _frame(title: str, top: float, unit: str, n: int, bin_s: float) -> tuple[str, Any, Any]:
    pw, ph = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def x(i: float) -> float:
        return PAD_L + (i / max(n, 1)) * pw

    def y(v: float) -> float:
        return PAD_T + (1 - v / top) * ph

    grid = "".join(
        f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(top * f):.1f}" y2="{y(top * f):.1f}" stroke="#eee"/>'
        f'<text x="{PAD_L - 4}" y="{y(top * f) + 4:.1f}" font-size="10" text-anchor="end">{_num(top * f, unit)}</text>'
        for f in (0, 0.5, 0.9)
    )
    span = n * bin_s
    ticks = "".join(
        f'<text x="{x(n * f):.1f}" y="{H - 8}" font-size="10" text-anchor="middle">{human.duration(span * f)}</text>' for f in (0, 0.25, 0.5, 0.75, 1)
    )
    head = f'<text x="{PAD_L}" y="{PAD_T - 2}" font-size="11" font-weight="600">{html.escape(title)}</text>'
    return grid + ticks + head, x, y


def _num(v: float, unit: str) -> str:
    return human.millis(v) if unit == "ms" else f"{v:.0f}"


def rate_svg(timeline: dict[str, Any], requested: float | None = None) -> str:
    """Sent and delivered messages per second over the path's life."""
    n, bin_s = len(timeline.get("sent") or []), float(timeline.get("bin_s") or 1)
    if not n:
        return ""
    sent = [v / bin_s for v in timeline["sent"]]
    delivered = [v / bin_s for v in timeline["delivered"]]
    top = _axis(sent + delivered, [requested] if requested else [])
    frame, x, y = _frame(f"messages per second (intervals of {human.duration(bin_s)})", top, "msg/s", n, bin_s)
    xs = [x(i + 0.5) for i in range(n)]
    parts = [frame, _polyline(xs, [y(v) for v in sent], SENT), _polyline(xs, [y(v) for v in delivered], DELIVERED)]
    if requested:
        parts.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(requested):.1f}" y2="{y(requested):.1f}" stroke="{BOUND}" stroke-dasharray="5,3"/>'
                     f'<text x="{W - PAD_R}" y="{y(requested) - 3:.1f}" font-size="10" fill="{BOUND}" text-anchor="end">requested {requested:g} msg/s</text>')
    legend = _legend([("sent", SENT), ("delivered", DELIVERED)])
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 16}" role="img" aria-label="rate over time">{"".join(parts)}{legend}</svg>'


def _marks(marks: list[tuple[str, float, float | None]], x: Any, n: int, bin_s: float) -> str:
    """Fault windows shaded, a recovery point as a line (seconds from the timeline's start)."""
    span = max(n * bin_s, 1e-9)
    out = []
    for label, start, end in marks:
        x0 = x(max(0.0, min(start, span)) / bin_s)
        if end is None:
            out.append(f'<line x1="{x0:.1f}" x2="{x0:.1f}" y1="{PAD_T}" y2="{H - PAD_B}" stroke="{MAX}" stroke-dasharray="2,2"/>'
                       f'<text x="{x0 + 3:.1f}" y="{PAD_T + 22}" font-size="10" fill="{MAX}">{html.escape(label)}</text>')
            continue
        x1 = x(max(0.0, min(end, span)) / bin_s)
        out.append(f'<rect x="{x0:.1f}" y="{PAD_T}" width="{max(1.0, x1 - x0):.1f}" height="{H - PAD_T - PAD_B}" fill="{FAULT}" fill-opacity="0.15"/>'
                   f'<text x="{x0 + 3:.1f}" y="{PAD_T + 10}" font-size="10" fill="{FAULT}">fault: {html.escape(label)}</text>')
    return "".join(out)


def latency_over_time_svg(timeline: dict[str, Any], bounds: dict[str, float] | None = None,
                          marks: list[tuple[str, float, float | None]] | None = None) -> str:
    """Mean and max end-to-end latency of the messages delivered in each interval; ``marks``: the
    scenario's fault windows (shaded) and recovery point (a line), seconds from the timeline's start."""
    n, bin_s = len(timeline.get("delivered") or []), float(timeline.get("bin_s") or 1)
    means, maxes = timeline.get("latency_mean_ms") or [], timeline.get("latency_max_ms") or []
    if not n or not any(v is not None for v in maxes):
        return ""
    bounds = bounds or {}
    top = _axis([v for v in maxes if v is not None], list(bounds.values()))
    frame, x, y = _frame("end-to-end latency of what was delivered", top, "ms", n, bin_s)
    xs = [x(i + 0.5) for i in range(n)]
    parts = [frame, _marks(marks or [], x, n, bin_s), _polyline(xs, [y(v) if v is not None else None for v in means], MEAN),
             _polyline(xs, [y(v) if v is not None else None for v in maxes], MAX)]
    for name, b in bounds.items():
        parts.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(b):.1f}" y2="{y(b):.1f}" stroke="{BOUND}" stroke-dasharray="5,3"/>'
                     f'<text x="{W - PAD_R}" y="{y(b) - 3:.1f}" font-size="10" fill="{BOUND}" text-anchor="end">{html.escape(name)} ≤ {human.millis(b)}</text>')
    legend = _legend([("mean", MEAN), ("max", MAX)])
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 16}" role="img" aria-label="latency over time">{"".join(parts)}{legend}</svg>'


def _legend(items: list[tuple[str, str]]) -> str:
    return "".join(
        f'<line x1="{PAD_L + i * 110}" x2="{PAD_L + i * 110 + 20}" y1="{H + 8}" y2="{H + 8}" stroke="{c}" stroke-width="2"/>'
        f'<text x="{PAD_L + i * 110 + 26}" y="{H + 12}" font-size="11">{html.escape(label)}</text>'
        for i, (label, c) in enumerate(items)
    )
