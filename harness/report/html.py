"""``report.html``: the verdict first — the headline and a summary table of every scenario, worst
first, each linking to its section — then the run's metadata, the delivery-path diagram (inline
SVG, the same graph as report.md's Mermaid block) and every path's latency on one shared axis; then
per scenario (worst first) its description, objectives (measured, bound, ✓/✗), send figures,
failures and notes, its faults (what was injected, the retries, what became of each struck message), and per path its table, per-hop figures, rate and latency over time and its
latency distribution, with the objectives' bounds drawn on the charts. Self-contained: no script, no CDN.
"""

from __future__ import annotations

import html
from typing import Any

from harness.report.access import matrix_html, scenario_access_html
from harness.report.diagram import delivery_graph, mermaid
from harness.report.faults import chart_marks, faults_html
from harness.report.plots import carried, latency_overlay_svg, latency_svg, requests_text
from harness.report.resources import resources_html
from harness.report.summary import COLOUR, MARK, html_block, objective_line, ordered, send_lines
from harness.report.svg_diagram import diagram_svg
from harness.report.timeline import latency_over_time_svg, rate_svg
from harness.scenario.judge import human

STYLE = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#1f2328}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:right}
h3{font-size:14px;margin-bottom:4px}.objectives td:nth-child(2),.objectives td:nth-child(3){text-align:left}
.met{color:#1a7f37}.missed{color:#cf222e}.not_observable{color:#57606a}.meta{color:#57606a;font-size:12px}"""


def html_report(data: dict[str, Any]) -> str:
    esc = html.escape
    sections = [_scenario(sc) for sc in ordered(data)]
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>harness report {esc(data['run_id'])}: {esc(data['status'])}</title>
<style>{STYLE}</style></head>
<body><h1>Run {esc(data['run_id'])}: <span style="color:{COLOUR.get(data['status'], '#57606a')}">{esc(data['status'])}</span></h1>
{html_block(data)}
<p class="meta">{_meta(data)}</p>
{_overview(data)}
{''.join(sections)}
{matrix_html(data)}
{resources_html(data)}
</body></html>
"""


def _meta(data: dict[str, Any]) -> str:
    items = [("target", data["target"]), ("endpoint", data.get("endpoint_url")), ("topology", data["topology"]), *(data.get("meta") or {}).items()]
    return " · ".join(f"{html.escape(str(k))} <code>{html.escape(str(v))}</code>" for k, v in items if v)


def _scenario(sc: dict[str, Any]) -> str:
    esc = html.escape
    colour = COLOUR.get(sc["status"], "#57606a")
    out = [f'<h2 id="{esc(sc["name"])}">{MARK.get(sc["status"], "?")} {esc(sc["name"])} <span style="color:{colour}">{esc(sc["status"])}</span> '
           f'<small>{esc(human.duration(sc["duration_s"]))}</small></h2>']
    if sc.get("description"):
        out.append(f"<p><i>{esc(sc['description'])}</i></p>")
    out.append(_objectives(sc.get("objectives") or []))
    out += [f"<p>{esc(line)}</p>" for line in send_lines(sc)]
    if sc["failures"]:
        out.append("<ul>" + "".join(f"<li><code>{esc(f)}</code></li>" for f in sc["failures"]) + "</ul>")
    if sc.get("notes"):
        out.append("<ul>" + "".join(f"<li>note: {esc(n)}</li>" for n in sc["notes"]) + "</ul>")
    out.append(faults_html(sc))
    out.append(scenario_access_html(sc))
    requested = _requested(sc)
    for p in sc["paths"]:
        out.append(_path(sc, p, requested))
    return "".join(out)


def _objectives(objectives: list[dict[str, Any]]) -> str:
    if not objectives:
        return ""
    esc = html.escape
    rows = "".join(
        f'<tr class="{esc(o["result"])}"><td>{objective_line(o)[0]}</td><td>{esc(o["what"])}{" (condition)" if o["kind"] == "condition" else ""}</td>'
        f'<td>{esc(o["where"])}</td><td>{esc(o["measured"])}</td><td>{esc(o["bound"])}</td><td style="text-align:left">{esc(o.get("reason", ""))}</td></tr>'
        for o in objectives
    )
    return ('<table class="objectives"><tr><th></th><th>objective</th><th>where</th><th>measured</th><th>bound</th><th></th></tr>'
            + rows + "</table>")


def _requested(sc: dict[str, Any]) -> float | None:
    send = sc.get("send") or {}
    rates = [s.get("requested_rate") for s in (send.get("sends") or [send])]
    return sum(r for r in rates if r) if rates and all(rates) else None


def _bounds(sc: dict[str, Any], label: str) -> dict[str, float]:
    """The latency objectives' bounds of one path (ms), for its charts."""
    return {o["what"].removeprefix("latency "): o["bound_value"] for o in sc.get("objectives") or []
            if o["where"] == label and o["what"].startswith("latency ") and o.get("bound_value") is not None}


def _path(sc: dict[str, Any], p: dict[str, Any], requested: float | None) -> str:
    esc = html.escape
    c, lat = p["counts"], p["latency_ms"]
    bounds = _bounds(sc, p["label"])
    out = [f"<h3>{esc(p['label'])}</h3><p>carried: {esc(carried(p))} · delivered {esc(human.rate(p.get('delivered_rate')))} · "
           f"requests: {esc(requests_text(p))}</p>"]
    out.append(
        '<div style="overflow-x:auto"><table><tr>' + "".join(f"<th>{esc(k)}</th>" for k in c) + "<th>p50</th><th>p90</th><th>p99</th><th>max</th></tr><tr>"
        + "".join(f"<td>{v}</td>" for v in c.values())
        + "".join(f"<td>{esc(human.millis(lat.get(k)))}</td>" for k in ("p50", "p90", "p99", "max"))
        + "</tr></table></div>"
    )
    if p.get("hops_ms"):
        out.append("<p>per hop (server timestamps): " + ", ".join(
            f"{esc(h)} p50 {esc(human.millis(v.get('p50')))} / p99 {esc(human.millis(v.get('p99')))}" for h, v in p["hops_ms"].items()) + "</p>")
    timeline = p.get("timeline") or {}
    marks = chart_marks(sc, str(p["to"].get("queue") or p["to"].get("function") or ""), float(timeline.get("t0") or 0.0)) if timeline else []
    out.append(rate_svg(timeline, requested) + latency_over_time_svg(timeline, bounds, marks))
    out.append(latency_svg(p["distribution_ms"], bounds=bounds))
    return "".join(out)


def _overview(data: dict[str, Any]) -> str:
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
