"""``report.md``: a Mermaid diagram of the run's delivery paths, then the tables and every failure,
for pull-request comments and job summaries (GitHub renders the diagram)."""

from __future__ import annotations

from harness.report.access import access_markdown
from harness.report.diagram import mermaid_markdown
from harness.report.plots import carried
from harness.report.plots import fmt as _fmt
from harness.report.resources import resources_markdown


def markdown_report(data: dict) -> str:
    lines = [f"# Run {data['run_id']}: {data['status']}", "",
             f"target `{data['target']}` · topology `{data['topology']}` · "
             f"{data['totals']['passed']}/{data['totals']['scenarios']} passed · {data['duration_s']:.1f}s", ""]
    lines += mermaid_markdown(data)
    lines += ["| scenario | status | path | sent | received | intact | missing | dup | late | p50 ms | p99 ms | max ms | carried |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for sc in data["scenarios"]:
        for p in sc["paths"] or [{"label": "–", "counts": {}, "latency_ms": {}}]:
            c, lat = p["counts"], p["latency_ms"]
            lines.append(
                f"| {sc['name']} | {sc['status']} | {p['label']} | {c.get('sent', '')} | {c.get('received', '')} | "
                f"{c.get('intact', '')} | {c.get('missing', '')} | {c.get('duplicate', '')} | {c.get('late', '')} | "
                f"{_fmt(lat.get('p50'))} | {_fmt(lat.get('p99'))} | {_fmt(lat.get('max'))} | {carried(p)} |"
            )
    for sc in data["scenarios"]:
        for f in sc["failures"]:
            lines.append(f"- **{sc['name']}**: {f}")
    lines += access_markdown(data)
    lines += resources_markdown(data)
    return "\n".join(lines) + "\n"
