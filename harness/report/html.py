"""``report.html``: the delivery-path diagram (inline SVG, the same graph as report.md's Mermaid
block), every path's latency distribution on one shared axis, then per scenario the tables per
delivery path, per-hop figures and a latency plot per path. Self-contained: no script, no CDN."""

from __future__ import annotations

import html

from harness.report.access import matrix_html, scenario_access_html
from harness.report.diagram import delivery_graph, mermaid
from harness.report.plots import carried, latency_overlay_svg, latency_svg
from harness.report.plots import fmt as _fmt
from harness.report.resources import resources_html
from harness.report.svg_diagram import diagram_svg


def html_report(data: dict) -> str:
    esc = html.escape
    rows = []
    for sc in data["scenarios"]:
        colour = "#1a7f37" if sc["status"] == "passed" else "#cf222e"
        rows.append(f'<h2 id="{esc(sc["name"])}">{esc(sc["name"])} <span style="color:{colour}">{esc(sc["status"])}</span> '
                    f'<small>{sc["duration_s"]:.1f}s</small></h2>')
        if sc["failures"]:
            rows.append("<ul>" + "".join(f"<li><code>{esc(f)}</code></li>" for f in sc["failures"]) + "</ul>")
        rows.append(scenario_access_html(sc))
        for p in sc["paths"]:
            c, lat = p["counts"], p["latency_ms"]
            rows.append(f"<h3>{esc(p['label'])}</h3><p>carried: {esc(carried(p))}</p>")
            rows.append(
                '<div style="overflow-x:auto"><table><tr>' + "".join(f"<th>{esc(k)}</th>" for k in c) + "<th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr><tr>"
                + "".join(f"<td>{v}</td>" for v in c.values())
                + "".join(f"<td>{_fmt(lat.get(k))}</td>" for k in ("p50", "p90", "p99", "max"))
                + "</tr></table></div>"
            )
            if p.get("hops_ms"):
                rows.append("<p>per hop (server timestamps): " + ", ".join(
                    f"{esc(h)} p50 {_fmt(v.get('p50'))} / p99 {_fmt(v.get('p99'))} ms" for h, v in p["hops_ms"].items()) + "</p>")
            rows.append(latency_svg(p["distribution_ms"]))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>harness report {esc(data['run_id'])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 4px;font-size:11px;text-align:right}}h3{{font-size:14px;margin-bottom:4px}}</style></head>
<body><h1>Run {esc(data['run_id'])}: {esc(data['status'])}</h1>
<p>target {esc(data['target'])} {esc(data['endpoint_url'] or '')} · topology {esc(data['topology'])} ·
{data['totals']['passed']}/{data['totals']['scenarios']} scenarios passed · {data['duration_s']:.1f}s</p>
{_overview(data)}
{''.join(rows)}
{matrix_html(data)}
{resources_html(data)}
</body></html>
"""


def _overview(data: dict) -> str:
    """The diagram (with its Mermaid source, folded) and the shared-axis latency plot."""
    graph = delivery_graph(data)
    if not graph.edges:
        return "<p>No delivery paths in this run: nothing to draw.</p>"
    series = [(f"{sc['name']}: {p['label']}", p["distribution_ms"]) for sc in data["scenarios"] for p in sc["paths"]]
    return (
        '<h2>Delivery paths</h2><div style="overflow-x:auto">' + diagram_svg(graph) + "</div>"
        "<p><small>Edges: green ✓ every scenario on it passed, red ✗ one failed, amber ! one could not finish; "
        "dashed: payloads through S3. Labels: messages received/sent. Hover for the paths an edge carries.</small></p>"
        "<details><summary>Mermaid source (as in report.md)</summary><pre>" + html.escape(mermaid(graph)) + "</pre></details>"
        '<h2>Latency of every path, one axis</h2><div style="overflow-x:auto">' + latency_overlay_svg(series) + "</div>"
        "<p><small>Cumulative share of messages delivered within x ms (end to end, warm-up excluded).</small></p>"
    )
