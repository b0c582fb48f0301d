"""Reports of a scenario run, in ``reports/<run-id>/``: ``report.json`` (schema in the README),
``junit.xml`` (one testcase per scenario), ``report.html`` and ``report.md`` (with a latency
distribution plot per delivery path), and a summary table for the console.

Input is the finished :class:`~harness.scenario.result.RunReport`; nothing here talks to AWS.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from xml.etree import ElementTree as ET

from harness.scenario.result import ERROR, FAILED, RunReport


def write_reports(report: RunReport, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = report.as_dict()
    out = {
        "json": directory / "report.json",
        "junit": directory / "junit.xml",
        "html": directory / "report.html",
        "markdown": directory / "report.md",
    }
    out["json"].write_text(json.dumps(data, indent=2) + "\n")
    out["junit"].write_text(junit_xml(data))
    out["html"].write_text(html_report(data))
    out["markdown"].write_text(markdown_report(data))
    return out


# -- JUnit -------------------------------------------------------------------------------------
def junit_xml(data: dict) -> str:
    suite = ET.Element(
        "testsuite",
        name=f"harness-{data['topology']}",
        tests=str(data["totals"]["scenarios"]),
        failures=str(data["totals"]["failed"]),
        errors=str(data["totals"]["errors"]),
        time=f"{data['duration_s']:.3f}",
    )
    for sc in data["scenarios"]:
        case = ET.SubElement(suite, "testcase", classname=f"scenarios.{data['topology']}", name=sc["name"], time=f"{sc['duration_s']:.3f}")
        if sc["status"] in (FAILED, ERROR):
            tag = "failure" if sc["status"] == FAILED else "error"
            el = ET.SubElement(case, tag, message=(sc["failures"] or ["failed"])[0][:500])
            el.text = "\n".join(sc["failures"])
        lines = [f"{p['label']}: {json.dumps(p['counts'])} latency_ms={json.dumps(p['latency_ms'])}" for p in sc["paths"]]
        ET.SubElement(case, "system-out").text = "\n".join(lines + sc["notes"])
    suites = ET.Element("testsuites")
    suites.append(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# -- plots ------------------------------------------------------------------------------------
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


def _fmt(v: float | int | None) -> str:
    return "–" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))


# -- HTML / Markdown ----------------------------------------------------------------------------
def html_report(data: dict) -> str:
    esc = html.escape
    rows = []
    for sc in data["scenarios"]:
        colour = "#1a7f37" if sc["status"] == "passed" else "#cf222e"
        rows.append(f'<h2 id="{esc(sc["name"])}">{esc(sc["name"])} <span style="color:{colour}">{esc(sc["status"])}</span> '
                    f'<small>{sc["duration_s"]:.1f}s</small></h2>')
        if sc["failures"]:
            rows.append("<ul>" + "".join(f"<li><code>{esc(f)}</code></li>" for f in sc["failures"]) + "</ul>")
        for p in sc["paths"]:
            c, lat = p["counts"], p["latency_ms"]
            rows.append(f"<h3>{esc(p['label'])}</h3>")
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
{''.join(rows)}
</body></html>
"""


def markdown_report(data: dict) -> str:
    lines = [f"# Run {data['run_id']}: {data['status']}", "",
             f"target `{data['target']}` · topology `{data['topology']}` · "
             f"{data['totals']['passed']}/{data['totals']['scenarios']} passed · {data['duration_s']:.1f}s", ""]
    lines += ["| scenario | status | path | sent | received | intact | missing | dup | late | p50 ms | p99 ms | max ms |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for sc in data["scenarios"]:
        for p in sc["paths"] or [{"label": "–", "counts": {}, "latency_ms": {}}]:
            c, lat = p["counts"], p["latency_ms"]
            lines.append(
                f"| {sc['name']} | {sc['status']} | {p['label']} | {c.get('sent', '')} | {c.get('received', '')} | "
                f"{c.get('intact', '')} | {c.get('missing', '')} | {c.get('duplicate', '')} | {c.get('late', '')} | "
                f"{_fmt(lat.get('p50'))} | {_fmt(lat.get('p99'))} | {_fmt(lat.get('max'))} |"
            )
    for sc in data["scenarios"]:
        for f in sc["failures"]:
            lines.append(f"- **{sc['name']}**: {f}")
    return "\n".join(lines) + "\n"


def console_summary(report: RunReport) -> str:
    data = report.as_dict()
    header = f"{'scenario':<28} {'status':<7} {'paths':>5} {'sent':>6} {'recv':>6} {'intact':>6} {'p50ms':>8} {'p99ms':>8} {'time':>7}"
    lines = [header, "-" * len(header)]
    for sc in data["scenarios"]:
        sent = sum(p["counts"]["sent"] for p in sc["paths"])
        recv = sum(p["counts"]["received"] for p in sc["paths"])
        intact = sum(p["counts"]["intact"] for p in sc["paths"])
        p50 = max((p["latency_ms"]["p50"] or 0 for p in sc["paths"]), default=0)
        p99 = max((p["latency_ms"]["p99"] or 0 for p in sc["paths"]), default=0)
        lines.append(
            f"{sc['name'][:28]:<28} {sc['status']:<7} {len(sc['paths']):>5} {sent:>6} {recv:>6} {intact:>6} "
            f"{p50:>8.1f} {p99:>8.1f} {sc['duration_s']:>6.1f}s"
        )
        for f in sc["failures"]:
            lines.append(f"    ✗ {f}")
    t = data["totals"]
    lines.append(f"{t['passed']} passed, {t['failed'] + t['errors']} failed")
    return "\n".join(lines)
