"""The delivery-path graph of :mod:`harness.report.diagram`, drawn as inline SVG for ``report.html``
(no script, no CDN: the report works offline).

Layout: up to four columns — producers; topics and payload buckets; queues; Lambda functions (empty ones left out) — and one
horizontal band per account and region, bands of one account shaded alike; edges are curves from a
node's right side to the next one's left side, coloured by verdict, dashed for payloads through S3.
"""

from __future__ import annotations

import html

from harness.report.diagram import COLOUR, DASHED, Graph, node_text
from harness.report.kind import looks

ORDER = ("producer", "middle", "end", "consumer")  # columns; each kind's look names its own (harness.report.kind)
BAND_SHADES = ("#f3f4f6", "#eaf2fb", "#f6f0e6", "#eef6ee", "#f6eef6")
LEFT, NODE_W, NODE_H, GAP_X, ROW_H, BAND_PAD, LOOP = 170, 150, 28, 150, 40, 10, 60


def _clip(text: str, n: int = 22) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def diagram_svg(graph: Graph) -> str:
    """The graph as an SVG element (an empty string when it has no edges)."""
    if not graph.edges:
        return ""
    esc = html.escape
    look = looks()
    columns = [c for c in ORDER if any(look[n.kind].column == c for n in graph.nodes.values())]
    col_x = {k: LEFT + i * (NODE_W + GAP_X) for i, k in enumerate(columns)}
    width = LEFT + len(columns) * (NODE_W + GAP_X) - GAP_X + 20 + LOOP
    pos: dict[str, tuple[float, float]] = {}
    parts: list[str] = []
    y = 10.0
    for a, (account, regions) in enumerate(graph.groups().items()):
        for region, nodes in regions.items():
            rows = max(sum(1 for n in nodes if look[n.kind].column == c) for c in columns)
            height = rows * ROW_H + 2 * BAND_PAD
            parts.append(f'<rect x="4" y="{y:.0f}" width="{width - 8}" height="{height - 4}" rx="6" fill="{BAND_SHADES[a % len(BAND_SHADES)]}"/>')
            parts.append(f'<text x="12" y="{y + 20:.0f}" font-size="12" font-weight="600">account {esc(account)}</text>')
            parts.append(f'<text x="12" y="{y + 36:.0f}" font-size="11" fill="#57606a">{esc(region)}</text>')
            for c in columns:
                for i, n in enumerate(sorted((x for x in nodes if look[x.kind].column == c), key=lambda x: x.kind != "topic")):
                    k, nx, ny = n.kind, col_x[c], y + BAND_PAD + i * ROW_H
                    pos[n.id] = (nx, ny)
                    parts.append(
                        f'<g><title>{esc(n.kind)} {esc(n.name)} ({esc(n.account)}/{esc(n.region)})</title>'
                        f'<rect x="{nx}" y="{ny:.0f}" width="{NODE_W}" height="{NODE_H}" rx="{14 if k == "producer" else 4}" '
                        f'fill="{look[k].fill}" stroke="{look[k].stroke}"/>'
                        f'<text x="{nx + NODE_W / 2:.0f}" y="{ny + 18:.0f}" font-size="11" text-anchor="middle">{esc(_clip(node_text(n)))}</text></g>'
                    )
            y += height
    markers = "".join(
        f'<marker id="arrow-{v}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
        for v, c in COLOUR.items()
    )
    for e in graph.edges:
        (sx, sy), (tx, ty) = pos[e.source], pos[e.target]
        x1, y1, x2, y2 = sx + NODE_W, sy + NODE_H / 2, tx, ty + NODE_H / 2
        bend = max(40.0, abs(x2 - x1) / 2)
        c1, c2 = (x1 + bend, y1), (x2 - bend, y2)
        if x2 <= x1:  # the same column (a queue's redrive into its DLQ): a loop on the right side
            x2 = tx + NODE_W
            c1, c2 = (x1 + LOOP, y1), (x2 + LOOP, y2)
        dash = ' stroke-dasharray="5,4"' if e.kind in DASHED else ""
        # the label on the curve: solid edges near their target, dashed ones near their source, so
        # the labels of edges converging on one queue do not sit on each other
        lx, ly = _bezier(0.3 if dash else 0.72, (x1, y1), c1, c2, (x2, y2))
        parts.append(
            f'<g><title>{esc(e.kind)}: {esc("; ".join(e.paths))}</title>'
            f'<path d="M{x1:.0f},{y1:.0f} C{c1[0]:.0f},{c1[1]:.0f} {c2[0]:.0f},{c2[1]:.0f} {x2:.0f},{y2:.0f}" fill="none" '
            f'stroke="{COLOUR[e.verdict]}" stroke-width="2"{dash} marker-end="url(#arrow-{e.verdict})"/>'
            f'<text x="{lx:.0f}" y="{ly - 4:.0f}" font-size="10" text-anchor="middle" fill="{COLOUR[e.verdict]}" '
            f'stroke="#fff" stroke-width="3" paint-order="stroke">{esc(e.label)}</text></g>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 10:.0f}" viewBox="0 0 {width} {y + 10:.0f}" '
        f'style="max-width:100%;height:auto" role="img" aria-label="delivery paths of the run"><defs>{markers}</defs>{"".join(parts)}</svg>'
    )


def _bezier(t: float, *points: tuple[float, float]) -> tuple[float, float]:
    """The point at ``t`` of the cubic Bézier curve through four control points."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    u = 1 - t
    return (
        u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
        u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
    )
